"""What the emulated caller and callees do: a script of digits, a hang-up and bridge outcomes.

Times are seconds of the emulator's virtual clock from the moment the call reached the ESL
server. Text form (used by `centralita simulate`):
    digits "1,23#"            one entry per digit collection, typed shortly after it starts
    dtmf   "3.5:12#"          digits at a given moment
    hangup "12.5"             the caller hangs up then
    transfer "blind:3:1003"   the callee who answered transfers the caller 3 s after answering
                              (blind: uuid_transfer -bleg; attended: att_xfer, consulting first)
    leg    "user/1002@acme.example=answer:2:30"   outcome[:ring seconds[:talk seconds]]
"""
from __future__ import annotations

from dataclasses import dataclass, field

from fs_plugins.errors import InvalidInput

LEG_OUTCOMES = ("answer", "busy", "decline", "no_answer", "not_registered", "not_found")
# originate_disposition, DIALSTATUS and the B leg's cause for each failure, as recorded.
FAILURES = {
    "busy": ("USER_BUSY", "BUSY"),
    "decline": ("CALL_REJECTED", "DONTCALL"),
    "no_answer": ("NO_ANSWER", "NOANSWER"),
    "not_registered": ("USER_NOT_REGISTERED", "USER_NOT_REGISTERED"),
    "not_found": ("SUBSCRIBER_ABSENT", "SUBSCRIBER_ABSENT"),
}
DTMF_GAP = 0.4  # seconds between two scripted key presses (sipp's RFC2833 pcap: ~0.4 s)


@dataclass(frozen=True)
class Leg:
    outcome: str = "no_answer"
    ring: float | None = None  # seconds before the outcome (answer, 486, 603); None: the default
    talk: float | None = None  # answered: seconds until the callee hangs up; None: never
    dtmf: tuple = ()  # answered: (seconds after the answer, keys) the callee presses, e.g. ((3.0, "*2"),)

    def __post_init__(self):
        if self.outcome not in LEG_OUTCOMES:
            raise InvalidInput("leg", f"outcome must be one of {', '.join(LEG_OUTCOMES)}")


TRANSFER_KINDS = ("blind", "attended")


@dataclass(frozen=True)
class Transfer:
    """What the callee does after answering: hand the caller to `extension` `after` seconds later."""

    kind: str
    after: float
    extension: str

    def __post_init__(self):
        if self.kind not in TRANSFER_KINDS:
            raise InvalidInput("transfer", f"kind must be one of {', '.join(TRANSFER_KINDS)}")


@dataclass
class CallerScript:
    digits: list[str] = field(default_factory=list)  # one string per collection attempt
    dtmf: list[tuple] = field(default_factory=list)  # (seconds, keys[, source])
    dtmf_source: str = "RTP"  # RTP (RFC2833 from the phone), APP (uuid_recv_dtmf), UNKNOWN
    hangup_at: float | None = None
    legs: dict[str, Leg] = field(default_factory=dict)
    default_leg: Leg = field(default_factory=Leg)
    typing_delay: float = 0.5  # after a collection starts, before the first key of `digits`
    talk_seconds: float = 3.0  # how long the caller speaks into a recording before silence
    transfer: Transfer | None = None  # the first callee who answers transfers the call
    # Legs FreeSWITCH is ringing for other calls, as `show channels as json` lists them (call pickup):
    # {"uuid", "direction": "outbound", "callstate": "RINGING", "presence_id": "1002@acme.example",
    # "created_epoch": "…"}; `intercept -bleg <uuid>` takes the call of one of them.
    ringing: list[dict] = field(default_factory=list)

    def leg(self, dial: str) -> Leg:
        return self.legs.get(dial, self.default_leg)

    def timeline(self) -> list[tuple[float, str, str]]:
        """Scheduled caller actions (time, kind, value), in time order."""
        events = []
        for at, keys, *source in self.dtmf:
            source = source[0] if source else self.dtmf_source
            events += [(at + i * DTMF_GAP, "dtmf", key, source) for i, key in enumerate(keys)]
        if self.hangup_at is not None:
            events.append((self.hangup_at, "hangup", "NORMAL_CLEARING", ""))
        return sorted(events)


def parse_leg(text: str) -> tuple[str, Leg]:
    dial, sep, spec = text.rpartition("=")
    if not sep or not dial:
        raise InvalidInput("leg", f"expected DIAL=OUTCOME[:RING[:TALK]], got {text!r}")
    parts = spec.split(":")
    try:
        numbers = [float(p) for p in parts[1:3]]
    except ValueError:
        raise InvalidInput("leg", f"ring and talk must be seconds in {text!r}") from None
    return dial, Leg(parts[0], *numbers)


def parse_dtmf(text: str) -> tuple[float, str]:
    at, sep, keys = text.partition(":")
    try:
        moment = float(at)
    except ValueError:
        moment = -1
    if not sep or moment < 0 or not keys or any(k not in "0123456789*#ABCD" for k in keys):
        raise InvalidInput("dtmf", f"expected SECONDS:KEYS (e.g. 3.5:12#), got {text!r}")
    return moment, keys


def parse_transfer(text: str) -> Transfer:
    kind, _, rest = text.partition(":")
    after, _, extension = rest.partition(":")
    try:
        seconds = float(after)
    except ValueError:
        seconds = -1
    if seconds < 0 or not extension.isdigit() or len(extension) > 16:
        raise InvalidInput("transfer", f"expected blind|attended:SECONDS:EXTENSION (e.g. blind:3:1003), got {text!r}")
    return Transfer(kind, seconds, extension)
