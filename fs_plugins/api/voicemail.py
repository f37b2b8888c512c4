"""Voicemail box settings: a user's box (/api/v1/me/voicemail, or the admin's
/api/v1/tenants/{domain}/users/{extension}/voicemail) and the tenant's general box
(/api/v1/tenants/{domain}/voicemail). The PIN is write-only (stored as mod_voicemail's vm-a1-hash).

Messages are mod_voicemail's: listed, played and deleted through its `vm_fsdb_*` API over the event
socket (fs_plugins.voicemail.inbox and .messages), under `…/voicemail/messages`: a user their own
box (/me), a tenant admin every box of the tenant and the general one. 503 when FreeSWITCH cannot be
asked; the recording is served only when its folder is readable here (`voicemail_files_dir`).
"""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String
from flask import send_file

from fs_plugins.api.common import api_fields, app_context, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import SELF, TENANT, access, principal
from fs_plugins.api.openapi import needs_freeswitch
from fs_plugins.api.schema import Schema
from fs_plugins.voicemail import app as voicemail
from fs_plugins.voicemail import inbox

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


class MessageOut(Schema):
    id = String(required=True, attribute="uuid", metadata={"description": "mod_voicemail's message id"})
    received = UtcDateTime(required=True)
    caller_name = String(required=True)
    caller_number = String(required=True)
    seconds = Integer(required=True)
    heard = Boolean(required=True)
    urgent = Boolean(required=True)


class MessageList(Schema):
    items = List(Nested(MessageOut), required=True, metadata={"description": "newest first"})


def _messages(domain: str, extension: str | None) -> dict:
    with api_fields(FIELDS):
        return {"items": inbox.list_messages(app_context(), domain, extension)}


def _listen(domain: str, extension: str | None, message: str):
    with api_fields(FIELDS):
        path = inbox.recording(app_context(), domain, extension, message)
    return send_file(path, mimetype="audio/wav", max_age=0, conditional=False)


def _delete(domain: str, extension: str | None, message: str):
    with api_fields(FIELDS):
        inbox.delete_message(app_context(), domain, extension, message)
    return ""


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
        check_if_match(schema_of(BoxOut).dump(current))
    with api_fields(FIELDS):
        voicemail.set_box(app_context(), domain, extension, pin=body.get("pin"), email=body.get("email"),
                          attach=body.get("attach_audio"), keep=body.get("keep_after_email"),
                          enabled=body.get("enabled"))
    return with_etag(BoxOut, _shown(domain, extension), 200 if current["exists"] else 201)


def _remove(domain: str, extension: str | None):
    with api_fields(FIELDS):
        voicemail.remove_box(app_context(), domain, extension)
    return ""


@bp.get("/me/voicemail")
@access(SELF)
@bp.output(BoxOut)
def my_box():
    """The caller's voicemail box settings."""
    return with_etag(BoxOut, _shown(principal().tenant_domain, principal().extension))


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
    return with_etag(BoxOut, _shown(domain, extension))


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
    return with_etag(BoxOut, _shown(domain, None))


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


# ---- messages ------------------------------------------------------------------------------
WAV = {"content_type": "audio/wav", "description": "The recording (marks the message heard)"}


@bp.get("/me/voicemail/messages")
@access(SELF)
@needs_freeswitch
@bp.output(MessageList)
def my_messages():
    """The messages in the caller's box, newest first."""
    return _messages(principal().tenant_domain, principal().extension)


@bp.get("/me/voicemail/messages/<message>/audio")
@access(SELF)
@needs_freeswitch
@bp.output({}, **WAV)
def listen_my_message(message):
    """Listen to a message (WAV); it is then marked heard."""
    return _listen(principal().tenant_domain, principal().extension, message)


@bp.delete("/me/voicemail/messages/<message>")
@access(SELF)
@needs_freeswitch
@bp.output({}, status_code=204)
def delete_my_message(message):
    """Delete a message from the caller's box."""
    return _delete(principal().tenant_domain, principal().extension, message)


@bp.get("/tenants/<domain>/users/<extension>/voicemail/messages")
@access(TENANT)
@needs_freeswitch
@bp.output(MessageList)
def user_messages(domain, extension):
    """The messages in a user's box, newest first."""
    return _messages(domain, extension)


@bp.get("/tenants/<domain>/users/<extension>/voicemail/messages/<message>/audio")
@access(TENANT)
@needs_freeswitch
@bp.output({}, **WAV)
def listen_user_message(domain, extension, message):
    """Listen to a message of a user's box (WAV); it is then marked heard."""
    return _listen(domain, extension, message)


@bp.delete("/tenants/<domain>/users/<extension>/voicemail/messages/<message>")
@access(TENANT)
@needs_freeswitch
@bp.output({}, status_code=204)
def delete_user_message(domain, extension, message):
    """Delete a message from a user's box."""
    return _delete(domain, extension, message)


@bp.get("/tenants/<domain>/voicemail/messages")
@access(TENANT)
@needs_freeswitch
@bp.output(MessageList)
def general_messages(domain):
    """The messages in the tenant's general box, newest first."""
    return _messages(domain, None)


@bp.get("/tenants/<domain>/voicemail/messages/<message>/audio")
@access(TENANT)
@needs_freeswitch
@bp.output({}, **WAV)
def listen_general_message(domain, message):
    """Listen to a message of the general box (WAV); it is then marked heard."""
    return _listen(domain, None, message)


@bp.delete("/tenants/<domain>/voicemail/messages/<message>")
@access(TENANT)
@needs_freeswitch
@bp.output({}, status_code=204)
def delete_general_message(domain, message):
    """Delete a message from the general box."""
    return _delete(domain, None, message)
