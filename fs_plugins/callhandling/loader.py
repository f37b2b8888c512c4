"""The dialplan's reads for call handling: one prepared statement per call, no query builder.

Every call to a user reads that user's settings, simultaneous-ring entries (with the extension of
ring targets that are users *of the same tenant*, and whether they are in do-not-disturb) and
the restrictions that apply to them in one UNION ALL over indexed lookups; an outbound call reads
the caller's restrictions and the DID to present in one more. Rows are turned into frozen records (records.py) here and nowhere else;
a hand-edited row that no longer parses is logged and ignored, never passed on.
"""
from __future__ import annotations

import functools
import logging

from fs_plugins import prepared
from fs_plugins.callhandling.numbers import stored_allowed
from fs_plugins.callhandling.records import OutboundData, RingLeg, Settings, UserCallData, combine_allowed
from fs_plugins.destinations import Destination
from fs_plugins.errors import InvalidInput
from fs_plugins.models.callhandling import DND_MODES, MAX_NO_ANSWER_SECONDS, MIN_NO_ANSWER_SECONDS

log = logging.getLogger(__name__)

_USER_SQL = """
SELECT 0 AS part, h.forward_always AS a, h.forward_no_answer AS b, h.forward_busy AS c,
       h.forward_not_registered AS d, h.no_answer_seconds AS n, CASE WHEN h.dnd THEN 1 ELSE 0 END AS f,
       h.dnd_mode AS m
  FROM call_handling h WHERE h.user_id = ?
UNION ALL
SELECT 1, s.destination, t.extension, CASE WHEN th.dnd THEN 'dnd' END, NULL, s.delay,
       CASE WHEN s.confirm THEN 1 ELSE 0 END, NULL
  FROM sim_ring s LEFT JOIN "user" t
    ON t.id = s.target_user_id AND s.destination = 'user:' || CAST(t.id AS TEXT) AND t.tenant_id = ?
   AND t.enabled = ?
  LEFT JOIN call_handling th ON th.user_id = t.id
 WHERE s.user_id = ?
UNION ALL
SELECT 2, r.allowed, NULL, NULL, NULL, CASE WHEN r.user_id IS NULL THEN 0 ELSE 1 END, 0, NULL
  FROM outbound_restriction r WHERE r.tenant_id = ? AND (r.user_id IS NULL OR r.user_id = ?)
"""

_CALLER = '(SELECT u.id FROM "user" u WHERE u.tenant_id = ? AND u.extension = ?)'
_OUTBOUND_SQL = f"""
SELECT 0 AS part, r.allowed AS v, CASE WHEN r.user_id IS NULL THEN 0 ELSE 1 END AS k
  FROM outbound_restriction r WHERE r.tenant_id = ? AND (r.user_id IS NULL OR r.user_id = {_CALLER})
UNION ALL
SELECT 1, x.e164, x.mine FROM (
  SELECT n.e164 AS e164,
         CASE WHEN n.destination = 'user:' || CAST({_CALLER} AS TEXT) THEN 1 ELSE 0 END AS mine
    FROM number n WHERE n.tenant_id = ? ORDER BY mine DESC, n.id LIMIT 1) x
"""
def user_call(db, tenant_id: int, user_id: int) -> UserCallData:
    params = (user_id, tenant_id, True, user_id, tenant_id, user_id)
    rows = prepared.run_planned(db, _USER_SQL, params).fetchall()
    settings, legs, restrictions = Settings(), [], {}
    for part, a, b, c, d, n, f, m in rows:
        if part == 0:
            settings = _settings(user_id, a, b, c, d, n, f, m)
        elif part == 1:
            leg = _leg(user_id, a, b, n, f) if c != "dnd" else None  # a ring target in DND does not ring
            if leg is not None:
                legs.append(leg)
        else:
            restrictions[bool(n)] = stored_allowed(a)
    legs.sort(key=lambda leg: (leg.delay, str(leg.destination)))
    allowed = combine_allowed(restrictions.get(False), restrictions.get(True))
    return UserCallData(settings, tuple(legs), allowed)


def outbound(db, tenant_id: int, extension: str) -> OutboundData:
    """Restrictions of the calling user (or the tenant's alone) and the DID to present."""
    params = (tenant_id, tenant_id, extension, tenant_id, extension, tenant_id)
    restrictions, caller_id = {}, None
    for part, value, key in prepared.run_planned(db, _OUTBOUND_SQL, params).fetchall():
        if part == 0:
            restrictions[bool(key)] = stored_allowed(value)
        else:
            caller_id = value
    user_row = restrictions.get(True) if extension else None
    return OutboundData(combine_allowed(restrictions.get(False), user_row), caller_id)


def _destination(user_id: int, text: str | None, what: str) -> Destination | None:
    if not text:
        return None
    destination = _parse(text)
    if destination is None:
        log.warning("user %s: ignoring unreadable %s %r", user_id, what, text)
    return destination


@functools.lru_cache(maxsize=8192)
def _parse(text: str) -> Destination | None:
    """Stored destinations repeat call after call; parsing one is most of this module's time."""
    try:
        return Destination.parse(text)
    except InvalidInput:
        return None


def _settings(user_id, always, no_answer, busy, not_registered, seconds, dnd, mode) -> Settings:
    seconds = seconds if isinstance(seconds, int) else 0
    return Settings(
        forward_always=_destination(user_id, always, "forward-always"),
        forward_no_answer=_destination(user_id, no_answer, "forward-no-answer"),
        no_answer_seconds=min(max(seconds, MIN_NO_ANSWER_SECONDS), MAX_NO_ANSWER_SECONDS),
        forward_busy=_destination(user_id, busy, "forward-busy"),
        forward_not_registered=_destination(user_id, not_registered, "forward-not-registered"),
        dnd=bool(dnd),
        dnd_mode=mode if mode in DND_MODES else "busy",
    )


def _leg(user_id, destination, extension, delay, confirm) -> RingLeg | None:
    target = _destination(user_id, destination, "simultaneous-ring entry")
    if target is None or target.kind not in ("user", "number"):
        return None
    if target.kind == "user" and not extension:
        log.warning("user %s: simultaneous ring to %s is not a user of the same tenant; skipped", user_id, target)
        return None
    delay = delay if isinstance(delay, int) and delay >= 0 else 0
    return RingLeg(target, delay, bool(confirm) and target.kind == "number", extension or None)
