"""The hot-path reads of the xml_curl handler, as prepared SQL over one connection.

Every REGISTER and every call waits on these (DESIGN.md: handler latency is registration
capacity), so they skip peewee's query builder (30–40× raw SQL on this lookup) and return frozen
dataclasses; benches/b1_xml_curl.py measures every path they serve.
"""
from __future__ import annotations

from dataclasses import dataclass

import peewee

from fs_plugins import prepared
from fs_plugins.destinations import Destination
from fs_plugins.voicemail.boxes import BOX_COLUMNS
from xml_curl.cache import Cache


@dataclass(frozen=True)
class TenantInfo:
    id: int
    domain: str
    name: str
    timezone: str
    language: str
    country: str
    # The operator suspended this customer: its calls are refused (Router.refusal), its users not found.
    suspended: bool = False


@dataclass(frozen=True)
class DirectoryUser:
    id: int
    tenant: TenantInfo
    extension: str
    display_name: str
    email: str | None
    enabled: bool
    a1_hash: str

    @property
    def user_id(self) -> str:
        """The pbx_user_id marker: "<extension>@<domain>"."""
        return f"{self.extension}@{self.tenant.domain}"


_TENANT_COLUMNS = "t.id, t.domain, t.name, t.timezone, t.language, t.country, t.suspended"
_TENANT_WIDTH = 7  # the columns of a TenantInfo at the start of a row


class Lookups:
    def __init__(self, db: peewee.Database):
        self.db = db
        self.cache = Cache(db)  # every lookup below is kept until the database changes (cache.py)
        self._sql_user = (
            f"SELECT {_TENANT_COLUMNS}, u.id, u.extension, u.display_name, u.email, u.enabled, u.a1_hash "
            f'FROM "user" u JOIN tenant t ON t.id = u.tenant_id WHERE t.domain = ? AND u.extension = ?'
            " AND NOT t.suspended"  # a suspended tenant's users are not found: they cannot register
        )
        self._sql_user_by_id = (
            f"SELECT {_TENANT_COLUMNS}, u.id, u.extension, u.display_name, u.email, u.enabled, u.a1_hash "
            f'FROM "user" u JOIN tenant t ON t.id = u.tenant_id WHERE t.id = ? AND u.id = ?'
        )
        # A REGISTER's whole lookup in one query: the user and its voicemail box (user_id is unique).
        self._sql_directory = (
            f"SELECT {_TENANT_COLUMNS}, u.id, u.extension, u.display_name, u.email, u.enabled, u.a1_hash, "
            f"{', '.join('b.' + column for column in BOX_COLUMNS)} "
            f'FROM "user" u JOIN tenant t ON t.id = u.tenant_id LEFT JOIN voicemail_box b ON b.user_id = u.id '
            f"WHERE t.domain = ? AND u.extension = ? AND NOT t.suspended"  # a suspended tenant's: not found
        )
        # A call in a tenant's context: the tenant and the dialled extension's user, one query.
        self._sql_tenant_user = (
            f"SELECT {_TENANT_COLUMNS}, u.id, u.extension, u.display_name, u.email, u.enabled, u.a1_hash "
            f'FROM tenant t LEFT JOIN "user" u ON u.tenant_id = t.id AND u.extension = ? WHERE t.domain = ?'
        )
        self._sql_tenant = f"SELECT {_TENANT_COLUMNS} FROM tenant t WHERE t.domain = ?"
        self._sql_tenants = f"SELECT {_TENANT_COLUMNS} FROM tenant t ORDER BY t.domain"
        self._sql_did = (
            f"SELECT {_TENANT_COLUMNS}, n.destination FROM number n JOIN tenant t ON t.id = n.tenant_id "
            f"WHERE n.e164 = ?"
        )
        self._sql_short = f"SELECT destination FROM short_number WHERE tenant_id = ? AND number = ?"

    def _rows(self, sql: str, params: tuple) -> list[tuple]:
        cursor = prepared.run_planned(self.db, sql, params)
        return cursor.fetchall()

    def _first(self, sql: str, params: tuple, make, missing=None):
        """make(first row), or `missing` when there is none."""
        rows = self._rows(sql, params)
        return make(rows[0]) if rows else missing

    def user(self, domain: str, extension: str) -> DirectoryUser | None:
        return self.cache.get(("user", domain, extension), lambda: self._first(self._sql_user, (domain, extension),
                                                                                _directory_user), _user_scope)

    def directory_row(self, domain: str, extension: str) -> tuple | None:
        """The user's row with its box's BOX_COLUMNS after it (all NULL without a box), as the
        driver gives it: the directory renders and caches documents keyed by it
        (directory_user_from_row and fs_plugins.voicemail.boxes.box_from_row read it)."""
        return self.cache.get(("directory", domain, extension),
                              lambda: self._first(self._sql_directory, (domain, extension), tuple),
                              lambda row: None if row is None else (row[0], row[_TENANT_WIDTH]))  # tenant, user ids

    def kept_directory_row(self, domain: str, extension: str) -> object:
        """directory_row's answer when it is kept and the database did not change since, else
        cache.NOT_KEPT; asked outside a request (Cache.kept_value)."""
        return self.cache.kept_value(("directory", domain, extension))

    def tenant_and_user(self, domain: str, extension: str) -> tuple[TenantInfo | None, DirectoryUser | None]:
        """The tenant of `domain` and its user of `extension` (each None when missing), in one query."""
        return self.cache.get(("tenant_user", domain, extension), lambda: self._first(
            self._sql_tenant_user, (extension, domain), _tenant_and_user, (None, None)),
            lambda found: _tenant_id(found[0]))

    def user_by_id(self, tenant_id: int, user_id: int) -> DirectoryUser | None:
        return self.cache.get(("user_id", tenant_id, user_id),
                              lambda: self._first(self._sql_user_by_id, (tenant_id, user_id), _directory_user), tenant_id)

    def tenant(self, domain: str) -> TenantInfo | None:
        return self.cache.get(("tenant", domain), lambda: self._first(self._sql_tenant, (domain,), _tenant), _tenant_id)

    def tenants(self) -> list[TenantInfo]:
        return self.cache.get(("tenants",), lambda: tuple(_tenant(row) for row in self._rows(self._sql_tenants, ())))

    def did(self, e164: str) -> tuple[TenantInfo, Destination] | None:
        return self.cache.get(("did", e164), lambda: self._first(self._sql_did, (e164,), _tenant_and_destination),
                              lambda found: None if found is None else found[0].id)

    def short_number(self, tenant_id: int, number: str) -> Destination | None:
        return self.cache.get(("short", tenant_id, number),
                              lambda: self._first(self._sql_short, (tenant_id, number), _destination), tenant_id)


