"""Phone auto-provisioning (component "provisioning"): desk phones known by MAC address.

A MAC is unique across tenants (a phone asks for its file before anyone knows its tenant). The
device's own credential (HTTP Basic: the MAC and a random secret shown once) is kept only as its
SHA-256 (fs_plugins.access.secrets); the SIP password in the file is derived from that secret when
the phone presents it, so nothing stored here gives a SIP password to whoever reads the table.
"""
from __future__ import annotations

import peewee
from playhouse.migrate import migrate

from fs_plugins.models.base import BaseModel, utcnow
from fs_plugins.models.core import Tenant, User


class Device(BaseModel):
    tenant = peewee.ForeignKeyField(Tenant, backref="devices", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, unique=True, backref="devices", on_delete="CASCADE")
    mac = peewee.CharField(max_length=12, unique=True)  # 12 lowercase hex digits
    vendor = peewee.CharField(max_length=16)  # fs_plugins.provisioning.kinds.VENDORS
    secret_digest = peewee.CharField(max_length=64)
    blf = peewee.CharField(max_length=200, default="")  # colleagues' extensions, comma-separated, in key order
    # A key whose lamp is the tenant's general voicemail box (the phone subscribes to general@domain).
    general_mwi = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)


def add_general_mwi(migrator, db) -> None:
    """device.general_mwi: the phone shows the general voicemail box's lamp on a key"""
    migrate(migrator.add_column(Device._meta.table_name, "general_mwi", Device.general_mwi))


MODELS = (Device,)
MIGRATIONS: tuple = (add_general_mwi,)
