"""Feature codes and pickup groups: the codes a tenant's users dial from their phones (the admin
changes them; every user reads them at /api/v1/me/feature-codes, for their phone's keys) and
whose ringing calls each user takes with *8."""
from __future__ import annotations

from dataclasses import asdict

from apiflask import APIBlueprint
from apiflask.fields import List, Nested, String

from fs_plugins.api.common import api_fields, app_context, checked_change, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.schema import Schema
from fs_plugins.errors import NotFound
from fs_plugins.api.guard import SELF, TENANT, access, principal, tenant
from fs_plugins.featurecodes import app
from fs_plugins.featurecodes.kinds import FEATURES

bp = APIBlueprint("featurecodes", __name__, url_prefix="/api/v1", tag="Feature codes")


class CodeOut(Schema):
    feature = String(required=True, metadata={"example": "dnd_on"})
    code = String(required=True, metadata={"description": "what to dial; \"\" when the feature is off",
                                           "example": "*78"})
    default = String(required=True)
    argument = String(required=True, metadata={"description": "what follows the code: none, number or extension"})
    description = String(required=True)


class CodeList(Schema):
    items = List(Nested(CodeOut), required=True)


CODE_HELP = "* or # and 1 to 7 of 0-9 * #; \"\" turns the feature off; null brings its default back"
CodesPatch = Schema.from_dict({feature.name: String(allow_none=True, metadata={"description": CODE_HELP})
                               for feature in FEATURES}, name="CodesPatch")


class PickupOut(Schema):
    extension = String(required=True)
    name = String(required=True)
    group = String(required=True, metadata={"description": "\"\": the tenant's own group (every user without one)"})


class PickupList(Schema):
    items = List(Nested(PickupOut), required=True)


class PickupIn(Schema):
    group = String(required=True, metadata={"description": "the pickup group's name; \"\" for the tenant's own",
                                            "example": "Ventas"})


def _codes(views) -> dict:
    return {"items": [asdict(view) for view in views]}


@bp.get("/me/feature-codes")
@access(SELF)
@bp.output(CodeList)
def list_my_feature_codes():
    """The codes the caller can dial from their phone."""
    return _codes(app.list_codes(app_context(), principal().tenant_domain))


@bp.get("/tenants/<domain>/feature-codes")
@access(TENANT)
@bp.output(CodeList)
def list_feature_codes(domain):
    """Every feature and the code the tenant's users dial for it (with the ETag to send when changing them)."""
    return with_etag(CodeList, _codes(app.list_codes(app_context(), tenant().domain)))


@bp.patch("/tenants/<domain>/feature-codes")
@access(TENANT)
@bp.input(CodesPatch, arg_name="body", example={"dnd_on": "*4", "intercom": None})
@bp.output(CodeList)
def change_feature_codes(domain, body):
    """Give features other codes ("" turns one off, null brings its default back), all or nothing:
    a code that clashes with another or is malformed is refused naming that feature."""
    with checked_change() as ctx:
        check_if_match(CodeList().dump(_codes(app.list_codes(ctx, tenant().domain))))
        for feature, code in body.items():
            with api_fields({"code": feature}):
                if code is None:
                    if any(v.feature == feature and v.changed for v in app.list_codes(ctx, tenant().domain)):
                        app.reset_code(ctx, tenant().domain, feature)
                else:
                    app.set_code(ctx, tenant().domain, feature, code)
    return with_etag(CodeList, _codes(app.list_codes(app_context(), tenant().domain)))


@bp.get("/tenants/<domain>/pickup-groups")
@access(TENANT)
@bp.output(PickupList)
def list_pickup_groups(domain):
    """Every user of the tenant and their pickup group."""
    return {"items": [asdict(view) for view in app.list_pickup(app_context(), tenant().domain)]}


@bp.put("/tenants/<domain>/users/<extension>/pickup-group")
@access(TENANT)
@bp.input(PickupIn, arg_name="body", example={"group": "Ventas"})
@bp.output(PickupOut)
def set_pickup_group(domain, extension, body):
    """Put a user in a pickup group ("" : back in the tenant's own); send If-Match (the list's
    entry of the user, or *)."""
    with checked_change() as ctx:
        current = next((v for v in app.list_pickup(ctx, tenant().domain) if v.extension == extension), None)
        if current is None:
            raise NotFound("extension", f"no user {extension!r} in {tenant().domain}")
        check_if_match(schema_of(PickupOut).dump(asdict(current)))
        done = app.set_pickup_group(ctx, tenant().domain, extension, body["group"]).value
    return with_etag(PickupOut, asdict(done))
