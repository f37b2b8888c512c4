"""The session a custom flow receives: the call, its facts, its tenant's data, its settings.

The stable API (docs/flows.md documents every member). What it does not offer is deliberate: no
raw Channel, no FreeSWITCH API, no dial strings, no channel variables outside the flow's own
``pbx_fv_`` names, no query that is not filtered by the call's tenant. Every value sent to
FreeSWITCH still goes through the ESL adapter's one encoder; sounds are FreeSWITCH sound paths or
the tenant's own audio files; destinations are resolved inside the tenant and routed by the
dialplan with every check applied again (restrictions, tenant boundary, hop limit).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from types import MappingProxyType
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

import gevent

from fs_plugins import dialstrings
from fs_plugins.callflows import loader
from fs_plugins.callflows.budget import Budget
from fs_plugins.callflows.records import Route
from fs_plugins.channel import BridgeTarget, CallGone, Channel, SessionInfo, tone
from fs_plugins.destinations import HANGUP_CAUSES, ROUTING_PREFIX, Destination
from fs_plugins.errors import InvalidInput
from fs_plugins.fsvalues import neutralise

log = logging.getLogger(__name__)

_SOUND = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]{0,200}\Z")  # a path under FreeSWITCH's sounds folder
_VAR = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")
VAR_PREFIX = "pbx_fv_"
SILENCE = "silence_stream://250"
MAX_RECORD_FIELDS = 20
NOTE_LENGTH = 140


class FlowSession:
    def __init__(self, channel: Channel, route: Route, tenant: loader.TenantFacts, settings: Mapping[str, Any],
                 budget: Budget, data: loader.TenantData, resolve: Callable[[int, str], Destination],
                 clock: Callable[[], dt.datetime]):
        self._channel = channel
        self._route = route
        self._budget = budget
        self._resolve = resolve
        self._clock = clock
        self.tenant = data  # read-only helpers over the tenant's own data
        self.settings: Mapping[str, Any] = MappingProxyType(dict(settings))
        info: SessionInfo = channel.info
        self.uuid = info.uuid
        self.caller = info.caller_number
        self.caller_name = info.caller_name
        self.dialled = _dialled(info)
        self.domain = tenant.domain
        self.language = tenant.language
        self.timezone = tenant.timezone
        self.flow = route.flow
        self.route = route.name
        self.handed_on = False  # transferred or hung up: the flow is done with the call

    # --- facts ------------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        """The time of the call in the tenant's zone."""
        return self._clock().astimezone(ZoneInfo(self.timezone))

    # --- the call ---------------------------------------------------------------------------
    def answer(self) -> None:
        with self._budget.waiting():
            self._channel.answer()

    def play(self, sound: str) -> bool:
        """Play a sound: ``message:NAME`` (the tenant's audio library), ``tone:MS[:HZ]`` or a path
        under FreeSWITCH's sounds folder (``ivr/ivr-welcome.wav``). False when it could not play."""
        path = self._sound(sound)
        with self._budget.waiting():
            return bool(self._channel.play(path))

    def say(self, number: int) -> None:
        """Say a whole number in the call's language."""
        with self._budget.waiting():
            self._channel.say(int(number))

    def collect(self, prompt: str | None = None, *, max_digits: int = 1, min_digits: int = 1,
                timeout: float = 5.0, terminators: str = "#", tries: int = 1) -> str:
        """Play `prompt` and wait for keys; the digits typed ("" when nothing valid came)."""
        if any(ch not in "0123456789*#" for ch in terminators):
            raise InvalidInput("terminators", "keys are 0-9, * and #")
        path = self._sound(prompt) if prompt else SILENCE
        with self._budget.waiting():
            got = self._channel.collect(path, min_digits=min_digits, max_digits=max_digits, timeout=timeout,
                                        terminators=terminators, tries=tries)
        return got.digits if got.ok else ""

    def bridge(self, extension: str, *, timeout: int = 30, on_connected: Callable[[], None] | None = None) -> str:
        """Ring the tenant's user `extension` (all their phones) and connect the caller; returns
        when that conversation ends, or at once when nobody took it. The outcome: answered, busy,
        no_answer, rejected, not_registered or failed. The caller stays in the flow afterwards."""
        user = self.tenant.user(str(extension))
        if user is None:
            raise InvalidInput("extension", f"no user {extension!r} in this tenant")
        target = BridgeTarget(dialstrings.user(user.extension, self.domain), int(timeout))
        with self._budget.waiting():
            outcome = self._channel.bridge([target], timeout=int(timeout),
                                           on_connected=(lambda _uuid: on_connected()) if on_connected else None)
        return outcome.status

    def transfer(self, destination: str | Destination) -> None:
        """Hand the call to a destination of the tenant (``user:1001``, ``ivr:Main``,
        ``voicemail:``, ``number:+34…``, a setting of type destination). The flow is done after it."""
        target = destination if isinstance(destination, Destination) else self._resolve(self._route.tenant_id, destination)
        with self._budget.waiting():
            self._channel.transfer(target.routing_extension, self.domain)
        self.handed_on = True

    def hangup(self, cause: str = "NORMAL_CLEARING") -> None:
        if cause not in HANGUP_CAUSES:
            raise InvalidInput("cause", f"must be one of {', '.join(HANGUP_CAUSES)}")
        with self._budget.waiting():
            self._channel.hangup(cause)
        self.handed_on = True

    def set_var(self, name: str, value: str) -> None:
        """Keep a value on the call (``pbx_fv_<name>``: in the CDR, readable by a later flow)."""
        with self._budget.waiting():
            self._channel.set(self._var(name), neutralise(str(value), 200))

    def get_var(self, name: str) -> str | None:
        with self._budget.waiting():
            return self._channel.get(self._var(name))

    # --- the flow's own data ---------------------------------------------------------------
    def store(self, **values: Any) -> None:
        """Store one record for the tenant (a survey's answers): text, numbers, booleans."""
        if not values or len(values) > MAX_RECORD_FIELDS:
            raise InvalidInput("values", f"store 1 to {MAX_RECORD_FIELDS} values")
        clean = {}
        for key, value in values.items():
            if not isinstance(value, (str, int, float, bool)) and value is not None:
                raise InvalidInput(key, "must be text, a number, true/false or None")
            clean[key] = value[:200] if isinstance(value, str) else value
        self._budget.check()
        loader.store_record(self._route, self.uuid, self.caller, clean)

    def note(self, text: str) -> None:
        """One short note on the call's log entry (at most 140 characters; a later note replaces it)."""
        self._budget.check()
        loader.store_note(self._route, self.uuid, neutralise(str(text), NOTE_LENGTH))

    # --- cooperative helpers ---------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Wait without holding other calls (counts against the budget)."""
        self._budget.check()
        gevent.sleep(seconds)

    def compute(self, function: Callable, *args: Any) -> Any:
        """Run CPU-heavy `function(*args)` in a worker thread so other calls go on meanwhile. The
        flow waits for it within its budget (a thread cannot be stopped: it runs to its end)."""
        self._budget.check()
        return gevent.get_hub().threadpool.apply(function, args)

    def http_json(self, url: str, *, params: Mapping[str, str] | None = None, timeout: float = 3.0) -> Any:
        """GET `url` (with `params` as its query) and the JSON it answers, or None when it fails,
        answers no JSON or takes longer than `timeout` seconds."""
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise InvalidInput("url", "must be an http:// or https:// address")
        self._budget.check()
        full = url + ("&" if "?" in url else "?") + urllib.parse.urlencode(params) if params else url
        try:
            with gevent.Timeout(timeout), urllib.request.urlopen(full, timeout=timeout) as answer:
                return json.loads(answer.read(1_000_000))
        except (gevent.Timeout, OSError, ValueError, urllib.error.URLError) as exc:
            log.info("flow %s: %s did not answer JSON in time: %s", self.flow, url, exc)
            return None

    # --- checks -----------------------------------------------------------------------------
    def _sound(self, sound: str) -> str:
        kind, _, rest = str(sound).partition(":")
        if kind == "message" and rest:
            return self.tenant.audio_path(rest)
        if kind == "tone" and rest:
            ms, _, hz = rest.partition(":")
            try:
                return tone(int(ms), int(hz or 440))
            except ValueError:
                raise InvalidInput("sound", "tone:MS[:HZ] with MS up to 600000 and HZ below 20000") from None
        if not _SOUND.match(sound) or ".." in sound:
            raise InvalidInput("sound", f"{sound!r}: a path under FreeSWITCH's sounds, message:NAME or tone:MS")
        return sound

    @staticmethod
    def _var(name: str) -> str:
        if not _VAR.match(name or ""):
            raise InvalidInput("name", "lower-case letters, digits and _ (at most 32)")
        return VAR_PREFIX + name


def _dialled(info: SessionInfo) -> str:
    """The number the caller dialled; a call handed on by a menu or forward arrives at a routing
    extension (pbx-flow-3), so SIP's request user says what was dialled."""
    for number in (info.destination, info.variables.get("sip_req_user", ""), info.variables.get("sip_to_user", "")):
        if number and not number.startswith(ROUTING_PREFIX):
            return number
    return ""


__all__ = ["FlowSession", "CallGone"]
