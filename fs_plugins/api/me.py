"""/api/v1/me: a user's own data. More of it (forwards, DND, call log…) hangs off this prefix."""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import String

from fs_plugins.api.common import app_context
from fs_plugins.api.guard import SELF, access, principal
from fs_plugins.api.schema import Schema
from fs_plugins.core import app

bp = APIBlueprint("me", __name__, url_prefix="/api/v1/me", tag="Me")


class MeOut(Schema):
    tenant = String(required=True)
    extension = String(required=True)
    name = String(required=True)
    email = String(required=True, allow_none=True)


@bp.get("")
@access(SELF)
@bp.output(MeOut)
def get_me():
    """The caller's own user."""
    return app.get_user(app_context(), principal().tenant_domain, principal().extension)
