"""Call recording end to end: the tenant's policy → Centralita's served dialplan → the emulator runs
`record_session` as FreeSWITCH does (a WAV file written when the call ends, record_* variables in the
CDR) → the CDR through the real receiver into the call log → the sweep links file and call → the
user lists and downloads it through the API; retention deletes it again."""
from __future__ import annotations

import re
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from fs_plugins.access import apikeys
from fs_plugins.api.app import make_api_app
from fs_plugins.models.recording import Recording
from fs_plugins.recording.sweep import sweep
from fs_plugins.sim.script import CallerScript, Leg
from tests.calllog_world import DOMAIN, World
from tests.provision import find_tenant

DAY = 86400


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = World(tmp_path_factory.mktemp("recording")).setup()
    world.cli(f"recording policy --tenant {DOMAIN} --user 1002 inbound")
    world.cli(f"recording policy --tenant {DOMAIN} --user 1003 never")
    world.cli(f"recording policy --tenant {DOMAIN} --user 1006 on_demand")
    world.cli(f"recording policy --tenant {DOMAIN} --user 1012 on_demand")
    return world


def answered_call(world, to: str, talk: float):
    return world.call(f"1001@{DOMAIN}", to, CallerScript(default_leg=Leg("answer", 1.0, talk)))


def recording_file(world, call_id: str) -> Path:
    tenant = find_tenant(DOMAIN)
    return world.data_dir / "recordings" / str(tenant.id) / f"{call_id}.wav"


def filed(call_id: str) -> list[Recording]:
    return list(Recording.select().where(Recording.call_id == call_id))


def test_a_call_to_a_user_recorded_inbound_is_written_filed_and_served_to_that_user(world):
    sim = answered_call(world, "1002", talk=7.0)
    path = recording_file(world, sim.uuid)
    with wave.open(str(path)) as wav:  # written at hang-up: both parties, 7 s of the bridge
        assert (wav.getnchannels(), wav.getframerate(), wav.getnframes()) == (2, 8000, 7 * 8000)
    variables = sim.cdr["variables"]
    assert (variables["record_seconds"], variables["record_ms"], variables["record_samples"]) == ("7", "7000", "56000")
    assert variables["record_completion_cause"] == "success-silence" and "RECORD_DISCARDED" not in variables
    world.cli("recording sweep")
    [row] = filed(sim.uuid)
    assert row.size == path.stat().st_size
    client = make_api_app(world.config).test_client()
    key = apikeys.create("1002's app", "user", find_tenant(DOMAIN), "1002").key
    headers = {"Authorization": f"Bearer {key}"}
    items = client.get("/api/v1/me/recordings", headers=headers).json["items"]
    assert [item["call_id"] for item in items] == [sim.uuid]
    got = client.get(f"/api/v1/me/recordings/{items[0]['id']}/file", headers=headers)
    assert got.status_code == 200 and got.data == path.read_bytes()


def test_a_call_to_a_user_never_recorded_leaves_no_file_and_no_recording(world):
    sim = answered_call(world, "1003", talk=7.0)
    recorded = answered_call(world, "1002", talk=3.0)  # the same sweep files this one
    assert not any(step.startswith("record_session") for step in sim.steps)
    assert not recording_file(world, sim.uuid).exists() and "record_seconds" not in sim.cdr["variables"]
    world.cli("recording sweep")
    assert filed(sim.uuid) == [] and len(filed(recorded.uuid)) == 1


def test_a_recorded_call_shorter_than_record_min_sec_is_discarded_as_freeswitch_does(world):
    sim = answered_call(world, "1002", talk=1.0)
    variables = sim.cdr["variables"]
    assert variables["RECORD_DISCARDED"] == "true" and variables["record_completion_cause"] == "input-too-short"
    assert not recording_file(world, sim.uuid).exists()


def test_a_recorded_call_nobody_answers_writes_nothing_before_the_bridge(world):
    sim = world.call(f"1001@{DOMAIN}", "1002", CallerScript(hangup_at=5, default_leg=Leg("no_answer")))
    assert sim.cdr["variables"]["record_completion_cause"] == "empty-file"
    assert not recording_file(world, sim.uuid).exists()


def test_retention_deletes_an_old_recording_row_and_file(world):
    world.cli(f"recording options --tenant {DOMAIN} --retention-days 30")
    sim = answered_call(world, "1002", talk=4.0)
    world.cli("recording sweep")
    path = recording_file(world, sim.uuid)
    assert len(filed(sim.uuid)) == 1 and path.exists()
    root = str(world.data_dir / "recordings")
    sweep(root, now=time.time() + 29 * DAY)
    assert len(filed(sim.uuid)) == 1 and path.exists()
    sweep(root, now=time.time() + 31 * DAY)
    assert filed(sim.uuid) == [] and not path.exists()


