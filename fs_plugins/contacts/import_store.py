"""Storing a checked CSV import: all or nothing, without holding SQLite's write lock for long.

SQLite lets one connection write at a time, and every other writer (a CDR post, a portal change)
waits for it. A 100,000-line import in one transaction held that lock for the whole store phase,
and CDR posts got 503 after cdr_deadline. So on SQLite, unless the caller already holds a
transaction, the lines are stored in batches that end after BATCH_SECONDS (checked line by line,
so a slow or descheduled batch never grows), each its own transaction, with a PAUSE between
them longer than the longest interval of SQLite's busy handler (100 ms): a writer waiting for
the lock tries again within that pause whatever its phase, so it waits about one batch. (A
pause as short as the batch was not enough: once a waiter's handler sleeps 100 ms between
tries it could miss several short pauses in a row, and writes waited up to a second.)

All or nothing, as the importer sees it: what each batch changes is journalled in memory, and if
a later batch (or `finish`, the audit entry) fails, the contacts added so far are deleted and the
ones updated get their values and numbers back, in batches too; then the error goes up. While an
import runs, the contacts stored so far are visible to everyone else (a phonebook, a caller
name); a process killed mid-import keeps them (nothing can undo them then).

On PostgreSQL, whose writers never wait for each other's new rows, and inside a caller's
transaction: one transaction, as before.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import peewee

from fs_plugins.contacts import service
from fs_plugins.contacts.records import Directory, name_key
from fs_plugins.models import database
from fs_plugins.models.contacts import Contact, ContactNumber

BATCH_SECONDS = 0.08
PAUSE = 0.11  # SQLite's busy handler sleeps at most 100 ms between tries (sqliteDefaultBusyCallback)


class _Added:
    """A contact the import adds; its id once stored (a later line of the file may update it)."""

    id: int | None = None


@dataclass
class _Journal:
    added: list[int] = field(default_factory=list)
    before: dict[int, tuple[dict, list[tuple]]] = field(default_factory=dict)  # id -> (fields, numbers)


def store(directory: Directory, good: list, duplicates: str, report, progress=None, progress_every: int = 1000,
          write: bool = True, finish: Callable[[], None] | None = None) -> None:
    """Store the checked lines `good` ((line, contact, fields given) each) by the `duplicates`
    policy, counting into `report`; `write=False` only counts. `progress(done, total, "stored")`
    every `progress_every` lines of a larger import. `finish` runs in the last transaction (or
    its own, when batched) once everything is stored."""
    steps = _plan(directory, good, duplicates, report)
    if not write:
        return
    journal = _Journal()
    total = len(steps)

    def apply(index_and_step) -> None:
        done, step = index_and_step
        _apply(directory, step, journal)
        if progress and total > progress_every and (done % progress_every == 0 or done == total):
            progress(done, total, "stored")

    if not _batched():
        with database.atomic():
            for item in enumerate(steps, 1):
                apply(item)
            if finish:
                finish()
        return
    try:
        _in_batches(list(enumerate(steps, 1)), apply)
        if finish:
            with database.atomic():
                finish()
    except BaseException:
        _undo(journal)
        raise


def _plan(directory: Directory, good: list, duplicates: str, report) -> list[tuple]:
    """("add", _Added, contact, given) or ("update", id or _Added, contact, given) per line stored."""
    existing: dict[str, int | _Added] = {
        name_key(name): cid
        for cid, name in Contact.select(Contact.id, Contact.name).where(service.in_directory(directory)).tuples()}
    steps = []
    for _line, contact, given in good:
        key = name_key(contact.name)
        match = existing.get(key)
        if match is not None and duplicates == "skip":
            report.skipped += 1
        elif match is not None and duplicates == "update":
            steps.append(("update", match, contact, given))
            report.updated += 1
        else:
            added = _Added()
            existing.setdefault(key, added)
            steps.append(("add", added, contact, given))
            report.added += 1
    return steps


def _apply(directory: Directory, step: tuple, journal: _Journal) -> None:
    kind, target, contact, given = step
    if kind == "add":
        target.id = service.store_contact(directory, contact)
        journal.added.append(target.id)
        return
    contact_id = target.id if isinstance(target, _Added) else target
    if not isinstance(target, _Added) and contact_id not in journal.before:
        journal.before[contact_id] = _snapshot(contact_id)
    fields = {f: getattr(contact, f) for f in ("company", "email", "note") if f in given}
    numbers: dict[str, list] = {}
    for number_kind, raw, e164 in contact.numbers:
        numbers.setdefault(number_kind, []).append((number_kind, raw, e164))
    service.update_contact(directory, contact_id, dict(fields, name=contact.name), numbers)


def _snapshot(contact_id: int) -> tuple[dict, list[tuple]]:
    row = Contact.get_by_id(contact_id)
    fields = {f: getattr(row, f) for f in ("name", "company", "email", "note", "updated_at")}
    numbers = [(n.tenant_id, n.kind, n.number, n.e164)
               for n in ContactNumber.select().where(ContactNumber.contact == contact_id).order_by(ContactNumber.id)]
    return fields, numbers


def _undo(journal: _Journal) -> None:
    """Put the directory back as it was before the import (see the module's docstring)."""
    def forget(chunk: list[int]) -> None:
        Contact.delete().where(Contact.id.in_(chunk)).execute()

    def restore(item) -> None:
        contact_id, (fields, numbers) = item
        Contact.update(**fields).where(Contact.id == contact_id).execute()
        ContactNumber.delete().where(ContactNumber.contact == contact_id).execute()
        for tenant_id, kind, number, e164 in numbers:
            ContactNumber.insert(contact=contact_id, tenant=tenant_id, kind=kind, number=number, e164=e164).execute()

    added = journal.added
    chunks = [added[start:start + 500] for start in range(0, len(added), 500)]  # bounded IN lists
    if _batched():
        _in_batches(chunks, forget)
        _in_batches(list(journal.before.items()), restore)
        return
    for chunk in chunks:
        forget(chunk)
    for item in journal.before.items():
        restore(item)


def _batched() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase) and not database.in_transaction()


def _in_batches(items: list, run: Callable) -> None:
    """run(item) for every item, in transactions of at most about BATCH_SECONDS with PAUSEs between them."""
    start = 0
    while start < len(items):
        deadline = time.monotonic() + BATCH_SECONDS
        with database.atomic():
            run(items[start])  # at least one item per batch, however slow
            start += 1
            while start < len(items) and time.monotonic() < deadline:
                run(items[start])
                start += 1
        if start < len(items):
            time.sleep(PAUSE)  # cooperative under `serve` (gevent patches time.sleep)
