"""Contacts: personal (owned by one user) and common (tenant-wide) directory entries.

The tenant's users are part of the common directory too, but they are never copied here: the
contacts service and the caller-name lookup read them from the user table at query time, so a
renamed or removed user is never stale in anyone's directory.

``contact_number`` carries ``tenant`` and the normalised ``e164`` itself (denormalised from its
contact) so the caller-name lookup on the dialplan hot path is one indexed probe on
(tenant, e164) instead of a scan over the tenant's contacts.
"""
from __future__ import annotations

import peewee

from fs_plugins.models.base import BaseModel, utcnow
from fs_plugins.models.core import Tenant, User

NUMBER_KINDS = ("work", "mobile", "home", "other")


class Contact(BaseModel):
    """One directory entry. ``owner`` set: a personal contact only that user sees; NULL: common."""

    # No index of its own on tenant: the (tenant, owner, name) index below starts with it.
    tenant = peewee.ForeignKeyField(Tenant, backref="contacts", on_delete="CASCADE", index=False)
    owner = peewee.ForeignKeyField(User, null=True, backref="contacts", on_delete="CASCADE")
    name = peewee.CharField(max_length=120)
    company = peewee.CharField(max_length=120, null=True)
    email = peewee.CharField(max_length=254, null=True)
    note = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("tenant", "owner", "name"), False),)


class ContactNumber(BaseModel):
    """A typed number of a contact: as the user typed it, and normalised to E.164 for matching."""

    contact = peewee.ForeignKeyField(Contact, backref="numbers", on_delete="CASCADE")
    tenant = peewee.ForeignKeyField(Tenant, on_delete="CASCADE", index=False)  # (tenant, e164) covers it
    kind = peewee.CharField(max_length=8)  # one of NUMBER_KINDS
    number = peewee.CharField(max_length=40)  # as typed, shown back to the user
    e164 = peewee.CharField(max_length=16)

    class Meta:
        indexes = ((("tenant", "e164"), False),)


MODELS = (Contact, ContactNumber)
MIGRATIONS: tuple = ()
