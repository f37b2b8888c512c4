"""A user's call handling: forwards, do-not-disturb, simultaneous ring, outbound restrictions.

Each resource is served twice: under /api/v1/me for the user themself, and under
/api/v1/tenants/{domain}/users/{extension} for the tenant's admin. Restrictions are set by admins
only (a user reads theirs); the tenant-wide restriction is at /api/v1/tenants/{domain}/restrictions.
"""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import OneOf, Range

from fs_plugins.api.common import api_fields, app_context, checked_change, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.guard import SELF, TENANT, access, principal, tenant
from fs_plugins.api.schema import Schema
from fs_plugins.application import AppContext, user_in_scope
from fs_plugins.callhandling import app
from fs_plugins.callhandling.numbers import CATEGORIES, format_allowed
from fs_plugins.models.callhandling import DND_MODES
from fs_plugins.references import DestinationView

bp = APIBlueprint("callhandling", __name__, url_prefix="/api/v1", tag="Call handling")
FORWARDS = {"always": "always", "no_answer": "no-answer", "busy": "busy", "not_registered": "not-registered"}
TARGET = "user:EXT, number:NUMBER, ivr:NAME, group:NAME, voicemail:EXT; null removes the forward"


class CallHandlingOut(Schema):
    always = String(required=True, allow_none=True)
    no_answer = String(required=True, allow_none=True)
    no_answer_seconds = Integer(required=True)
    busy = String(required=True, allow_none=True)
    not_registered = String(required=True, allow_none=True)
    dnd = Boolean(required=True)
    dnd_mode = String(required=True)


class CallHandlingPatch(Schema):
    always = String(allow_none=True, metadata={"description": TARGET})
    no_answer = String(allow_none=True, metadata={"description": TARGET, "example": "voicemail:1001"})
    no_answer_seconds = Integer(metadata={"example": 25})
    busy = String(allow_none=True, metadata={"description": TARGET})
    not_registered = String(allow_none=True, metadata={"description": TARGET})
    dnd = Boolean()
    dnd_mode = String(validate=OneOf(DND_MODES))


class RingOut(Schema):
    id = Integer(required=True)
    destination = String(required=True)
    delay = Integer(required=True)
    confirm = Boolean(required=True)


class RingIn(Schema):
    destination = String(required=True, metadata={"description": "user:EXT or number:NUMBER",
                                                  "example": "number:+34600123456"})
    delay = Integer(load_default=0, validate=Range(0, app.MAX_RING_DELAY))
    confirm = Boolean(load_default=False, metadata={"description": "the answerer must press a key (numbers only)"})


class RingList(Schema):
    items = List(Nested(RingOut), required=True)


class RestrictionOut(Schema):
    tenant = List(String(), required=True, allow_none=True, metadata={"description": "null: the defaults apply"})
    user = List(String(), required=True, allow_none=True)
    effective = List(String(), required=True, metadata={"description": "what may be called: both must allow it"})


class RestrictionIn(Schema):
    allow = List(String(validate=OneOf(CATEGORIES)), required=True,
                 metadata={"description": f"categories among {', '.join(CATEGORIES)}; [] allows only toll-free",
                           "example": ["national", "mobile"]})


Owner = tuple[str, str]  # (tenant domain, extension): a user as the application layer names one


def _ref(view: DestinationView | None) -> str | None:
    """A destination as clients write it (`user:1001`, `voicemail:1001`)."""
    return None if view is None else view.reference


def _shown(owner: Owner, ctx: AppContext | None = None) -> dict:
    return _as_shown(app.show(ctx or app_context(), *owner))


def _as_shown(view: app.CallHandlingView) -> dict:
    shown = {name: _ref(getattr(view, app.FORWARDS[when])) for name, when in FORWARDS.items()}
    return {**shown, "no_answer_seconds": view.no_answer_seconds, "dnd": view.dnd, "dnd_mode": view.dnd_mode}


def _ring(owner: Owner, ring: app.RingView) -> dict:
    return {"id": ring.id, "destination": _ref(ring.target), "delay": ring.delay, "confirm": ring.confirm}


