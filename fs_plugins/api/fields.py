"""Fields the API's schemas share beyond APIFlask's own."""
from __future__ import annotations

import datetime as dt

from apiflask.fields import DateTime


class UtcDateTime(DateTime):
    """RFC 3339 with its offset: the database keeps naive UTC, clients get `…Z`-style UTC times."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return super()._serialize(value, attr, obj, **kwargs)
