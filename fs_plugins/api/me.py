"""/api/v1/me: a user's own data. More of it (forwards, DND, call log…) hangs off this prefix."""
from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import String

from fs_plugins.api.guard import SELF, access, principal
from fs_plugins.models import User

bp = APIBlueprint("me", __name__, url_prefix="/api/v1/me", tag="Me")


class MeOut(Schema):
    tenant = String(required=True)
    extension = String(required=True)
    name = String(required=True)
    email = String(required=True, allow_none=True)


def me() -> User:
    """The caller's own user row (SELF views only)."""
    return User.get_by_id(principal().user_id)


@bp.get("")
@access(SELF)
@bp.output(MeOut)
def get_me():
    """The caller's own user."""
    user = me()
    return {"tenant": principal().tenant_domain, "extension": user.extension, "name": user.display_name,
            "email": user.email}
