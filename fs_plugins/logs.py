"""How Centralita logs: one line per event on stderr, as text or as JSON (``log_format``).

Every line logged while a call is handled carries the call's uuid, tenant and flow: the ESL
session binds them once (`bind_call`, done by fs_plugins.metrics.counting_flows before the flow
runs) and a logging filter adds them to each record. They live in a context variable, and every
greenlet starts with a context of its own, so concurrent calls never see each other's values and
nothing has to be unbound when a session ends.

JSON is python-json-logger's formatter rather than structlog: every module already logs through
the standard library (`logging.getLogger(__name__)`), and a formatter changes the output without
changing one call site; structlog would want its own logger objects to pay off.
"""
from __future__ import annotations

import contextvars
import logging
import sys

from pythonjsonlogger.json import JsonFormatter

CALL_FIELDS = ("call_uuid", "tenant", "flow")
FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(call)s"
_call: contextvars.ContextVar[dict] = contextvars.ContextVar("centralita_call", default={})


def bind_call(uuid: str = "", tenant: str = "", flow: str = "") -> None:
    """From here on, in this greenlet, log lines say which call they are about."""
    _call.set({"call_uuid": uuid, "tenant": tenant, "flow": flow})


def current_call() -> dict:
    return _call.get()


class CallContext(logging.Filter):
    """Adds call_uuid, tenant and flow to every record (empty outside a call) and, for text
    lines, a ` [call=… tenant=… flow=…]` suffix when there is a call."""

    def filter(self, record: logging.LogRecord) -> bool:
        bound = _call.get()
        for name in CALL_FIELDS:
            setattr(record, name, bound.get(name, ""))
        record.call = (f" [call={bound['call_uuid']} tenant={bound['tenant']} flow={bound['flow']}]"
                       if bound.get("call_uuid") else "")
        return True


def configure(level: str, log_format: str = "text", stream=None) -> logging.Handler:
    """Send every logger's records to stderr (or `stream`), one line each, replacing any earlier
    handler this function installed."""
    if log_format not in FORMATS:
        raise ValueError(f"log_format must be one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.addFilter(CallContext())
    if log_format == "json":
        handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                                           rename_fields={"levelname": "level", "name": "logger"},
                                           reserved_attrs=_RESERVED + ("call",)))
    else:
        handler.setFormatter(_OneLine(TEXT_FORMAT))
    handler._centralita = True
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_centralita", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return handler


class _Stderr(logging.StreamHandler):
    """Whatever sys.stderr is when a line is written (a test, or a daemon, may replace it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


class _OneLine(logging.Formatter):
    """A traceback or a message with line breaks stays one line: `\\n` is written as ` | `, so a log
    shipper never splits an event and a forged line break cannot fake a second event."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", " | ")


_RESERVED = tuple(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) + ("message", "asctime")
