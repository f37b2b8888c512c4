"""The core of the data model: tenants, their users, their numbers.

Every other table of the product hangs off a Tenant (directly or through a User), so tenant
isolation is a matter of always filtering by tenant. Features add their own tables in their own
modules (each a schema component of its plugin); this file does not change for them.
"""
from __future__ import annotations

import peewee
from playhouse.migrate import migrate

from fs_plugins.models.base import BaseModel, DestinationField, utcnow


class Tenant(BaseModel):
    """A customer company. Its SIP domain is also its FreeSWITCH dialplan context."""

    name = peewee.CharField(max_length=120)
    domain = peewee.CharField(max_length=253, unique=True)
    timezone = peewee.CharField(max_length=64, default="Europe/Madrid")
    language = peewee.CharField(max_length=16, default="es")
    country = peewee.CharField(max_length=2, default="ES")  # ISO 3166-1 alpha-2
    region = peewee.CharField(max_length=16, null=True)  # ISO 3166-2 subdivision code, e.g. MD
    # A suspended customer keeps everything, but FreeSWITCH's directory no longer finds its users
    # (xml_curl.lookups): their phones cannot register until it is resumed.
    suspended = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)


class User(BaseModel):
    """A person with an extension. The SIP password is kept only as FreeSWITCH's digest a1-hash."""

    tenant = peewee.ForeignKeyField(Tenant, backref="users", on_delete="CASCADE")
    extension = peewee.CharField(max_length=16)
    display_name = peewee.CharField(max_length=120)
    email = peewee.CharField(max_length=254, null=True)
    enabled = peewee.BooleanField(default=True)
    a1_hash = peewee.CharField(max_length=32)  # md5("extension:domain:password")
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "extension"), True),)


class Number(BaseModel):
    """A DID in E.164, owned by exactly one tenant, routed to a destination."""

    tenant = peewee.ForeignKeyField(Tenant, backref="numbers", on_delete="CASCADE")
    e164 = peewee.CharField(max_length=16, unique=True)
    destination = DestinationField()
    description = peewee.CharField(max_length=120, null=True)
    created_at = peewee.DateTimeField(default=utcnow)


class ShortNumber(BaseModel):
    """An internal short number (dialled inside the tenant) that reaches an IVR menu or a group.

    Short numbers share the tenant's dialling space with user extensions; the code that creates
    one checks that no extension uses it and vice versa.
    """

    tenant = peewee.ForeignKeyField(Tenant, backref="short_numbers", on_delete="CASCADE")
    number = peewee.CharField(max_length=16)
    destination = DestinationField()

    class Meta:
        indexes = ((("tenant", "number"), True),)


def add_tenant_suspended(migrator, db) -> None:
    """tenant.suspended: the operator suspends a customer (its users stop registering)."""
    migrate(migrator.add_column(Tenant._meta.table_name, "suspended", Tenant.suspended))


MODELS = (Tenant, User, Number, ShortNumber)
# Upgrade steps for databases created by an older version, oldest first; see fs_plugins.db.
# Version 1 -> 2 adds tenant.suspended.
MIGRATIONS: tuple = (add_tenant_suspended,)
