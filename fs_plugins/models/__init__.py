"""THE data model, in one place.

Each component lists its tables and its upgrade steps. A feature adds a component (its own module
here) instead of reshaping the core; `fs_plugins.db.upgrade` creates or upgrades each one and
records its version in `schema_version`.
"""
from __future__ import annotations

from fs_plugins.models import core
from fs_plugins.models import contacts as contacts_models
from fs_plugins.models import schedule as schedule_models
from fs_plugins.models import calllog as calllog_models
from fs_plugins.models import callhandling as callhandling_models
from fs_plugins.models import audio as audio_models
from fs_plugins.models import ivr as ivr_models
from fs_plugins.models import groups as groups_models
from fs_plugins.models import access as access_models
from fs_plugins.models import audit as audit_models
from fs_plugins.models import portal as portal_models
from fs_plugins.models.base import BaseModel, DestinationField, database, utcnow
from fs_plugins.models.core import Number, ShortNumber, Tenant, User

# (component name, its tables in creation order, its upgrade steps). Order matters: a component's
# tables may refer to those listed before it.
COMPONENTS = [
    ("core", core.MODELS, core.MIGRATIONS),
    ("contacts", contacts_models.MODELS, contacts_models.MIGRATIONS),
    ("schedule", schedule_models.MODELS, schedule_models.MIGRATIONS),
    ("calls", calllog_models.MODELS, calllog_models.MIGRATIONS),
    ("callhandling", callhandling_models.MODELS, callhandling_models.MIGRATIONS),
    ("audio", audio_models.MODELS, audio_models.MIGRATIONS),
    ("groups", groups_models.MODELS, groups_models.MIGRATIONS),
    ("ivr", ivr_models.MODELS, ivr_models.MIGRATIONS),
    ("access", access_models.MODELS, access_models.MIGRATIONS),
    ("audit", audit_models.MODELS, audit_models.MIGRATIONS),
    ("portal", portal_models.MODELS, portal_models.MIGRATIONS),
]

__all__ = [
    "BaseModel", "COMPONENTS", "DestinationField", "Number", "ShortNumber", "Tenant", "User",
    "database", "utcnow",
]
