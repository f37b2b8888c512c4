"""Contacts, the application layer: a user's personal contacts and a tenant's common directory.

Every front end (the `contact` command, /api/v1/.../contacts, the portal's /me/contacts) calls
these functions with an AppContext and names a directory by `tenant` (its domain) and `user` (an
extension for personal contacts, None for the common directory). Scope: a user principal reaches
only their own personal contacts and reads the common directory of their tenant; changing the
common directory takes the tenant's administrator (or the operator). Each change is validated
before the transaction (records.validate), written in one transaction with its audit entry
(contact.create / contact.update / contact.delete / contact.import, the names the API and the
portal have always used; an import is all or nothing, in short transactions on SQLite) and returned as ContactView dataclasses. Nothing FreeSWITCH caches holds
a contact (caller names are looked up per call, phonebooks are served per request), so a change
sends no flush: its Changed carries an empty FlushReport.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from fs_plugins.application import AppContext, Changed, require_admin, tenant_in_scope, user_in_scope
from fs_plugins.contacts import csv_export, csv_import, service
from fs_plugins.contacts.records import ContactInput, ContactView, Directory
from fs_plugins.models import Tenant, database


@dataclass(frozen=True)
class Imported:
    """A CSV import's outcome: where it went (as people read it) and the per-line report."""

    directory: str  # "personal contacts of 1001@acme.example", "common directory of acme.example"
    report: csv_import.ImportReport


def directory(ctx: AppContext, tenant: str, user: str | None = None, change: bool = False) -> Directory:
    """The directory named by `tenant` and `user`, within the principal's scope. The common
    directory is read by everyone of the tenant and changed only by its administrator."""
    owner = tenant_in_scope(ctx, tenant)
    if user is None:
        if change:
            require_admin(ctx, "change the tenant's common directory")
        return Directory(owner.id, owner.domain, owner.country)
    row = user_in_scope(ctx, owner, user)
    return Directory(owner.id, owner.domain, owner.country, row.id, row.extension)


def list_contacts(ctx: AppContext, tenant: str, user: str | None = None) -> list[ContactView]:
    """A user's personal contacts, or the common directory with the tenant's users."""
    return service.list_contacts(directory(ctx, tenant, user))


def search(ctx: AppContext, tenant: str, user: str | None = None, query: str | None = None,
           limit: int | None = None) -> list[ContactView]:
    """Everything the directory's reader sees (personal, common, users) matching `query`."""
    return service.search(directory(ctx, tenant, user), query, limit)


def get_contact(ctx: AppContext, tenant: str, user: str | None, contact_id) -> ContactView:
    return service.get_contact(directory(ctx, tenant, user), contact_id)


def add_contact(ctx: AppContext, tenant: str, user: str | None, contact: ContactInput) -> Changed[ContactView]:
    where = directory(ctx, tenant, user, change=True)
    with database.atomic():
        view = service.add_contact(where, contact)
        ctx.record("contact.create", _tenant(where), f"contact {view.name}", _detail(contact.__dict__))
    return Changed(view)


def change_contact(ctx: AppContext, tenant: str, user: str | None, contact_id, changes: dict[str, str],
                   numbers: dict[str, list[str]]) -> Changed[ContactView]:
    """Overwrite the fields in `changes` (text; "" clears an optional one) and, for each kind in
    `numbers`, that kind's numbers ([] removes them)."""
    where = directory(ctx, tenant, user, change=True)
    with database.atomic():
        view = service.change_contact(where, contact_id, changes, numbers)
        ctx.record("contact.update", _tenant(where), f"contact {view.id}",
                   _detail({**changes, "numbers": [n for kind in numbers.values() for n in kind]}))
    return Changed(view)


def remove_contact(ctx: AppContext, tenant: str, user: str | None, contact_id) -> Changed[ContactView]:
    where = directory(ctx, tenant, user, change=True)
    with database.atomic():
        view = service.remove_contact(where, contact_id)
        ctx.record("contact.delete", _tenant(where), f"contact {view.id}")
    return Changed(view)


def import_contacts(ctx: AppContext, tenant: str, user: str | None, data: bytes, duplicates: str = "skip",
                    partial: bool = False, dry_run: bool = False,
                    progress: Callable | None = None) -> Changed[Imported]:
    """Import a CSV file (csv_import's rules). `dry_run`: every check runs and every count is real,
    and the report says nothing was stored. Stored all or nothing with its audit entry; on SQLite
    in short transactions, so other writers never wait long (contacts/import_store.py)."""
    where = directory(ctx, tenant, user, change=True)

    def audit(report: csv_import.ImportReport) -> None:
        ctx.record("contact.import", _tenant(where), where.label,
                   {"added": report.added, "updated": report.updated, "skipped": report.skipped,
                    "bad_lines": len(report.errors)})

    report = csv_import.import_contacts(where, data, duplicates, partial, progress, dry_run=dry_run, finish=audit)
    return Changed(Imported(where.label, report))


def export_contacts(ctx: AppContext, tenant: str, user: str | None = None, delimiter: str = ",") -> str:
    """The CSV text of the directory's own contacts (formula-safe; the tenant's users left out)."""
    return csv_export.export_contacts(directory(ctx, tenant, user), delimiter)


def _tenant(where: Directory) -> Tenant:
    return Tenant(id=where.tenant_id, domain=where.domain)


def _detail(given: dict) -> dict:
    """What the audit log keeps of a contact's values: the text fields given, numbers as a count."""
    numbers = given.get("numbers")
    return {key: value for key, value in given.items() if key != "numbers" and value is not None} | (
        {"numbers": len(numbers)} if numbers else {})
