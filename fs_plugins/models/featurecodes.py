"""A tenant's feature codes (component "featurecodes"). Rules and uses: fs_plugins/featurecodes/.

Only a tenant's changes are stored: a feature without a row has its default code
(fs_plugins.featurecodes.kinds), so a new default reaches every tenant that kept the old one.
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, utcnow
from fs_plugins.models.core import Tenant


class FeatureCode(BaseModel):
    tenant = peewee.ForeignKeyField(Tenant, backref="feature_codes", on_delete="CASCADE")
    feature = peewee.CharField(max_length=32)  # a name of fs_plugins.featurecodes.kinds.FEATURES
    code = peewee.CharField(max_length=8)  # "*72"; "" turns the feature off for the tenant
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "feature"), True),)


MODELS = (FeatureCode,)
MIGRATIONS: tuple = ()
