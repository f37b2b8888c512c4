"""The emulated `play_and_get_digits`, following switch_ivr_read / switch_play_and_get_digits
(src/switch_ivr_play_say.c) rather than what one would guess:

  * each try clears the variable, plays the prompt (any key ends it and counts), then collects
    until max digits, a terminator, or the timeout (`timeout` before the first key,
    `digit_timeout` between keys);
  * read_result is "success" when it ended on max digits or a terminator, "timeout" when it timed
    out with at least min digits, "failure" when fewer than min digits came (also when none did);
  * the variable is set whenever some digits came (even too few); a regex mismatch clears it
    and sets `<var>_invalid` to the digits instead;
  * a try that timed out with enough digits counts as good; a bad try plays the invalid prompt,
    after the last try too;
  * with max_digits 1, a lone terminator is not kept as the digit.
"""
from __future__ import annotations

import re

from fs_plugins.sim.media import duration, play, played


def play_and_get_digits(emu, data):
    parts = data.split(" ") + [""] * 11
    min_d, max_d, tries, timeout_ms = (int(p or d) for p, d in zip(parts[:4], ("1", "1", "1", "5000")))
    terminators = "" if parts[4] in ("", "none") else parts[4]
    prompt, invalid, var, regex = parts[5], parts[6], parts[7] or "pbx_digits", parts[8]
    digit_timeout = int(parts[9] or timeout_ms) / 1000
    variables = emu.view.variables
    emu.early_media()
    if regex:
        variables.pop(f"{var}_invalid", None)
    good = ""
    for attempt in range(max(tries, 1)):
        if emu.digits_script:
            emu.schedule_keys(emu.digits_script.popleft(), emu.now + emu.script.typing_delay)
        emu.report.played.append(prompt)
        good, gone = _one_try(emu, prompt, min_d, max_d, timeout_ms / 1000, digit_timeout, terminators, var)
        if gone:
            return "_none_"
        if good and regex and not re.search(regex, good):
            variables.pop(var, None)
            variables[f"{var}_invalid"] = good
            good = ""
        if good:
            break
        emu.step(f"collect attempt {attempt + 1}: {'invalid input' if variables.get(f'{var}_invalid') else 'no valid input'}")
        if invalid and invalid != "silence_stream://250":
            emu.report.played.append(invalid)
        if invalid and play(emu, invalid, "") and emu.hangup_request:
            return "_none_"
    emu.report.collected.append(good)
    emu.step(f"collected {good!r} ({variables.get('read_result')})" if good else "collect ended without valid input")
    return "_none_"


def _one_try(emu, prompt, min_d, max_d, timeout, digit_timeout, terminators, var):
    """switch_ivr_read: returns (digits if the try was good, caller gone)."""
    variables = emu.view.variables
    variables.pop("read_result", None)
    variables.pop(var, None)
    digits, used, outcome = _collect(emu, prompt, max_d, timeout, digit_timeout, terminators)
    if outcome == "gone":
        return "", True
    if used:
        variables["read_terminator_used"] = used
    if max_d == 1 and len(digits) == 1 and digits in terminators:
        digits = ""
    too_small = len(digits) < min_d
    variables["read_result"] = "failure" if too_small else ("timeout" if outcome == "timeout" else "success")
    if digits:
        variables[var] = digits
    return ("" if too_small else digits), False


def _collect(emu, prompt, max_digits, timeout, digit_timeout, terminators):
    """(digits, terminator used, "done" | "timeout" | "gone"); the prompt stops at the first key."""
    digits = ""
    began = emu.now
    end = began + duration(prompt)
    outcome = None
    while emu.now < end:
        outcome = emu.advance(end - emu.now)
        if outcome is None or outcome[0] == "dtmf":
            break
        if outcome[0] in ("hangup", "closed"):
            return digits, "", "gone"
    played(emu, began)
    while True:
        if outcome and outcome[0] == "dtmf":
            if outcome[1] in terminators:
                return digits, outcome[1], "done"
            digits += outcome[1]
        if len(digits) >= max_digits:
            return digits, "", "done"
        outcome = emu.advance(digit_timeout if digits else timeout)
        if outcome is None:
            return digits, "", "timeout"
        if outcome[0] in ("hangup", "closed"):
            return digits, "", "gone"
