"""The dialplan applications the emulator runs, each as FreeSWITCH runs it (events, variables,
Application-Response). A handler gets the emulator and the expanded argument and returns the
Application-Response; it uses `emu.advance()` to let virtual time pass."""
from __future__ import annotations

import math

from fs_plugins.sim.bridge import bridge
from fs_plugins.sim.digits import play_and_get_digits
from fs_plugins.sim.media import play

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
    outcome = play(emu, data, emu.view.variables.get("playback_terminators", ""))
    if outcome and outcome[0] == "hangup":
        return "PLAYBACK ERROR"
    return "FILE PLAYED"


def _say(emu, data):
    """mod_say plays a file per word; the report keeps what was said, in FreeSWITCH's syntax."""
    emu.early_media()
    emu.step(f"says {data}")
    emu.report.played.append(f"say {data}")
    play(emu, "say", emu.view.variables.get("playback_terminators", ""))
    return "_none_"  # say_function sets no application response


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


def _intercept(emu, data):
    """mod_dptools intercept [-bleg] <uuid>: with -bleg, the caller of a ringing leg is answered
    for this channel (its other legs stop ringing, PICKED_OFF); they talk until one hangs up. An
    unknown uuid: FreeSWITCH logs an error and the application returns at once."""
    leg_uuid = data.split()[-1] if data.split() else ""
    ringing = {row.get("uuid"): row for row in emu.script.ringing}
    if leg_uuid not in ringing:
        emu.step(f"intercept {data}: no such channel")
        return
    emu.answer()
    emu.report.bridges.append((f"intercept {leg_uuid}", "SUCCESS"))
    emu.step(f"intercepts the call ringing {ringing[leg_uuid].get('presence_id', '')} ({leg_uuid})")
    emu.emit("CHANNEL_BRIDGE", top=[("Bridge-A-Unique-ID", emu.setup.uuid), ("Bridge-B-Unique-ID", leg_uuid),
                                    ("Other-Leg-Unique-ID", leg_uuid)])
    outcome = emu.advance(emu.script.talk_seconds)
    if outcome is None:  # the picked-up caller hangs up; uuid_bridge then hangs this channel up too
        emu.step("the picked-up caller hangs up")
        emu.hangup_request = "NORMAL_CLEARING"


APPS = {
    "answer": _answer,
    "pre_answer": lambda emu, data: emu.early_media(),
    "set": _set,
    "export": lambda emu, data: _set(emu, data, export=True),
    "playback": _playback,
    "say": _say,
    "play_and_get_digits": play_and_get_digits,
    "hangup": _hangup,
    "transfer": _transfer,
    "sleep": _sleep,
    "record": _record,
    "bridge": bridge,
    "intercept": _intercept,
}
