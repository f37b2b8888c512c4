"""THE data model: the core's tables here, each feature's in its own module beside them.

Each module lists its tables (MODELS) and upgrade steps (MIGRATIONS); the feature's plugin names
them as a schema component (fs_plugins.plugins.Component), and `fs_plugins.db.upgrade` creates or
upgrades every installed component and records its version in `schema_version`. Nothing here
imports a feature.
"""
from __future__ import annotations

from fs_plugins.models.base import BaseModel, DestinationField, database, utcnow
from fs_plugins.models.core import Number, ShortNumber, Tenant, User

__all__ = ["BaseModel", "DestinationField", "Number", "ShortNumber", "Tenant", "User", "database", "utcnow"]
