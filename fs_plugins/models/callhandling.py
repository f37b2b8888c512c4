"""Per-user call handling (component "callhandling"): forwards, do-not-disturb, simultaneous ring,
and outbound restrictions per tenant and per user. Rules and uses: fs_plugins/callhandling/.

Every row hangs off a user (deleted with it) or a tenant. Destination columns hold Destination
values only (never a dial string); the dialplan checks them again at call time, because a row can
be changed behind the service's back.
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, DestinationField, utcnow
from fs_plugins.models.core import Tenant, User

from fs_plugins.callhandling.kinds import (  # noqa: F401  (re-exported: the model's vocabulary)
    DEFAULT_NO_ANSWER_SECONDS, DND_MODES, MAX_NO_ANSWER_SECONDS, MIN_NO_ANSWER_SECONDS,
)


class CallHandling(BaseModel):
    """One user's settings. No row means: ring for the default time, no forwards, no DND."""

    user = peewee.ForeignKeyField(User, unique=True, backref="call_handling", on_delete="CASCADE")
    forward_always = DestinationField(null=True)
    forward_no_answer = DestinationField(null=True)
    no_answer_seconds = peewee.IntegerField(default=DEFAULT_NO_ANSWER_SECONDS)
    forward_busy = DestinationField(null=True)
    forward_not_registered = DestinationField(null=True)
    dnd = peewee.BooleanField(default=False)
    dnd_mode = peewee.CharField(max_length=16, default="busy")  # one of DND_MODES
    updated_at = peewee.DateTimeField(default=utcnow)


class SimRing(BaseModel):
    """An extra phone that rings together with the user: another user or an external number."""

    user = peewee.ForeignKeyField(User, backref="sim_rings", on_delete="CASCADE")
    destination = DestinationField()  # user:<id> or number:<E.164>
    # The user of a user:<id> destination, kept beside it so the dialplan's read is a primary-key
    # join; the read also checks it still matches `destination` (a hand-edited row cannot split them).
    target_user = peewee.ForeignKeyField(User, null=True, backref="rung_by", on_delete="CASCADE")
    delay = peewee.IntegerField(default=0)  # seconds after the user's phones start ringing
    confirm = peewee.BooleanField(default=False)  # the answerer must press a key (external only)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "destination"), True),)


class OutboundRestriction(BaseModel):
    """Which kinds of external numbers may be called: tenant-wide (user NULL) or for one user.

    ``allowed`` is a comma-separated list of fs_plugins.callhandling.numbers.CATEGORIES. A user may
    call a number only if both allow it (no tenant row: the defaults; no user row: as the tenant).
    """

    tenant = peewee.ForeignKeyField(Tenant, backref="outbound_restrictions", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, null=True, backref="outbound_restrictions", on_delete="CASCADE")
    allowed = peewee.CharField(max_length=120)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "user"), True),)


MODELS = (CallHandling, SimRing, OutboundRestriction)
MIGRATIONS: tuple = ()
