"""Reading a `bridge` dial string the way FreeSWITCH's switch_ivr_originate does.

`{global}leg1,[vars]leg2|leg3`: groups separated by `|` are tried in turn, legs of a group
separated by `,` ring at once. `{…}` and `[…]` hold `name=value` pairs separated by commas, so a
separator inside brackets belongs to the variables, not to the dial string (FreeSWITCH's
switch_separate_string_string honours the brackets the same way).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DialLeg:
    target: str  # user/1002@acme.example, sofia/gateway/carrier/+34…
    variables: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def delay(self) -> float:
        """leg_delay_start: seconds before this leg starts ringing."""
        return _number(self.variables.get("leg_delay_start"))

    @property
    def timeout(self) -> float | None:
        value = _number(self.variables.get("leg_timeout"))
        return value or None


def split_outside_brackets(text: str, separator: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char in "[{<":
            depth += 1
        elif char in "]}>" and depth:
            depth -= 1
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse(dial: str) -> list[list[DialLeg]]:
    """The groups of a dial string, each a list of legs with their variables (global ones included)."""
    groups = []
    for group in split_outside_brackets(dial, "|"):
        shared, group = _leading(group.strip(), "{", "}")
        legs = []
        for text in split_outside_brackets(group, ","):
            own, target = _leading(text.strip(), "[", "]")
            if target:
                legs.append(DialLeg(target.strip(), {**shared, **own}))
        groups.append(legs)
    return [g for g in groups if g]


def targets(dial: str) -> list[str]:
    return [leg.target for group in parse(dial) for leg in group]


def _leading(text: str, opening: str, closing: str) -> tuple[dict, str]:
    if not text.startswith(opening):
        return {}, text
    end = text.find(closing)
    if end < 0:
        return {}, text
    pairs = split_outside_brackets(text[1:end], ",")
    variables = dict(pair.split("=", 1) for pair in pairs if "=" in pair)
    return variables, text[end + 1:]


def _number(value) -> float:
    try:
        return max(0.0, float(value)) if value not in (None, "") else 0.0
    except ValueError:
        return 0.0
