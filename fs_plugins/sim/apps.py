"""The dialplan applications the emulator runs, each as FreeSWITCH runs it (events, variables,
Application-Response). A handler gets the emulator and the expanded argument and returns the
Application-Response; it uses `emu.advance()` to let virtual time pass."""
from __future__ import annotations

import math
import re

from fs_plugins.sim.bridge import bridge

DEFAULT_FILE_SECONDS = 2.0
_TONE = re.compile(r"%\((\d+),(\d+)")


def duration(path: str) -> float:
    """How long a prompt plays: tone_stream segments and silence_stream are measured, files
    are assumed DEFAULT_FILE_SECONDS long."""
    if path.startswith("tone_stream://"):
        segments = _TONE.findall(path)
        loops = re.search(r"loops=(\d+)", path)
        total = sum(int(on) + int(off) for on, off in segments) / 1000
        return total * (int(loops.group(1)) if loops else 1) if segments else 1.0
    if path.startswith("silence_stream://"):
        ms = path[len("silence_stream://"):].split(",")[0]
        return int(ms) / 1000 if ms.isdigit() else 0.0
    return DEFAULT_FILE_SECONDS


def _answer(emu, data):
    emu.answer()
    emu.step("answered")


def _set(emu, data, export=False):
    name, _, value = data.partition("=")
    if value:
        emu.view.variables[name] = value
    else:
        emu.view.variables.pop(name, None)
    emu.step(f"{'export' if export else 'set'} {name}={value}")


def _playback(emu, data):
    emu.early_media()
    emu.step(f"plays {data}")
    emu.report.played.append(data)
    outcome = _play(emu, data, emu.view.variables.get("playback_terminators", ""))
    if outcome and outcome[0] == "hangup":
        return "PLAYBACK ERROR"
    return "FILE PLAYED"


def _play(emu, path, terminators):
    """Play until the end, a terminator key, or hang-up; other keys are ignored."""
    end = emu.now + duration(path)
    while emu.now < end:
        outcome = emu.advance(end - emu.now)
        if outcome is None:
            return None
        if outcome[0] != "dtmf":
            return outcome
        if outcome[1] in terminators:
            emu.view.variables["playback_terminator_used"] = outcome[1]
            return outcome
    return None


def _play_and_get_digits(emu, data):
    parts = data.split(" ")
    parts += [""] * (11 - len(parts))
    min_d, max_d, tries, timeout_ms = (int(p or d) for p, d in zip(parts[:4], ("1", "1", "1", "5000")))
    terminators = "" if parts[4] in ("", "none") else parts[4]
    prompt, invalid, var, regex = parts[5], parts[6], parts[7] or "pbx_digits", parts[8]
    digit_timeout = int(parts[9] or timeout_ms) / 1000
    emu.early_media()
    emu.view.variables.pop(var, None)
    result, digits, used = "timeout", "", ""
    for attempt in range(max(tries, 1)):
        if emu.digits_script:
            emu.schedule_keys(emu.digits_script.popleft(), emu.now + emu.script.typing_delay)
        emu.report.played.append(prompt)
        digits, used, gone = _gather(emu, prompt, max_d, timeout_ms / 1000, digit_timeout, terminators)
        if gone:
            return "_none_"
        if len(digits) >= min_d and (not regex or re.search(regex, digits)):
            result = "success"
            break
        result = "failure" if digits or used else "timeout"
        emu.step(f"collect attempt {attempt + 1}: {'invalid ' + repr(digits) if digits else 'no input'}")
        if invalid and invalid != "silence_stream://250":
            emu.report.played.append(invalid)
        if invalid and _play(emu, invalid, ""):
            if emu.hangup_request:
                return "_none_"
    if result == "success":
        emu.view.variables[var] = digits
    emu.view.variables["read_result"] = result
    if used:
        emu.view.variables["read_terminator_used"] = used
    emu.report.collected.append(digits if result == "success" else "")
    emu.step(f"collected {digits!r} ({result})" if result == "success" else f"collect ended: {result}")
    return "_none_"


def _gather(emu, prompt, max_digits, timeout, digit_timeout, terminators):
    """One attempt: the prompt (a key interrupts it), then keys until max, terminator or timeout."""
    digits = ""
    end = emu.now + duration(prompt)
    outcome = None
    while emu.now < end:
        outcome = emu.advance(end - emu.now)
        if outcome is None or outcome[0] == "dtmf":
            break
        if outcome[0] in ("hangup", "closed"):
            return digits, "", True
    while True:
        if outcome and outcome[0] == "dtmf":
            if outcome[1] in terminators:
                return digits, outcome[1], False
            digits += outcome[1]
        if len(digits) >= max_digits:
            return digits, "", False
        outcome = emu.advance(digit_timeout if digits else timeout)
        if outcome is None:
            return digits, "", False
        if outcome[0] in ("hangup", "closed"):
            return digits, "", True


def _hangup(emu, data):
    emu.step(f"application hangs up ({data or 'NORMAL_CLEARING'})")
    emu.hangup_request = data or "NORMAL_CLEARING"


def _transfer(emu, data):
    parts = data.split()
    extension = parts[0] if parts else ""
    context = parts[2] if len(parts) > 2 else emu.setup.domain
    emu.report.transfer = (extension, context)
    emu.step(f"transferred to {extension} in {context}")


def _sleep(emu, data):
    emu.advance(int(data or 0) / 1000)


def _record(emu, data):
    parts = data.split()
    limit = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) > 0 else math.inf
    silence = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else None
    stop_at = emu.now + min(limit, emu.script.talk_seconds + silence if silence else math.inf)
    terminators = emu.view.variables.get("playback_terminators", "")
    emu.view.variables.pop("playback_terminator_used", None)
    emu.view.variables["silence_hits_exhausted"] = "false"  # switch_ivr_record_file sets it so
    emu.step(f"records {parts[0] if parts else ''}")
    start = emu.now
    while emu.now < stop_at:
        outcome = emu.advance(stop_at - emu.now)
        if outcome is None:
            if silence and emu.now - start < limit:
                emu.view.variables["silence_hits_exhausted"] = "true"
            break
        if outcome[0] in ("hangup", "closed", "idle"):
            break
        if outcome[1] in terminators:
            emu.view.variables["playback_terminator_used"] = outcome[1]
            break
    emu.step(f"recording ended after {emu.now - start:.1f} s")


APPS = {
    "answer": _answer,
    "pre_answer": lambda emu, data: emu.early_media(),
    "set": _set,
    "export": lambda emu, data: _set(emu, data, export=True),
    "playback": _playback,
    "play_and_get_digits": _play_and_get_digits,
    "hangup": _hangup,
    "transfer": _transfer,
    "sleep": _sleep,
    "record": _record,
    "bridge": bridge,
}