def _user_scope(found: DirectoryUser | None) -> tuple[int, int] | None:
    """A user's kept row is read from its tenant's and its own rows alone (None: found nothing)."""
    return None if found is None else (found.tenant.id, found.id)


def _tenant_id(found: TenantInfo | DirectoryUser | None) -> int | None:
    """Whose rows a kept value was read from (None: found nothing, which a change anywhere may alter)."""
    if found is None:
        return None
    return found.id if isinstance(found, TenantInfo) else found.tenant.id


def _tenant(row: tuple) -> TenantInfo:
    """The TenantInfo of a row's first _TENANT_WIDTH columns (SQLite gives `suspended` as 0/1)."""
    *values, suspended = row[:_TENANT_WIDTH]
    return TenantInfo(*values, bool(suspended))


def _tenant_and_user(row: tuple) -> tuple[TenantInfo, DirectoryUser | None]:
    return _tenant(row), None if row[_TENANT_WIDTH] is None else _directory_user(row)


def _tenant_and_destination(row: tuple) -> tuple[TenantInfo, Destination]:
    return _tenant(row), Destination.parse(row[_TENANT_WIDTH])


def _destination(row: tuple) -> Destination:
    return Destination.parse(row[0])


def directory_user_from_row(row: tuple) -> DirectoryUser:
    """The DirectoryUser of a directory_row (its tenant's and user's columns)."""
    return _directory_user(row[:_TENANT_WIDTH + 6])


def _directory_user(row: tuple) -> DirectoryUser:
    tenant = _tenant(row)
    uid, extension, display_name, email, enabled, a1_hash = row[_TENANT_WIDTH:]
    return DirectoryUser(uid, tenant, extension, display_name, email, bool(enabled), a1_hash)
