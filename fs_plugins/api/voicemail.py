"""Voicemail box settings: a user's box (/api/v1/me/voicemail, or the admin's
/api/v1/tenants/{domain}/users/{extension}/voicemail) and the tenant's general box
(/api/v1/tenants/{domain}/voicemail). The PIN is write-only (stored as mod_voicemail's vm-a1-hash).

Messages themselves are FreeSWITCH's: mod_voicemail records and stores them in its own database on
the FreeSWITCH machine, which this server does not reach; listing, listening and deleting them
through the API needs that storage or mod_voicemail's API over the event socket (not done yet).
"""
from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, String

from fs_plugins.api.common import api_fields, app_context, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.guard import SELF, TENANT, access, principal
from fs_plugins.voicemail import app as voicemail

bp = APIBlueprint("voicemail", __name__, url_prefix="/api/v1", tag="Voicemail")
FIELDS = {"user": "extension", "attach": "attach_audio", "keep": "keep_after_email"}


class BoxOut(Schema):
    exists = Boolean(required=True, metadata={"description": "false: no box yet (calls to it are not taken)"})
    enabled = Boolean(required=True)
    pin_set = Boolean(required=True)
    email = String(required=True, allow_none=True)
    attach_audio = Boolean(required=True)
    keep_after_email = Boolean(required=True)


class BoxIn(Schema):
    pin = String(allow_none=True, load_only=True, metadata={"description": "4 to 10 digits; \"\" removes it",
                                                            "example": "2468"})
    email = String(allow_none=True, metadata={"description": "send messages by e-mail; \"\" stops it",
                                              "example": "ana@acme.example.com"})
    attach_audio = Boolean()
    keep_after_email = Boolean()
    enabled = Boolean()


def _shown(domain: str, extension: str | None) -> dict:
    with api_fields(FIELDS):
        box = voicemail.find_box(app_context(), domain, extension)
    if box is None:
        return {"exists": False, "enabled": False, "pin_set": False, "email": None, "attach_audio": False,
                "keep_after_email": False}
    return {"exists": True, "enabled": box.enabled, "pin_set": box.pin_set, "email": box.email,
            "attach_audio": box.attach_audio, "keep_after_email": box.keep_after_email}


def _set(domain: str, extension: str | None, body: dict):
    current = _shown(domain, extension)
    if current["exists"]:
        check_if_match(BoxOut().dump(current))
    with api_fields(FIELDS):
        voicemail.set_box(app_context(), domain, extension, pin=body.get("pin"), email=body.get("email"),
                          attach=body.get("attach_audio"), keep=body.get("keep_after_email"),
                          enabled=body.get("enabled"))
    return with_etag(BoxOut(), _shown(domain, extension), 200 if current["exists"] else 201)


def _remove(domain: str, extension: str | None):
    with api_fields(FIELDS):
        voicemail.remove_box(app_context(), domain, extension)
    return ""


@bp.get("/me/voicemail")
@access(SELF)
@bp.output(BoxOut)
def my_box():
    """The caller's voicemail box settings."""
    return with_etag(BoxOut(), _shown(principal().tenant_domain, principal().extension))


@bp.put("/me/voicemail")
@access(SELF)
@bp.input(BoxIn, arg_name="body", example={"pin": "2468", "email": "ana@acme.example.com"})
@bp.output(BoxOut)
def set_my_box(body):
    """Create or change the caller's box (If-Match when it exists)."""
    return _set(principal().tenant_domain, principal().extension, body)


@bp.get("/tenants/<domain>/users/<extension>/voicemail")
@access(TENANT)
@bp.output(BoxOut)
def user_box(domain, extension):
    """A user's voicemail box settings."""
    return with_etag(BoxOut(), _shown(domain, extension))


@bp.put("/tenants/<domain>/users/<extension>/voicemail")
@access(TENANT)
@bp.input(BoxIn, arg_name="body", example={"pin": "2468", "email": "ana@acme.example.com", "attach_audio": True})
@bp.output(BoxOut)
def set_user_box(domain, extension, body):
    """Create or change a user's box (If-Match when it exists)."""
    return _set(domain, extension, body)


@bp.delete("/tenants/<domain>/users/<extension>/voicemail")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_user_box(domain, extension):
    """Remove a user's box (calls to it are no longer taken)."""
    return _remove(domain, extension)


@bp.get("/tenants/<domain>/voicemail")
@access(TENANT)
@bp.output(BoxOut)
def general_box(domain):
    """The tenant's general box (`voicemail:` destinations)."""
    return with_etag(BoxOut(), _shown(domain, None))


@bp.put("/tenants/<domain>/voicemail")
@access(TENANT)
@bp.input(BoxIn, arg_name="body", example={"email": "recepcion@acme.example.com"})
@bp.output(BoxOut)
def set_general_box(domain, body):
    """Create or change the general box (If-Match when it exists)."""
    return _set(domain, None, body)


@bp.delete("/tenants/<domain>/voicemail")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_general_box(domain):
    """Remove the general box."""
    return _remove(domain, None)