def _rings(owner: Owner) -> dict:
    return {"items": [_ring(owner, r) for r in app.show(app_context(), *owner).rings]}


def _restriction(owner: Owner | None, ctx: AppContext | None = None) -> dict:
    view = app.restriction(ctx or app_context(), *(owner or (tenant().domain, None)))
    return {"tenant": _ordered(view.tenant), "user": _ordered(view.user), "effective": _ordered(view.effective)}


def _ordered(allowed) -> list[str] | None:
    return None if allowed is None else [c for c in CATEGORIES if c in allowed]


def _change(owner: Owner, body: dict) -> dict:
    with checked_change() as ctx:
        read: list[app.CallHandlingView] = []

        def current() -> app.CallHandlingView:
            """The settings as they are, read only when needed: to compare an ETag, for the DND a
            change of mode keeps, or to answer a change of nothing (If-Match: * and a new DND read
            nothing before writing)."""
            if not read:
                read.append(app.show(ctx, *owner))
            return read[0]

        view = None
        check_if_match(lambda: schema_of(CallHandlingOut).dump(_as_shown(current())))
        for name, when in FORWARDS.items():
            if name in body:
                with api_fields({"to": name, "seconds": "no_answer_seconds"}):
                    if body[name] is None:
                        view = app.clear_forward(ctx, *owner, when).value
                    else:
                        view = app.set_forward(ctx, *owner, when, body[name]).value
        if "no_answer_seconds" in body:
            with api_fields({"seconds": "no_answer_seconds"}):
                view = app.set_forward(ctx, *owner, "no-answer", None, body["no_answer_seconds"]).value
        if "dnd" in body or "dnd_mode" in body:
            with api_fields({"mode": "dnd_mode", "on": "dnd"}):
                on = body["dnd"] if "dnd" in body else (view or current()).dnd
                view = app.set_dnd(ctx, *owner, on, body.get("dnd_mode")).value
        if view is None:
            view = current()  # nothing to change
    return with_etag(CallHandlingOut, _as_shown(view))  # as the last change left it


def _add_ring(owner: Owner, body: dict):
    with api_fields({"to": "destination"}):
        view = app.add_ring(app_context(), *owner, body["destination"], body["delay"], body["confirm"]).value
    return _ring(owner, max(view.rings, key=lambda ring: ring.id)), 201  # the entry just made


def _remove_ring(owner: Owner, ring_id: int):
    app.remove_ring_entry(app_context(), *owner, ring_id)
    return ""


def _set_restriction(owner: Owner | None, body: dict):
    with checked_change() as ctx:
        check_if_match(schema_of(RestrictionOut).dump(_restriction(owner, ctx)))
        with api_fields({}):
            app.set_restriction(ctx, *(owner or (tenant().domain, None)), format_allowed(body["allow"]))
    return with_etag(RestrictionOut, _restriction(owner))


def _clear_restriction(owner: Owner | None):
    ctx = app_context()
    current = app.restriction(ctx, *(owner or (tenant().domain, None)))  # NotFound for a user not there
    if (current.tenant if owner is None else current.user) is not None:  # else the defaults already apply
        app.clear_restriction(ctx, *(owner or (tenant().domain, None)))
    return ""


def me() -> Owner:
    return principal().tenant_domain, principal().extension


def user(extension: str) -> Owner:
    """A user of the URL's tenant (404 naming `extension` when there is none)."""
    return tenant().domain, user_in_scope(app_context(), tenant(), extension, "extension").extension


USER = "/tenants/<domain>/users/<extension>"


@bp.get("/me/call-handling")
@access(SELF)
@bp.output(CallHandlingOut)
def get_my_call_handling():
    """The caller's forwards and do-not-disturb (with the ETag to send when changing them)."""
    return with_etag(CallHandlingOut, _shown(me()))


@bp.patch("/me/call-handling")
@access(SELF)
@bp.input(CallHandlingPatch, arg_name="body", example={"no_answer": "voicemail:1001", "no_answer_seconds": 25})
@bp.output(CallHandlingOut)
def change_my_call_handling(body):
    """Set or remove forwards (null removes), the ring time, do-not-disturb; send If-Match."""
    return _change(me(), body)


