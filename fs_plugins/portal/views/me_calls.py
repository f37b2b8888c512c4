"""A user's call log, as the seed shows it: a colour per status, filters received / missed / made and
day / week / month, the columns status, time, presented name, number, duration and wait before
answer (and why a made call was never answered: issue 13's cause column), and the CSV export of what the filters select, read through fs_plugins.calllog.app: pages by
keyset (each page costs what the first does, however deep), periods in the tenant's time zone."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from flask import Blueprint, Response, g, request, stream_with_context
from flask_babel import lazy_gettext as _l

from fs_plugins.calllog import app as calllog
from fs_plugins.calllog import log
from fs_plugins.calllog import classify
from fs_plugins.calllog.classify import Status
from fs_plugins.errors import InvalidInput
from fs_plugins.ids import parse_bigint, parse_id
from fs_plugins.portal.context import app_context, me
from fs_plugins.portal.guard import SELF, area
from fs_plugins.portal.i18n import duration, label, page_text, when_formatter
from fs_plugins.portal.pages import Outcome, page

bp = Blueprint("me_calls", __name__)

# The seed's status names are the Spanish catalog's translations of these.
STATUS_LABELS = {
    Status.MADE: _l("Made"), Status.WRONG_NUMBER: _l("Made (wrong number)"),
    Status.RESTRICTED: _l("Made (restricted)"), Status.CANCELLED: _l("Cancelled"),
    Status.RECEIVED: _l("Received"), Status.DND: _l("Do not disturb"), Status.MISSED: _l("Missed"),
    Status.REJECTED: _l("Rejected"), Status.FORWARDED: _l("Forwarded, not answered"),
    Status.TRANSFERRED: _l("Transferred"),
}
STATUSES = tuple((status, STATUS_LABELS[status]) for status in Status)  # the colour key, in Status' order
# Why a made call ended "Cancelled" (call_entry.cause); "voicemail": a mailbox took it, not a person.
CAUSE_LABELS = {
    classify.VOICEMAIL: _l("Answered by voicemail"), classify.CALLER_HUNG_UP: _l("Hung up before the answer"),
    classify.BUSY: _l("Busy"), classify.DECLINED: _l("Declined"), classify.NO_ANSWER: _l("No answer"),
    classify.UNREACHABLE: _l("Unreachable"),
}
KIND_OPTIONS = (("", _l("All calls")), ("received", _l("Received calls")), ("missed", _l("Missed calls")),
                ("made", _l("Made calls")))
PERIOD_OPTIONS = (("", _l("Any time")), ("day", _l("Day")), ("week", _l("Week")), ("month", _l("Month")))


def _query(tenant: str, extension: str) -> log.LogQuery:
    kind = request.args.get("type") or None
    period = request.args.get("period") or None
    text = request.args.get("day", "").strip()
    day = log.period_date(period, text, "day") if period and text else None
    if period and day is None:
        day = dt.datetime.now(log.tenant_zone(g.tenant_row.timezone)).date()  # today, where the tenant is
    return log.LogQuery(tenant=tenant, user=extension, kind=kind, period=period, day=day)


def _after() -> tuple[int, int] | None:
    """The page key of the "older" link: started_at.id of the last entry shown."""
    started, _, entry_id = request.args.get("after", "").partition(".")
    key = (parse_bigint(started), parse_id(entry_id))
    return None if None in key else key


@bp.get("/me/calls")
@area(SELF)
def calls():
    tenant, extension = me()
    outcome = None
    try:
        query = _query(tenant, extension)
    except InvalidInput as exc:
        query, outcome = log.LogQuery(tenant=tenant, user=extension), Outcome.refused(exc)
    entries, following = calllog.calls_after(app_context(), query, _after())
    filters = {"type": query.kind or "", "period": query.period or "",
               "day": query.day.isoformat() if query.day else ""}
    rows = _rows(entries, _status_looks(page_text(STATUS_LABELS)), page_text(CAUSE_LABELS))
    return page("me/calls.html", None, outcome, rows=rows, deeper=bool(request.args.get("after")),
                older=f"{following[0]}.{following[1]}" if following else None, filters=filters,
                statuses=page_text(STATUSES), kinds=page_text(KIND_OPTIONS), periods=page_text(PERIOD_OPTIONS),
                link=lambda **more: _link(filters, **more))


def _status_looks(labels) -> dict[Status, tuple[str, str, str]]:
    """Each status' (code, colour, label) for the rows: one lookup a row where the template asked
    the status three times, each through Jinja's getattr and the enum's properties (50 rows a page)."""
    return {status: (status.code, status.colour, labels[status]) for status in Status}


def _rows(entries, looks, causes) -> list[tuple]:
    """What each row shows, in the template's order (code, colour, status label, start as ISO and as
    read, name, number, duration, wait, cause, note): the template unpacks a tuple where it asked each
    entry's fields through Jinja's getattr and four filters, a dozen calls a row (50 rows a page)."""
    shown = when_formatter()
    return [(*looks[entry.status], entry.started.isoformat(), shown(entry.started),
             entry.caller_name if entry.kind != "made" else entry.answered_by,
             entry.caller_number if entry.kind != "made" else entry.callee,
             duration(entry.talk_seconds), duration(entry.ring_seconds), label(entry.cause, causes), entry.note)
            for entry in entries]


def _link(filters: dict, **more) -> str:
    values = {key: value for key, value in {**filters, **more}.items() if value}
    return "?" + urlencode(values) if values else "?"


@bp.get("/me/calls.csv")
@area(SELF)
def calls_csv():
    tenant, extension = me()
    chunks = calllog.calls_csv(app_context(), _query(tenant, extension))  # checks the scope before the first byte
    return Response(stream_with_context(chunks), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="calls-{extension}.csv"'})
