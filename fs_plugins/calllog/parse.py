"""mod_json_cdr bodies -> `LegFacts`, the few facts of one call leg the call log needs.

What FreeSWITCH posts (see tests/fixtures/freeswitch/README.md, "json_cdr"):

* one JSON object per channel (leg); `variables` holds strings, `callflow` is a list of dialplan
  steps, newest first, each with a `caller_profile` and `times` (microseconds);
* with `encode-values=true` (the module's default) only the *values* of `variables` are
  URL-encoded (`1001%40acme.example`, `Alice%20Acme`); we detect that per document (below);
* with `encode=true` the whole body is a form field `cdr=<url-encoded JSON>`.

Parsing is pure: bytes in, a frozen dataclass out, `BadCdr` (a ValueError) for anything that is not
a CDR we can file. The leg keeps only what classification and the log use, plus every `pbx_*`
variable Centralita set, so the stored facts can be re-classified later.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from urllib.parse import parse_qs, unquote

import orjson

from fs_plugins import channel_vars

# Characters FreeSWITCH's switch_url_encode always escapes: a value holding one of them raw proves
# the document was not value-encoded (every CDR has `start_stamp` "YYYY-MM-DD hh:mm:ss").
_NEVER_RAW_WHEN_ENCODED = re.compile(r'[ "#&+:;<=>?@\[\\\]^`{|}]|%(?![0-9A-Fa-f]{2})')
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_UUID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.:-]{0,63}$")
_OUR_PREFIX = "pbx_"
_OUR_NAME = re.compile(r"\n(pbx_[^\n]*)")  # a name of ours, in the names joined on newlines


class BadCdr(ValueError):
    """The body is not a mod_json_cdr document we can file (the receiver answers 400)."""


@dataclass(frozen=True)
class LegFacts:
    uuid: str
    call_id: str  # the A leg's uuid: B legs name it in originating_leg_uuid/originator
    direction: str  # FreeSWITCH's view: "inbound" = the channel came to FreeSWITCH
    hangup_cause: str = ""
    originate_disposition: str = ""
    last_bridge_cause: str = ""
    sip_disposition: str = ""  # recv_bye, send_cancel, recv_cancel, send_refuse, …
    start_us: int = 0
    answer_us: int = 0
    bridge_us: int = 0
    end_us: int = 0
    transfers_us: tuple[int, ...] = ()  # when the leg was transferred (callflow transfer_time and history)
    dialed_user: str = ""  # set by the user/ endpoint on the channel it creates
    dialed_domain: str = ""
    steps: tuple[tuple[str, str], ...] = ()  # dialplan steps (context, destination), oldest first
    caller_name: str = ""  # the original caller id, from the oldest callflow step
    caller_number: str = ""
    presented_name: str = ""  # effective_caller_id_name: the name our dialplan presents onward
    last_app: str = ""  # the last dialplan application (A leg: "voicemail" when voicemail answered)
    pbx: tuple[tuple[str, str], ...] = field(default=())  # every pbx_* variable, sorted

    @property
    def is_a_leg(self) -> bool:
        return self.uuid == self.call_id

    @property
    def answered(self) -> bool:
        return self.answer_us > 0

    def var(self, name: str) -> str:
        for key, value in self.pbx:
            if key == name:
                return value
        return ""

    def flag(self, name: str) -> bool:
        return self.var(name).lower() == channel_vars.TRUE

    def to_json(self) -> str:
        # orjson writes a dataclass itself, its fields in order, tuples as arrays: the same text as
        # dumping {name: getattr(self, name)} (asdict() deep-copies: 10x slower), without the dict.
        return orjson.dumps(self).decode()

    @classmethod
    def from_json(cls, text: str) -> "LegFacts":
        data = orjson.loads(text)
        if tuple(data) != _FIELDS:  # stored by an older/newer version (or in another order)
            data = {k: v for k, v in data.items() if k in _FIELDS}
            return cls(**_with_tuples(data))
        return _built(_with_tuples(data))


_FIELDS = tuple(f.name for f in fields(LegFacts))


def _with_tuples(data: dict) -> dict:
    data["transfers_us"] = tuple(data["transfers_us"])
    data["steps"] = tuple(map(tuple, data["steps"]))
    data["pbx"] = tuple(map(tuple, data["pbx"]))
    return data


def _built(values: dict) -> LegFacts:
    """A LegFacts of `values`: every field, in the order of _FIELDS. A frozen dataclass's __init__
    sets each field through object.__setattr__, a call each: twenty for every leg parsed and every
    stored leg read back; the instance's __dict__ filled at once is the same object (eq, hash, repr
    read the fields, not how they were set). The order matters: orjson writes a dataclass's
    __dict__ in its order (to_json)."""
    facts = object.__new__(LegFacts)
    facts.__dict__.update(values)
    return facts


def decode_body(raw: bytes, content_type: str = "") -> dict:
    """The CDR document of a POST body (raw JSON, or the `cdr=` form of encode=true)."""
    raw = raw.strip() if raw else b""
    if not raw:
        raise BadCdr("empty body")
    if raw.startswith(b"cdr=") or "x-www-form-urlencoded" in content_type.lower():
        values = parse_qs(_text(raw), keep_blank_values=True).get("cdr")
        if not values:
            raise BadCdr("form body without a cdr field")
        raw = values[0].encode("utf-8")
    try:
        document = orjson.loads(raw)  # 2-3x faster than json on these ~10 KB bodies
    except orjson.JSONDecodeError as exc:
        _text(raw)
        raise BadCdr(f"body is not JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("variables"), dict):
        raise BadCdr("JSON has no 'variables' object")
    return document


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadCdr("body is not UTF-8") from None


class _Variables:
    """`variables` as the parser reads it: each value made a str and URL-decoded (when the document
    was posted with encode-values=true) only when read. A leg has ~150 variables and the log reads
    about twenty: decoding them all was a third of the CPU of parsing a post."""

    __slots__ = ("_raw", "_encoded")

    def __init__(self, raw: dict):
        self._raw = raw
        stamp = raw.get("start_stamp", "")
        if isinstance(stamp, str):
            self._encoded = _value_encoded({"start_stamp": stamp} if stamp else _as_text(raw))
        else:
            self._encoded = _value_encoded(_as_text(raw))

    def get(self, key: str) -> str:
        value = self._raw.get(key, "")
        if value.__class__ is not str:
            value = str(value)
        # unquote of a value without "%" is the value: not called (a Python function) for it
        return unquote(value) if self._encoded and "%" in value else value

    def ours(self) -> tuple[tuple[str, str], ...]:
        """Every pbx_* variable (Centralita's own), sorted."""
        return tuple(sorted((key, self.get(key)) for key in _our_names(self._raw)))


def _our_names(variables: dict) -> list[str]:
    """The names of `variables` starting with pbx_, in their order. A leg has ~150 names and ~2 of
    ours: tested one by one in a comprehension, they were a third of the bytecodes of a post
    (~92,000 instructions a leg, callgrind); joined on newlines and searched by one regular
    expression, both in C, ~50,000. A name holding a newline (never FreeSWITCH's) would cut a
    match short or fake one: a match that is no name, or is found twice, proves it, and then (or
    when a name is not a str: join takes only those) each name is tested."""
    try:
        found = _OUR_NAME.findall("\n" + "\n".join(variables))
    except TypeError:
        found = None
    if found is None or not all(map(variables.__contains__, found)) or len(set(found)) != len(found):
        return [key for key in variables if key and key[0] == "p" and key[:4] == _OUR_PREFIX]
    return found



def _as_text(variables: dict) -> dict[str, str]:
    return {str(k): v if isinstance(v, str) else str(v) for k, v in variables.items()}


def _value_encoded(values: dict[str, str]) -> bool:
    # Fast answer from a value FreeSWITCH always sets and that always holds a space and colons.
    stamp = values.get("start_stamp", "")
    if stamp and not _NEVER_RAW_WHEN_ENCODED.search(stamp):
        return bool(_ESCAPE.search(stamp))
    if stamp:
        return False
    return any(_ESCAPE.search(v) for v in values.values()) and not any(
        _NEVER_RAW_WHEN_ENCODED.search(v) for v in values.values()
    )


def parse_leg(document: dict, expected_uuid: str | None = None) -> LegFacts:
    variables = _Variables(document["variables"])
    uuid = variables.get("uuid") or expected_uuid or ""
    if not uuid or not _UUID.match(uuid):
        raise BadCdr("variables.uuid missing or malformed")
    if expected_uuid and expected_uuid != uuid:
        raise BadCdr("uuid in the URL differs from the body's variables.uuid")
    originator = variables.get("originating_leg_uuid") or variables.get("originator") or ""
    steps, transfers, caller = _callflow(document.get("callflow"))
    # Both sources: the callflow has dialplan transfers to the microsecond; the history also has
    # bridges made outside the dialplan (uuid_br, att_xfer), to the second (never later than real).
    transfers = tuple(sorted({*transfers, *_history_transfers(variables.get("transfer_history"))}))
    return _built(dict(
        uuid=uuid,
        call_id=originator if _UUID.match(originator) else uuid,
        direction=variables.get("direction") or str(document.get("channel_data", {}).get("direction", "")),
        hangup_cause=variables.get("hangup_cause"),
        originate_disposition=variables.get("originate_disposition"),
        last_bridge_cause=variables.get("last_bridge_hangup_cause"),
        sip_disposition=variables.get("sip_hangup_disposition"),
        start_us=_micros(variables, "start_uepoch", "start_epoch"),
        answer_us=_micros(variables, "answer_uepoch", "answer_epoch"),
        bridge_us=_micros(variables, "bridge_uepoch", "bridge_epoch"),
        end_us=_micros(variables, "end_uepoch", "end_epoch"),
        transfers_us=transfers,
        dialed_user=variables.get("dialed_user"),
        dialed_domain=variables.get("dialed_domain"),
        steps=steps,
        caller_name=caller[0],
        caller_number=caller[1],
        presented_name=variables.get("effective_caller_id_name"),
        last_app=variables.get("last_app"),
        pbx=variables.ours(),
    ))


def parse_body(raw: bytes, content_type: str = "", expected_uuid: str | None = None) -> LegFacts:
    document = decode_body(raw, content_type)
    try:
        return parse_leg(document, expected_uuid)
    except BadCdr:
        raise
    except (TypeError, AttributeError, ValueError, KeyError) as exc:  # JSON of an unexpected shape
        raise BadCdr(f"unexpected CDR structure: {type(exc).__name__}") from None


def _micros(variables: _Variables, micro_key: str, second_key: str) -> int:
    try:
        value = int(variables.get(micro_key) or 0)
        return value if value > 0 else int(variables.get(second_key) or 0) * 1_000_000
    except ValueError:
        raise BadCdr(f"variables.{micro_key} is not a number") from None


def _callflow(callflow) -> tuple[tuple, tuple, tuple[str, str]]:
    """Dialplan steps oldest first, transfer instants, and the original caller (name, number)."""
    if isinstance(callflow, dict):  # a single step is sometimes posted as an object
        callflow = [callflow]
    if not isinstance(callflow, list):
        return (), (), ("", "")
    steps, transfers, caller = [], [], ("", "")
    for step in reversed(callflow):
        if not isinstance(step, dict):
            continue
        profile = step.get("caller_profile")
        profile = profile if isinstance(profile, dict) else {}
        steps.append((str(profile.get("context", "")), str(profile.get("destination_number", ""))))
        if caller == ("", ""):
            caller = (str(profile.get("caller_id_name", "")), str(profile.get("caller_id_number", "")))
        times = step.get("times")
        try:
            moment = int(times.get("transfer_time") or 0) if isinstance(times, dict) else 0
        except (TypeError, ValueError):
            moment = 0
        if moment > 0:
            transfers.append(moment)
    return tuple(steps), tuple(sorted(transfers)), caller


def _history_transfers(history: str) -> tuple[int, ...]:
    """`<epoch>:<uuid>:bl_xfer:<dest>`, several as `ARRAY::a|:b`: the instants, in microseconds."""
    if history.startswith("ARRAY::"):
        entries = history[len("ARRAY::"):].split("|:")
    else:
        entries = [history] if history else []
    moments = []
    for entry in entries:
        head = entry.split(":", 1)[0]
        if head.isdecimal():
            moments.append(int(head) * 1_000_000)
    return tuple(sorted(moments))