def test_an_on_demand_callee_records_from_star_2_to_star_2_and_the_file_is_filed(world):
    callee = Leg("answer", 1.0, 12.0, dtmf=((2.0, "*2"), (8.0, "*2")))  # "2" lands 0.4 s after "*"
    sim = world.call(f"1001@{DOMAIN}", "1006", CallerScript(default_leg=callee))
    variables = sim.cdr["variables"]
    assert (variables["record_seconds"], variables["record_ms"]) == ("6", "6000")
    with wave.open(str(recording_file(world, sim.uuid))) as wav:
        assert wav.getnframes() == 6 * 8000
    world.cli("recording sweep")
    assert len(filed(sim.uuid)) == 1


def test_an_on_demand_caller_records_until_the_end_and_the_callees_keys_do_not_count(world):
    script = CallerScript(dtmf=[(3.0, "*2")], default_leg=Leg("answer", 1.0, 10.0, dtmf=((1.0, "*2"),)))
    sim = world.call(f"1012@{DOMAIN}", "1003", script)  # 1003: never; only the caller's *2 is bound
    assert sim.cdr["variables"]["record_ms"] == "7600"  # from 3.4 s to the callee's hang-up at 11 s
    world.cli("recording sweep")
    assert recording_file(world, sim.uuid).exists() and len(filed(sim.uuid)) == 1


def test_on_demand_keys_nobody_presses_record_nothing(world):
    sim = answered_call(world, "1006", talk=5.0)
    assert "bind_meta_app" in [app["app_name"] for app in sim.cdr["app_log"]["applications"]]
    assert "record_seconds" not in sim.cdr["variables"] and not recording_file(world, sim.uuid).exists()


def test_a_call_to_a_group_recorded_inbound_is_written_for_the_time_a_member_talked(world):
    world.cli(f"recording policy --tenant {DOMAIN} --group Cola inbound")
    script = CallerScript(legs={f"user/1003@{DOMAIN}": Leg("answer", 3.0, 5.0),
                                f"user/1006@{DOMAIN}": Leg("no_answer")}, hangup_at=60)
    sim = world.call("+34600000001", "+34910000004", script)  # the group's flow bridges over the event socket
    assert sim.cdr["variables"]["record_seconds"] == "5"
    world.cli("recording sweep")
    assert len(filed(sim.uuid)) == 1 and recording_file(world, sim.uuid).exists()


def test_simulate_writes_the_recording_only_when_it_also_posts_the_cdr(world, capsys):
    leg = f"--leg user/1002@{DOMAIN}=answer:1:5"
    for post, written in (("", False), ("--post-cdr", True)):
        capsys.readouterr()
        world.cli(f"simulate --from 1001@{DOMAIN} --to 1002 {leg} {post}")
        path = re.search(r"record_session (\S+\.wav): recording", capsys.readouterr().out).group(1)
        assert Path(path).exists() == written and path.startswith(str(world.data_dir / "recordings"))


def test_a_third_star_2_adds_to_the_file_instead_of_starting_it_over(world):
    # Without RECORD_APPEND mod_sndfile reopens the file truncated (SFC_FILE_TRUNCATE): what the
    # first *2 ... *2 recorded would be lost when the user presses *2 a third time.
    callee = Leg("answer", 1.0, 12.0, dtmf=((2.0, "*2"), (5.0, "*2"), (8.0, "*2")))
    sim = world.call(f"1001@{DOMAIN}", "1006", CallerScript(default_leg=callee))
    assert sim.cdr["variables"]["record_ms"] == "3600"  # this recording: from 8.4 s to the end at 12 s
    with wave.open(str(recording_file(world, sim.uuid))) as wav:
        assert wav.getnframes() == (3000 + 3600) * 8  # 2.4-5.4 s, then 8.4-12 s


def test_recording_sweep_run_as_its_own_command_files_the_call(world):
    sim = answered_call(world, "1002", talk=3.0)
    done = subprocess.run([sys.executable, "-m", "fs_plugins.cli", "--data-dir", str(world.data_dir), "recording",
                           "sweep"], capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr  # (it once never opened the database: "uninitialized Proxy")
    assert re.match(r"filed [1-9]", done.stdout) and len(filed(sim.uuid)) == 1
