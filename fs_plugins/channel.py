"""The small Channel interface call flows use, and the values it returns.

A flow (IVR menu, call group, message) drives one call through a `Channel` and never sees a
socket. The production Channel is `fs_plugins.esl.adapter.EslChannel` (outbound event socket);
tests use the same adapter against the emulator in `fs_plugins.sim`, or a fake.

Hang-up is an exception: when the caller hangs up, the connection dies or a command times out,
the blocked method raises `CallGone`. Flows let it propagate; the ESL session runner catches it
in one place.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol, Sequence, runtime_checkable


class CallGone(Exception):
    """The call is over for this flow: the caller hung up or the connection to FreeSWITCH died."""

    def __init__(self, cause: str = "NORMAL_CLEARING", reason: str = "hangup"):
        super().__init__(f"call gone ({reason}): {cause}")
        self.cause = cause
        self.reason = reason


class CommandTimeout(CallGone):
    """FreeSWITCH did not answer a command in time; the session is treated as lost."""

    def __init__(self, what: str):
        super().__init__("RECOVERY_ON_TIMER_EXPIRE", reason=f"timeout waiting for {what}")


# Bridge outcomes, from FreeSWITCH's originate_disposition (see BridgeOutcome.from_disposition).
ANSWERED = "answered"
BUSY = "busy"
NO_ANSWER = "no_answer"
REJECTED = "rejected"
NOT_REGISTERED = "not_registered"
FAILED = "failed"
BRIDGE_STATUSES = (ANSWERED, BUSY, NO_ANSWER, REJECTED, NOT_REGISTERED, FAILED)

_DISPOSITION_STATUS = {
    "SUCCESS": ANSWERED,
    "USER_BUSY": BUSY,
    "NO_ANSWER": NO_ANSWER,
    "NO_USER_RESPONSE": NO_ANSWER,
    "PROGRESS_TIMEOUT": NO_ANSWER,
    "ALLOTTED_TIMEOUT": NO_ANSWER,
    "CALL_REJECTED": REJECTED,
    "USER_NOT_REGISTERED": NOT_REGISTERED,
    # The user is not in the directory at all: as far as a caller can tell, nobody is there.
    "SUBSCRIBER_ABSENT": NOT_REGISTERED,
}


@dataclass(frozen=True)
class BridgeOutcome:
    """How a bridge ended: `status` is one of BRIDGE_STATUSES.

    `hangup_cause` is FreeSWITCH's cause for the attempt (the B leg's failure cause, or how the
    answered conversation ended) and `disposition` the raw originate_disposition.
    """

    status: str
    hangup_cause: str = ""
    disposition: str = ""
    other_uuid: str = ""
    ring_seconds: float | None = None  # answered: from the bridge's start to the answer, when known
    talk_seconds: float | None = None  # answered: from the answer to the end of the bridge, when known

    @property
    def answered(self) -> bool:
        return self.status == ANSWERED

    @classmethod
    def from_variables(cls, variables: Mapping[str, str], other_uuid: str = "", started_us: int | None = None,
                       bridged_us: str = "", ended_us: str = "") -> "BridgeOutcome":
        """FreeSWITCH's own timing, in microseconds: `started_us` when the bridge application started
        (its CHANNEL_EXECUTE's Event-Date-Timestamp), `bridged_us` when the legs were joined (the
        completion's Caller-Channel-Bridged-Time) and `ended_us` when the bridge ended (the completion's
        Event-Date-Timestamp). A recorded answered bridge (esl_outbound/d_bridge_answered) carries
        Bridged-Time 1795658255469687 and ends at 1795658257489693: the callee's BYE 2.02 s later.
        bridge_uepoch, which the CDR has, is only set when the channel hangs up."""
        disposition = variables.get("originate_disposition", "")
        status = _DISPOSITION_STATUS.get(disposition, FAILED)
        ring = talk = None
        if status == ANSWERED:
            cause = variables.get("bridge_hangup_cause") or variables.get("last_bridge_hangup_cause", "")
            joined = variables.get("bridge_uepoch", "") or bridged_us
            if started_us is not None and joined.isdecimal() and int(joined) >= started_us:
                ring = (int(joined) - started_us) / 1_000_000
            if joined.isdecimal() and int(joined) > 0 and ended_us.isdecimal() and int(ended_us) >= int(joined):
                talk = (int(ended_us) - int(joined)) / 1_000_000
        else:
            cause = variables.get("originate_failed_cause") or disposition
        return cls(status, cause, disposition, other_uuid, ring, talk)


@dataclass(frozen=True)
class Collected:
    """Digits a caller entered: `result` is success, failure (wrong input) or timeout (nothing)."""

    digits: str
    result: str
    terminator: str = ""

    @property
    def ok(self) -> bool:
        return self.result == "success"


@dataclass(frozen=True)
class Played:
    """How a prompt went: `ok` False when FreeSWITCH could not play it; `seconds` how long the
    caller heard it (FreeSWITCH's playback_ms, or how long the application ran), so a flow counts
    its prompts in virtual time as well as in real time. Truthy exactly when it played."""

    ok: bool
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class Recording:
    path: str
    terminator: str = ""  # the key that stopped it, "" when silence or the time limit did


@dataclass(frozen=True)
class SessionInfo:
    """What the dialplan told us about the call when it handed it to the ESL server."""

    uuid: str
    tenant: str = ""
    flow: str = ""
    flow_object: str = ""
    caller_number: str = ""
    caller_name: str = ""
    destination: str = ""
    variables: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class RingingLeg:
    """A leg FreeSWITCH is ringing now (a row of `show channels`): what call pickup chooses from.
    `presence_id` is the user it rings ("1002@acme.example": FreeSWITCH's user/ endpoint sets it
    on every leg it dials, unless the dial string sets one)."""

    uuid: str
    presence_id: str
    created_epoch: int = 0

    @classmethod
    def from_show_channels(cls, text: str) -> "list[RingingLeg]":
        """The ringing outbound legs in `show channels as json` ({"row_count": 0} when there is none;
        anything unreadable is no leg: pickup then finds nothing rather than guessing)."""
        try:
            rows = json.loads(text).get("rows") or []
        except (ValueError, AttributeError):
            return []
        legs = []
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict) or row.get("direction") != "outbound":
                continue
            if row.get("callstate") not in ("RINGING", "EARLY") or not row.get("uuid"):
                continue
            created = str(row.get("created_epoch") or "0")
            legs.append(cls(str(row["uuid"]), str(row.get("presence_id") or ""),
                            int(created) if created.isdecimal() else 0))
        return legs


@dataclass(frozen=True)
class BridgeTarget:
    """One leg to ring: a dial string built by Centralita (never user-typed) and its ring time."""

    dial: str
    timeout: int | None = None  # seconds; None: the bridge's overall timeout applies


def tone(duration_ms: int, frequency: int = 440) -> str:
    """A FreeSWITCH tone as a playable path (used until the audio library exists)."""
    if not (0 < int(duration_ms) <= 600_000 and 0 < int(frequency) < 20_000):
        raise ValueError("tone duration or frequency out of range")
    return f"tone_stream://%({int(duration_ms)},0,{int(frequency)})"


@runtime_checkable
class Channel(Protocol):
    """What a flow may do with a call. Every method may raise CallGone."""

    info: SessionInfo

    def answer(self) -> None: ...

    def play(self, path: str) -> Played:
        """Play a file or tone to the end; falsy when FreeSWITCH could not play it."""

    def say(self, number: int) -> Played:
        """Say a number in the call's language (FreeSWITCH's say module of `default_language`)."""

    def collect(
        self,
        prompt: str,
        *,
        min_digits: int = 1,
        max_digits: int = 1,
        timeout: float = 5.0,
        terminators: str = "#",
        regex: str | None = None,
        tries: int = 3,
        invalid_prompt: str | None = None,
        digit_timeout: float | None = None,
    ) -> Collected: ...

    def bridge(
        self, targets: Sequence[BridgeTarget | str], *, sequential: bool = False, timeout: int | None = None,
        on_connected: Callable[[str], None] | None = None,
    ) -> BridgeOutcome:
        """Ring the targets; returns when the bridge ends. `on_connected(other_uuid)` runs once, the
        moment a target answers and the legs are joined (the bridge itself returns only after the
        talk; a caller hanging up during it raises CallGone, and the flow knows it was answered)."""

    def record(
        self, path: str, *, max_seconds: int = 60, terminators: str = "#", silence_seconds: int = 3
    ) -> Recording: ...

    def transfer(self, extension: str, context: str) -> None: ...

    def ringing(self) -> list[RingingLeg]:
        """Every leg this FreeSWITCH is ringing now (for call pickup)."""

    def intercept(self, leg_uuid: str, picked_by: str = "") -> bool:
        """Take the call that is ringing on `leg_uuid` (its other legs stop ringing) and talk until
        it ends, which raises CallGone; False at once when the leg no longer rings. `picked_by`
        ("ext@domain") is first written on the ringing leg (channel_vars.PICKED_UP_BY)."""

    def break_playback(self) -> None:
        """End the prompt playing now (FreeSWITCH's `uuid_break`; its play returns with what was
        heard). Called from another greenlet than the one waiting for the play; with nothing
        playing it does nothing (FreeSWITCH would keep the request and cut the next prompt)."""

    def set(self, name: str, value: str) -> None: ...

    def export(self, name: str, value: str) -> None: ...

    def get(self, name: str) -> str | None: ...

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None: ...
