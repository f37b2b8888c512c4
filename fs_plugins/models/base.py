"""What every table shares: the database it lives in, timestamps, the Destination column."""
from __future__ import annotations

import datetime as dt

import peewee

from fs_plugins.destinations import Destination

# Bound to a real database by fs_plugins.db.bind(); nothing connects at import time.
database = peewee.DatabaseProxy()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class DestinationField(peewee.TextField):
    """Stores a Destination as ``kind:target``; reading a row gives the value back, validated."""

    def db_value(self, value):
        if value is None:
            return None
        if isinstance(value, str):
            value = Destination.parse(value, field=self.name)
        return str(value)

    def python_value(self, value):
        if value is None:
            return None
        return Destination.parse(value, field=self.name)
