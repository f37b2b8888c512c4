"""An in-memory Channel for flow logic tests: no sockets, no timing.

The caller is a script: the keys typed at each prompt (an empty string is a prompt left to time
out) and, optionally, a hang-up after so many commands. Bridges end as the test says per dial
string (default: nobody answers); an answered bridge calls `on_connected` with the member's leg,
and `hang_up_in_talk` makes the caller hang up during that conversation. Every command is
recorded in order, so a test reads what the flow did (`played`, `collected`, `transferred`, `hung_up`) the way the emulator's report shows it.
Wire-level behaviour (ESL framing, FreeSWITCH's timing, a hang-up in the middle of a command) stays
with the emulator tests.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

from fs_plugins.channel import (
    NO_ANSWER, BridgeOutcome, BridgeTarget, CallGone, Collected, Played, Recording, RingingLeg, SessionInfo,
)


class FakeChannel:
    def __init__(self, info: SessionInfo | None = None, *, digits: Sequence[str] = (),
                 bridges: Mapping[str, BridgeOutcome] | None = None, hang_up_after: int | None = None,
                 variables: Mapping[str, str] | None = None, prompt_seconds: float = 0.0,
                 hang_up_in_talk: bool = False, ringing: Sequence[RingingLeg] = ()):
        self.info = info or SessionInfo(uuid="fake-call", tenant="acme.example")
        self.digits = list(digits)
        self.bridges = dict(bridges or {})
        self.hang_up_after = hang_up_after  # the caller hangs up instead of the command after this many
        self.variables = dict(variables or {})
        self.commands: list[tuple[str, str]] = []
        self.hung_up: str | None = None  # the cause, once the call is over
        self.prompt_seconds = prompt_seconds  # how long every play and say lasts, as FreeSWITCH reports it
        self.hang_up_in_talk = hang_up_in_talk
        self.ringing_legs = list(ringing)  # what `show channels` lists as ringing (call pickup)

    # --- what the test reads ----------------------------------------------------------------
    def _args(self, name: str) -> list[str]:
        return [argument for command, argument in self.commands if command == name]

    @property
    def played(self) -> list[str]:
        return self._args("play")

    @property
    def collected(self) -> list[str]:
        return self._args("collected")

    @property
    def answered(self) -> bool:
        return bool(self._args("answer"))

    @property
    def transferred(self) -> tuple[str, str] | None:
        done = self._args("transfer")
        return tuple(done[-1].split(" XML ")) if done else None

    # --- the Channel protocol ----------------------------------------------------------------
    def answer(self) -> None:
        self._command("answer")

    def play(self, path: str) -> Played:
        self._command("play", path)
        return Played(True, self.prompt_seconds)

    def say(self, number: int) -> Played:
        self._command("say", str(number))
        return Played(True, self.prompt_seconds)

    def collect(self, prompt: str, *, min_digits: int = 1, max_digits: int = 1, timeout: float = 5.0,
                terminators: str = "#", regex: str | None = None, tries: int = 3,
                invalid_prompt: str | None = None, digit_timeout: float | None = None) -> Collected:
        self._command("collect", prompt)
        typed = self.digits.pop(0) if self.digits else ""
        self.commands.append(("collected", typed))
        if not typed:
            return Collected("", "timeout")
        if typed in terminators:
            return Collected("", "success", terminator=typed)
        return Collected(typed[:max_digits], "success")

    def bridge(self, targets: Sequence[BridgeTarget | str], *, sequential: bool = False,
               timeout: int | None = None, on_connected: Callable[[str], None] | None = None) -> BridgeOutcome:
        dials = [target.dial if isinstance(target, BridgeTarget) else target for target in targets]
        self._command("bridge", ("|" if sequential else ",").join(dials))
        for dial in dials:
            if dial in self.bridges:
                outcome = self.bridges[dial]
                if outcome.answered and on_connected is not None:
                    on_connected(outcome.other_uuid)
                if outcome.answered and self.hang_up_in_talk:
                    self.hung_up = "NORMAL_CLEARING"
                    raise CallGone("NORMAL_CLEARING")
                return outcome
        return BridgeOutcome(NO_ANSWER, "NO_ANSWER", "NO_ANSWER")

    def record(self, path: str, *, max_seconds: int = 60, terminators: str = "#",
               silence_seconds: int = 3) -> Recording:
        self._command("record", path)
        return Recording(path, terminators[:1])

    def transfer(self, extension: str, context: str) -> None:
        self._command("transfer", f"{extension} XML {context}")

    def ringing(self) -> list[RingingLeg]:
        return list(self.ringing_legs)

    def intercept(self, leg_uuid: str, picked_by: str = "") -> bool:
        if picked_by:
            self._command("uuid_setvar", f"{leg_uuid} pbx_picked_up_by {picked_by}")
        self._command("intercept", f"-bleg {leg_uuid}")
        return any(leg.uuid == leg_uuid for leg in self.ringing_legs)

    def break_playback(self) -> None:
        self._command("break")

    def set(self, name: str, value: str) -> None:
        self._command("set", f"{name}={value}")
        self.variables[name] = value

    def export(self, name: str, value: str) -> None:
        self._command("export", f"{name}={value}")
        self.variables[name] = value

    def get(self, name: str) -> str | None:
        return self.variables.get(name)

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        self._command("hangup", cause)
        self.hung_up = cause

    def _command(self, name: str, argument: str = "") -> None:
        if self.hung_up is not None:
            raise CallGone(self.hung_up)
        sent = sum(1 for command, _ in self.commands if command != "collected")
        if self.hang_up_after is not None and sent >= self.hang_up_after:
            self.hung_up = "NORMAL_CLEARING"
            raise CallGone("NORMAL_CLEARING")
        self.commands.append((name, argument))