@bp.get(f"{USER}/call-handling")
@access(TENANT)
@bp.output(CallHandlingOut)
def get_call_handling(domain, extension):
    """A user's forwards and do-not-disturb."""
    return with_etag(CallHandlingOut, _shown(user(extension)))


@bp.patch(f"{USER}/call-handling")
@access(TENANT)
@bp.input(CallHandlingPatch, arg_name="body", example={"busy": "voicemail:1001", "dnd": True, "dnd_mode": "busy"})
@bp.output(CallHandlingOut)
def change_call_handling(domain, extension, body):
    """Set or remove a user's forwards, ring time, do-not-disturb; send If-Match."""
    return _change(user(extension), body)


@bp.get("/me/simring")
@access(SELF)
@bp.output(RingList)
def my_rings():
    """Phones that ring together with the caller's."""
    return _rings(me())


@bp.post("/me/simring")
@access(SELF)
@bp.input(RingIn, arg_name="body", example={"destination": "number:+34600123456", "delay": 5, "confirm": True})
@bp.output(RingOut, status_code=201)
def add_my_ring(body):
    """Ring another user or an external number too (allowed by the restrictions)."""
    return _add_ring(me(), body)


@bp.delete("/me/simring/<int:ring_id>")
@access(SELF)
@bp.output({}, status_code=204)
def remove_my_ring(ring_id):
    """Stop ringing that phone with the caller's."""
    return _remove_ring(me(), ring_id)


@bp.get(f"{USER}/simring")
@access(TENANT)
@bp.output(RingList)
def rings(domain, extension):
    """Phones that ring together with a user's."""
    return _rings(user(extension))


@bp.post(f"{USER}/simring")
@access(TENANT)
@bp.input(RingIn, arg_name="body", example={"destination": "number:+34600123456", "delay": 5, "confirm": True})
@bp.output(RingOut, status_code=201)
def add_ring(domain, extension, body):
    """Ring another user or an external number with a user's phones."""
    return _add_ring(user(extension), body)


@bp.delete(f"{USER}/simring/<int:ring_id>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_ring(domain, extension, ring_id):
    """Remove a simultaneous-ring entry."""
    return _remove_ring(user(extension), ring_id)


@bp.get("/me/restrictions")
@access(SELF)
@bp.output(RestrictionOut)
def my_restrictions():
    """What the caller may dial (set by the tenant's admin)."""
    return with_etag(RestrictionOut, _restriction(me()))


@bp.get("/tenants/<domain>/restrictions")
@access(TENANT)
@bp.output(RestrictionOut)
def tenant_restrictions(domain):
    """What the tenant's users may dial, unless narrowed per user."""
    return with_etag(RestrictionOut, _restriction(None))


@bp.put("/tenants/<domain>/restrictions")
@access(TENANT)
@bp.input(RestrictionIn, arg_name="body", example={"allow": ["national", "mobile"]})
@bp.output(RestrictionOut)
def set_tenant_restrictions(domain, body):
    """Set the tenant's allowed categories; send If-Match."""
    return _set_restriction(None, body)


@bp.delete("/tenants/<domain>/restrictions")
@access(TENANT)
@bp.output({}, status_code=204)
def clear_tenant_restrictions(domain):
    """Back to the defaults (national, mobile, special)."""
    return _clear_restriction(None)


@bp.get(f"{USER}/restrictions")
@access(TENANT)
@bp.output(RestrictionOut)
def user_restrictions(domain, extension):
    """What a user may dial: the tenant's categories narrowed by the user's."""
    return with_etag(RestrictionOut, _restriction(user(extension)))


@bp.put(f"{USER}/restrictions")
@access(TENANT)
@bp.input(RestrictionIn, arg_name="body", example={"allow": ["national"]})
@bp.output(RestrictionOut)
def set_user_restrictions(domain, extension, body):
    """Narrow what a user may dial; send If-Match."""
    return _set_restriction(user(extension), body)


@bp.delete(f"{USER}/restrictions")
@access(TENANT)
@bp.output({}, status_code=204)
def clear_user_restrictions(domain, extension):
    """Remove the user's own narrowing (the tenant's categories apply)."""
    return _clear_restriction(user(extension))
