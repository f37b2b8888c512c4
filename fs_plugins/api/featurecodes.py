"""Feature codes and pickup groups: the codes a tenant's users dial from their phones (the admin
changes them; every user reads them at /api/v1/me/feature-codes, for their phone's keys) and
whose ringing calls each user takes with *8."""
from __future__ import annotations

from dataclasses import asdict

from apiflask import APIBlueprint, Schema
from apiflask.fields import List, Nested, String

from fs_plugins.api.common import app_context
from fs_plugins.api.guard import SELF, TENANT, access, principal, tenant
from fs_plugins.featurecodes import app

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


class CodeIn(Schema):
    code = String(required=True, metadata={"description": "* or # and 1 to 7 of 0-9 * #; \"\" turns it off",
                                           "example": "*4"})


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


def _one(views, feature: str) -> dict:
    return next(asdict(view) for view in views if view.feature == feature)


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
    """Every feature and the code the tenant's users dial for it."""
    return _codes(app.list_codes(app_context(), tenant().domain))


@bp.put("/tenants/<domain>/feature-codes/<feature>")
@access(TENANT)
@bp.input(CodeIn, arg_name="body", example={"code": "*4"})
@bp.output(CodeOut)
def set_feature_code(domain, feature, body):
    """Give a feature another code ("" turns it off); refused when it clashes with another code."""
    return _one(app.set_code(app_context(), tenant().domain, feature, body["code"]).value, feature)


@bp.delete("/tenants/<domain>/feature-codes/<feature>")
@access(TENANT)
@bp.output({}, status_code=204)
def reset_feature_code(domain, feature):
    """Back to the default code (404 when it has it already)."""
    app.reset_code(app_context(), tenant().domain, feature)
    return ""


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
    """Put a user in a pickup group ("" : back in the tenant's own)."""
    return asdict(app.set_pickup_group(app_context(), tenant().domain, extension, body["group"]).value)
