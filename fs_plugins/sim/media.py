"""How long emulated media lasts, and playing it in virtual time."""
from __future__ import annotations

import re

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


def play(emu, path, terminators):
    """Play until the end, a terminator key, or hang-up; other keys are ignored."""
    began = emu.now
    end = began + duration(path)
    outcome = None
    emu.playing = True
    try:
        while emu.now < end:
            outcome = emu.advance(end - emu.now)
            if outcome is None:
                break
            if outcome[0] == "break":  # uuid_break: the file ends here, played as far as it got
                outcome = None
                break
            if outcome[0] != "dtmf":
                break
            if outcome[1] in terminators:
                emu.view.variables["playback_terminator_used"] = outcome[1]
                break
            outcome = None
    finally:
        emu.playing = False
        emu.break_request = False  # switch_ivr_play_file clears CF_BREAK when it acts on it
    played(emu, began)
    return outcome


def played(emu, began):
    """switch_ivr_play_file's account of how much it played, as recorded (esl_outbound/a_ivr_dtmf:
    playback_ms 1000 and playback_seconds 1 after a 1 s tone, 300 after a prompt a key cut short)."""
    ms = int(round((emu.now - began) * 1000))
    emu.view.variables.update(playback_ms=str(ms), playback_seconds=str(ms // 1000))
