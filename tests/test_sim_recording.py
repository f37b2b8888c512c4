"""The emulator's record_session and bind_meta_app rules (fs_plugins/sim/recording.py), as
FreeSWITCH's switch_ivr_async.c has them: meta keys, toggling, what a closing bug keeps."""
from __future__ import annotations

import wave

import pytest

from fs_plugins.sim.recording import Bug, MetaApp, Recorder, close, meta_runs, parse_meta_app

RECORD = MetaApp("2", "b", "record_session", "/r/1/x.wav")


@pytest.mark.parametrize("presses, moments", [
    ([(1.0, "*", "b"), (1.4, "2", "b")], [1.4]),
    ([(1.0, "*", "a"), (1.4, "2", "a")], []),  # the caller's keys: not listened
    ([(1.0, "2", "b")], []),  # no meta key first
    ([(1.0, "*", "b"), (6.5, "2", "b")], []),  # more than 5 s after the meta key: dropped
    ([(1.0, "*", "b"), (1.2, "*", "b"), (1.4, "2", "b")], []),  # "**" cancels
    ([(1.0, "*", "b"), (1.4, "3", "b"), (2.0, "*", "b"), (2.4, "2", "b")], [2.4]),  # unbound key swallowed
])
def test_meta_keys_run_the_bound_application_as_meta_on_dtmf_does(presses, moments):
    assert [moment for moment, _ in meta_runs(presses, {"2": RECORD})] == moments


def test_bind_meta_app_arguments_are_read_as_freeswitch_splits_them():
    assert parse_meta_app("2 ab a record_session::/r/1/${uuid}.wav") == MetaApp(
        "2", "ab", "record_session", "/r/1/${uuid}.wav")
    assert parse_meta_app("2 x a record_session::/r") is None and parse_meta_app("2 a") is None


@pytest.mark.parametrize("seconds, cause, kept", [
    (0.0, "empty-file", False), (1.9, "input-too-short", False), (2.0, "success-silence", True)])
def test_a_closing_bug_keeps_or_discards_the_file_by_record_min_sec(tmp_path, seconds, cause, kept):
    path = tmp_path / "1" / "call.wav"
    variables = close(Bug(str(path), 0.0, True, True, 2), seconds)
    assert variables["record_completion_cause"] == cause and path.exists() == kept
    assert ("RECORD_DISCARDED" in variables) != kept
    if kept:
        with wave.open(str(path)) as wav:
            assert (wav.getnchannels(), wav.getnframes()) == (2, 16000)


def test_a_repeat_toggles_only_with_record_toggle_on_repeat_and_uuid_is_expanded(tmp_path):
    recorder = Recorder("abc")
    recorder.bridged.append((0.0, 100.0))
    variables = {"RECORD_BRIDGE_REQ": "true"}
    recorder.start(f"{tmp_path}/${{uuid}}.wav", variables, 1.0)
    assert recorder.start(f"{tmp_path}/${{uuid}}.wav", variables, 2.0).endswith("already recording")
    variables["RECORD_TOGGLE_ON_REPEAT"] = "true"
    assert recorder.start(f"{tmp_path}/${{uuid}}.wav", variables, 4.0).endswith("stopped (toggle on repeat)")
    assert variables["record_ms"] == "3000" and (tmp_path / "abc.wav").exists()


def test_record_append_adds_to_the_file_and_never_discards_it(tmp_path):
    path = tmp_path / "1" / "call.wav"
    close(Bug(str(path), 0.0, True, True, 2, append=True), 3.0)
    variables = close(Bug(str(path), 0.0, True, True, 2, append=True), 1.0)  # short, but appended: kept
    assert variables["record_ms"] == "1000" and "RECORD_DISCARDED" not in variables
    with wave.open(str(path)) as wav:
        assert wav.getnframes() == 4 * 8000
