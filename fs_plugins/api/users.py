"""/api/v1/tenants/{domain}/users: a tenant's extensions (SIP accounts).

SIP passwords are write-only: set on creation (or generated and shown once in that answer) and
with PUT …/sip-password; stored only as FreeSWITCH's a1-hash, never returned.
"""
from __future__ import annotations

from dataclasses import asdict

from apiflask import APIBlueprint
from apiflask.fields import Boolean, String

from fs_plugins.api import paging
from fs_plugins.api.common import api_fields, app_context, checked_change, page_schema, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.fields import UtcDateTime
from fs_plugins.api.guard import TENANT, access, tenant
from fs_plugins.api.schema import Schema
from fs_plugins.core import app

bp = APIBlueprint("users", __name__, url_prefix="/api/v1/tenants/<domain>/users", tag="Users")
# core.app names the rename option as the CLI does; the API calls it `extension`.
FIELDS = {"new_extension": "extension"}


class UserOut(Schema):
    extension = String(required=True)
    name = String(required=True)
    email = String(required=True, allow_none=True)
    enabled = Boolean(required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)


class UserCreated(UserOut):
    sip_password = String(allow_none=True, metadata={
        "description": "the generated SIP password when none was given: shown only in this answer"})


class UserPatch(Schema):
    name = String(metadata={"example": "Ana García López"})
    email = String(allow_none=True, metadata={"example": "ana.garcia@acme.example.com"})
    enabled = Boolean(metadata={"example": False})
    extension = String(metadata={"description": "renumber the user (needs `password`: the SIP digest "
                                                "hash includes the extension)"})
    password = String(load_only=True, metadata={"description": "new SIP password"})


class UserIn(Schema):
    extension = String(required=True, metadata={"example": "1005"})
    name = String(required=True, metadata={"example": "Eva Martín"})
    email = String(allow_none=True, metadata={"example": "eva@acme.example.com"})
    password = String(load_only=True, metadata={"description": "SIP password; omit to have one generated"})
    enabled = Boolean(load_default=True)


class SipPassword(Schema):
    password = String(required=True, load_only=True, metadata={"example": "n3w-Secret-pass"})


UserPage = page_schema(UserOut, "UserPage")


@bp.get("")
@access(TENANT)
@bp.input(paging.PageQuery, location="query", arg_name="query")
@bp.output(UserPage)
def list_users(domain, query):
    """The tenant's users by extension, a page at a time."""
    ctx = app_context()
    return paging.keyset(lambda after, limit: app.list_users(ctx, tenant().domain, after, limit), "extension", query)


@bp.post("")
@access(TENANT)
@bp.input(UserIn, arg_name="body", example={"extension": "1005", "name": "Eva Martín",
                                            "email": "eva@acme.example.com"})
@bp.output(UserCreated, status_code=201)
def create_user(domain, body):
    """Create a user; without `password` a SIP password is generated and returned once."""
    done = app.add_user(app_context(), tenant().domain, body["extension"], body["name"], body.get("email"),
                        body.get("password"), body["enabled"])
    created = {**asdict(done.value.user), "sip_password": done.value.sip_password}
    return with_etag(UserCreated, created, 201,
                     {"Location": f"/api/v1/tenants/{tenant().domain}/users/{done.value.user.extension}"})


def _user(extension: str) -> app.UserView:
    """The user as the API shows it, within the caller's scope."""
    return app.get_user(app_context(), tenant().domain, extension)


@bp.get("/<extension>")
@access(TENANT)
@bp.output(UserOut)
def get_user(domain, extension):
    """One user (with its ETag)."""
    return with_etag(UserOut, _user(extension))


@bp.patch("/<extension>")
@access(TENANT)
@bp.input(UserPatch, arg_name="body", example={"name": "Ana García López", "enabled": False})
@bp.output(UserOut)
def update_user(domain, extension, body):
    """Change name, e-mail, enabled, extension (with a new password) or SIP password; send If-Match."""
    with checked_change() as ctx, api_fields(FIELDS):
        check_if_match(lambda: schema_of(UserOut).dump(_user(extension)))  # read only to compare an ETag
        done = app.set_user(ctx, tenant().domain, extension, body.get("name"), body.get("email"),
                            body.get("password"), body.get("enabled"), body.get("extension"))
    return with_etag(UserOut, done.value)  # the user as the change left it (and stored it)


@bp.put("/<extension>/sip-password")
@access(TENANT)
@bp.input(SipPassword, arg_name="body", example={"password": "n3w-Secret-pass"})
@bp.output({}, status_code=204)
def set_sip_password(domain, extension, body):
    """Set the user's SIP password (the phone must be reconfigured with it).

    No If-Match: it replaces a secret nobody can read, so nothing is overwritten unseen."""
    with api_fields(FIELDS):
        app.set_user(app_context(), tenant().domain, extension, password=body["password"])
    return ""


@bp.delete("/<extension>")
@access(TENANT)
@bp.output({}, status_code=204)
def delete_user(domain, extension):
    """Remove a user (409 while a number, menu or group still routes to them)."""
    with checked_change() as ctx, api_fields(FIELDS):
        check_if_match(schema_of(UserOut).dump(_user(extension)), required=False)
        app.remove_user(ctx, tenant().domain, extension)
    return ""
