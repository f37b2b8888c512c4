"""`record_session` as FreeSWITCH runs it, for the dialplan emulator: a media bug on the A leg that
writes a WAV file when it closes (at hang-up, or when RECORD_TOGGLE_ON_REPEAT stops it).

Checked in FreeSWITCH's source (src/switch_ivr_async.c: switch_ivr_record_session_event,
record_callback, send_record_stop_event):
- the argument's `${…}` is expanded when the application runs; the folders are created;
- a second `record_session` of the same path only warns "Already recording", unless
  RECORD_TOGGLE_ON_REPEAT is true, when it stops the recording (the file is closed then);
- RECORD_BRIDGE_REQ=true: frames are written only while the channel is bridged;
- when the bug closes: nothing written → the file is removed, RECORD_DISCARDED=true,
  record_completion_cause=empty-file; fewer than RECORD_MIN_SEC seconds → removed, RECORD_DISCARDED,
  input-too-short; else kept, `success-silence` (no silence detection configured: "assuming start of
  speech"; the channel hung up). Then record_samples (per channel), record_seconds and record_ms.
- RECORD_STEREO=true: two channels; the rate is the channel's read codec (PCMU: 8000 Hz).
- RECORD_APPEND=true: the frames go after those the file holds (mod_sndfile opens it read-write and
  seeks to its end; without the flag it truncates it), and the file is never discarded; record_*
  count this recording's frames only.

`bind_meta_app <key> <a|b|ab> <a|b|s|o> <app>::<args>` (mod_dptools, switch_ivr_async.c meta_on_dtmf):
on the A leg, keys it receives (the caller's, listened with `a`) and keys sent to it through the
bridge (the callee's, `b`) each go through the meta key `*`: `*` then the bound key within 5 s runs
the application on the chosen leg; `**` cancels; the keys are swallowed.

Differences: the file holds silence of the recorded length; `http_cache://` targets (media_base_url)
are not written (nothing is PUT to Centralita); only `${uuid}` and the call's variables expand.
"""
from __future__ import annotations

import re
import wave
from dataclasses import dataclass, field
from pathlib import Path

RATE = 8000  # PCMU, the codec of every recorded call here
_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@dataclass
class Bug:
    """One running record_session: where it writes and from when (the call's virtual seconds)."""

    path: str
    started: float
    stereo: bool
    bridge_req: bool
    min_sec: int
    append: bool = False


@dataclass
class Recorder:
    """The record_session bugs of one channel, and the bridged intervals they write while RECORD_BRIDGE_REQ."""

    uuid: str = ""  # the channel's, for `${uuid}` in the path
    bugs: dict = field(default_factory=dict)  # path -> Bug
    bridged: list = field(default_factory=list)  # (from, to) virtual seconds the A leg was bridged
    write_files: bool = True

    def start(self, data: str, variables: dict, now: float) -> str:
        """record_session <data>: the step's text. A repeat stops it when RECORD_TOGGLE_ON_REPEAT."""
        path = expand(data.split(" +")[0].strip(), {**variables, "uuid": self.uuid})
        if path in self.bugs:
            if _true(variables.get("RECORD_TOGGLE_ON_REPEAT")):
                self.stop(path, variables, now)
                return f"record_session {path}: stopped (toggle on repeat)"
            return f"record_session {path}: already recording"
        min_sec = variables.get("RECORD_MIN_SEC", "0")
        self.bugs[path] = Bug(path, now, _true(variables.get("RECORD_STEREO")),
                              _true(variables.get("RECORD_BRIDGE_REQ")), int(min_sec) if min_sec.isdigit() else 0,
                              _true(variables.get("RECORD_APPEND")))
        return f"record_session {path}: recording"

    def stop(self, path: str, variables: dict, now: float) -> None:
        bug = self.bugs.pop(path)
        seconds = self._written(bug, now)
        variables.update(close(bug, seconds, self.write_files))

    def hangup(self, variables: dict, now: float) -> None:
        """The channel ends: every bug still running closes."""
        for path in list(self.bugs):
            self.stop(path, variables, now)

    def _written(self, bug: Bug, now: float) -> float:
        if not bug.bridge_req:
            return max(0.0, now - bug.started)
        return sum(max(0.0, min(end, now) - max(begin, bug.started)) for begin, end in self.bridged)


META_KEY = "*"
META_TIMEOUT = 5  # seconds between the meta key and its digit (meta_on_dtmf)


@dataclass(frozen=True)
class MetaApp:
    key: str
    listen: str  # "a", "b" or "ab"
    application: str
    argument: str


def parse_meta_app(data: str) -> MetaApp | None:
    """`<key> <listen> <run on> <app>::<args>` as bind_meta_app reads it; None when malformed."""
    parts = data.split(" ", 3)
    if len(parts) != 4 or len(parts[0]) != 1 or not set(parts[1]) <= {"a", "b"}:
        return None
    application, _, argument = parts[3].partition("::")
    return MetaApp(parts[0], parts[1], application, argument)


def meta_runs(presses: list[tuple[float, str, str]], bindings: dict) -> list[tuple[float, MetaApp]]:
    """(moment, binding) of each application the meta keys run, from (moment, key, leg a|b) presses."""
    runs, meta_on = [], {}  # leg -> moment of its meta key
    for moment, key, leg in sorted(presses):
        pending = meta_on.pop(leg, None)
        if pending is not None and moment - pending > META_TIMEOUT:
            continue  # "Meta digit timeout": this key is dropped
        if key == META_KEY:
            if pending is None:
                meta_on[leg] = moment
            continue
        binding = bindings.get(key) if pending is not None else None
        if binding and leg in binding.listen:
            runs.append((moment, binding))
    return runs


def close(bug: Bug, seconds: float, write_files: bool = True) -> dict:
    """The channel variables record_callback's close sets; the file written (or removed) as it does."""
    samples = int(round(seconds * RATE))  # whole frames; virtual seconds carry float noise
    if bug.append:
        cause = "success-silence"
    elif samples == 0:
        cause = "empty-file"
    elif samples < RATE * bug.min_sec:
        cause = "input-too-short"
    else:
        cause = "success-silence"
    variables = {"record_samples": str(samples), "record_seconds": str(samples // RATE),
                 "record_ms": str(samples // (RATE // 1000)), "record_completion_cause": cause}
    if cause != "success-silence":
        variables["RECORD_DISCARDED"] = "true"
    elif write_files and "://" not in bug.path:
        write_silence(Path(bug.path), samples, 2 if bug.stereo else 1, bug.append)
    return variables


def write_silence(path: Path, samples: int, channels: int, append: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if append and path.exists():
        with wave.open(str(path), "rb") as held:
            samples += held.getnframes()
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(samples * channels * 2))


def expand(text: str, variables: dict) -> str:
    """`${name}` from the channel's variables, as FreeSWITCH expands an application's argument."""
    return _VAR.sub(lambda m: str(variables.get(m.group(1), "")), text)


def _true(value) -> bool:
    return str(value or "").lower() in ("true", "yes", "on", "t", "1", "enabled", "active", "allow")
