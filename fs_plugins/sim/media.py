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
