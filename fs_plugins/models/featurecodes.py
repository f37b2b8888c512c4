"""A tenant's feature codes and pickup groups (component "featurecodes"). Rules and uses:
fs_plugins/featurecodes/.

Only a tenant's changes are stored: a feature without a row has its default code
(fs_plugins.featurecodes.kinds), so a new default reaches every tenant that kept the old one; a
user without a pickup group is in the tenant's (every user of the tenant without one).
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, utcnow
from fs_plugins.models.core import Tenant, User


class FeatureCode(BaseModel):
    tenant = peewee.ForeignKeyField(Tenant, backref="feature_codes", on_delete="CASCADE")
    feature = peewee.CharField(max_length=32)  # a name of fs_plugins.featurecodes.kinds.FEATURES
    code = peewee.CharField(max_length=8)  # "*72"; "" turns the feature off for the tenant
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "feature"), True),)


class PickupMember(BaseModel):
    """The pickup group of one user: *8 picks up calls ringing the users of the same group."""

    user = peewee.ForeignKeyField(User, unique=True, backref="pickup_membership", on_delete="CASCADE")
    group = peewee.CharField(max_length=32)  # a name of the tenant's choosing ("Ventas")


def add_pickup_groups(migrator, db) -> None:
    """pickup_member: users in pickup groups (before, every user picked up any colleague's call)."""
    db.create_tables([PickupMember], safe=True)


MODELS = (FeatureCode, PickupMember)
# Upgrade steps, oldest first (fs_plugins.db). Version 1 -> 2 adds pickup groups.
MIGRATIONS: tuple = (add_pickup_groups,)
