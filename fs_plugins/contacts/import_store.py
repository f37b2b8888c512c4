"""Storing a checked CSV import: all or nothing, without holding SQLite's write lock for long.

SQLite lets one connection write at a time, and every other writer (a CDR post, a portal change)
waits for it. A 100,000-line import in one transaction held that lock for the whole store phase,
and CDR posts got 503 after cdr_deadline. So on SQLite, unless the caller already holds a
transaction, the lines are stored in batches that end after BATCH_SECONDS (checked after every
few lines, so a slow or descheduled batch never grows much), each its own transaction, with a
pause between them that outlasts the sleep a waiting writer's busy handler is in
(`pause_after`): a writer that began waiting during the batch tries again within the pause, so
it waits about one batch. SQLite's handler (sqliteDefaultBusyCallback) sleeps 1, 2, 5, 10, 15,
20, 25 … ms between tries, longer the longer it has waited: after a 15 ms batch every waiter is
in a sleep of at most 10 ms; after an 80 ms one (until 2026-12) they were in 25 ms sleeps and
got in ~100 ms late, and B8's CDR storm (one filer, 16 legs a transaction, 128 posts in flight
at 1,000 a second) fell to 796 CDR/s. A batch held longer than planned (the import descheduled)
gets a pause as long as the longest sleep its waiters can be in.

All or nothing, as the importer sees it: what each batch changes is journalled in memory, and if
a later batch (or `finish`, the audit entry) fails, the contacts added so far are deleted and the
ones updated get their values and numbers back, in batches too; then the error goes up. While an
import runs, the contacts stored so far are visible to everyone else (a phonebook, a caller
name); a process killed mid-import keeps them (nothing can undo them then).

On PostgreSQL, whose writers never wait for each other's new rows, and inside a caller's
transaction: one transaction. New contacts go in ADDS_TOGETHER at a time, a few statements for
the lot (service.store_contacts), and so do updates of different contacts (service.update_contacts),
not two or more statements per line: the server's CPU, which serve's CDR writers want too, goes
to storing rows rather than to parsing, planning and firing triggers.
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

BATCH_SECONDS = 0.015
PAUSE = 0.025  # the shortest pause: longer than any sleep of a writer that has waited under 128 ms
ADDS_TOGETHER = 1000  # contacts added (or different ones updated) per statement on PostgreSQL
ADDS_TOGETHER_SQLITE = 8  # lines between two looks at the clock (~20 us of CPU each on SQLite, measured)
# sqliteDefaultBusyCallback's sleeps between tries (sqlite3/main.c), in seconds; then 100 ms each.
SQLITE_BUSY_SLEEPS = (0.001, 0.002, 0.005, 0.010, 0.015, 0.020, 0.025, 0.025, 0.025, 0.050, 0.050, 0.100)


class _Added:
    """A contact the import adds; its id once stored (a later line of the file may update it)."""

    id: int | None = None


@dataclass
class _Journal:
    """What the committed batches changed. A batch journals as it goes, but what it journalled
    counts only once its transaction commits (`committed`): a batch that fails is rolled back by
    SQLite, and the ids it had been given are free again, handed to the next insert of any writer
    (no AUTOINCREMENT). Undoing them would delete that writer's rows."""

    added: list[int] = field(default_factory=list)
    before: dict[int, tuple[dict, list[tuple]]] = field(default_factory=dict)  # id -> (fields, numbers)
    _added_committed: int = 0
    _before_committed: int = 0  # a dict keeps its keys in the order they were journalled

    def committed(self) -> None:
        self._added_committed, self._before_committed = len(self.added), len(self.before)

    def drop_uncommitted(self) -> None:
        del self.added[self._added_committed:]
        for contact_id in list(self.before)[self._before_committed:]:
            del self.before[contact_id]


def store(directory: Directory, good: list, duplicates: str, report, progress=None, progress_every: int = 1000,
          write: bool = True, finish: Callable[[], None] | None = None) -> None:
    """Store the checked lines `good` ((line, contact, fields given) each) by the `duplicates`
    policy, counting into `report`; `write=False` only counts. `progress(done, total, "stored")`
    every `progress_every` lines of a larger import. `finish` runs in the last transaction (or
    its own, when batched) once everything is stored."""
    steps = _plan(directory, good, duplicates, report)
    if not write:
        return
    batched = _batched()
    journal = _Journal() if batched else None  # one transaction: a failure rolls it all back
    total = len(steps)
    stored = [0]

    def apply(unit: list[tuple]) -> None:
        before = stored[0]
        _apply(directory, unit, journal)
        stored[0] += len(unit)
        if progress and total > progress_every:
            for done in range(before - before % progress_every + progress_every, stored[0] + 1, progress_every):
                progress(done, total, "stored")
            if stored[0] == total and total % progress_every:
                progress(total, total, "stored")

    if not batched:
        with database.atomic():
            for unit in _units(steps, ADDS_TOGETHER, ADDS_TOGETHER):
                apply(unit)
            if finish:
                finish()
        return
    try:
        _in_batches(_units(steps, ADDS_TOGETHER_SQLITE, 1), apply, after_commit=journal.committed)
        if finish:
            with database.atomic():
                finish()
    except BaseException:
        journal.drop_uncommitted()
        _undo(directory, journal)
        raise


def _units(steps: list[tuple], adds: int, updates: int) -> list[list[tuple]]:
    """The steps in order, as units stored together: up to `adds` consecutive adds, or up to
    `updates` consecutive updates of different contacts (an update may name a contact added by an
    earlier line, or updated by one, so it waits for that line's unit)."""
    units: list[list[tuple]] = []
    updated: set[tuple] = set()  # the contacts the last unit updates
    for step in steps:
        last = units[-1] if units else None
        target = ("stored", step[1]) if isinstance(step[1], int) else ("added", id(step[1]))  # an _Added: itself
        if last and last[0][0] == step[0] == "add" and len(last) < adds:
            last.append(step)
        elif last and last[0][0] == step[0] == "update" and len(last) < updates and target not in updated:
            last.append(step)
            updated.add(target)
        else:
            units.append([step])
            updated = {target}
    return units


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


def _apply(directory: Directory, unit: list[tuple], journal: _Journal | None) -> None:
    """Store one unit of _units; what it changes goes into `journal` (None: not kept)."""
    if unit[0][0] == "add":
        ids = service.store_contacts(directory, [contact for _kind, _target, contact, _given in unit])
        for (_kind, target, _contact, _given), contact_id in zip(unit, ids):
            target.id = contact_id
        if journal is not None:
            journal.added.extend(ids)
        return
    changes = []
    for _kind, target, contact, given in unit:
        contact_id = target.id if isinstance(target, _Added) else target
        if journal is not None and not isinstance(target, _Added) and contact_id not in journal.before:
            journal.before[contact_id] = _snapshot(contact_id)
        fields = {f: getattr(contact, f) for f in ("company", "email", "note") if f in given}
        numbers: dict[str, list] = {}
        for number_kind, raw, e164 in contact.numbers:
            numbers.setdefault(number_kind, []).append((number_kind, raw, e164))
        changes.append((contact_id, dict(fields, name=contact.name), numbers))
    service.update_contacts(directory, changes)


def _snapshot(contact_id: int) -> tuple[dict, list[tuple]]:
    row = Contact.get_by_id(contact_id)
    fields = {f: getattr(row, f) for f in ("name", "company", "email", "note", "updated_at")}
    numbers = [(n.tenant_id, n.kind, n.number, n.e164)
               for n in ContactNumber.select().where(ContactNumber.contact == contact_id).order_by(ContactNumber.id)]
    return fields, numbers


def _undo(directory: Directory, journal: _Journal) -> None:
    """Put the directory back as it was before the import (see the module's docstring)."""
    def forget(chunk: list[int]) -> None:
        # Within the import's directory only: whatever went wrong, an undo never reaches further.
        Contact.delete().where(Contact.id.in_(chunk) & service.in_directory(directory)).execute()

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


def pause_after(held: float) -> float:
    """How long to leave the write lock free after holding it `held` seconds: at least PAUSE, and
    longer than the sleep SQLite's busy handler is in for a writer that has waited that long."""
    waited = 0.0
    for sleep in SQLITE_BUSY_SLEEPS:
        if waited + sleep > held:  # a writer that came when the batch began sleeps this long now
            return max(PAUSE, sleep + 0.005)
        waited += sleep
    return max(PAUSE, SQLITE_BUSY_SLEEPS[-1] + 0.005)


def _in_batches(items: list, run: Callable, after_commit: Callable[[], None] = lambda: None) -> None:
    """run(item) for every item, in transactions of at most about BATCH_SECONDS, each followed by
    after_commit() and pause_after(how long it held the write lock)."""
    start = 0
    while start < len(items):
        began = time.monotonic()
        with database.atomic():
            run(items[start])  # at least one item per batch, however slow
            start += 1
            while start < len(items) and time.monotonic() - began < BATCH_SECONDS:
                run(items[start])
                start += 1
        after_commit()
        if start < len(items):
            time.sleep(pause_after(time.monotonic() - began))  # cooperative under `serve` (gevent's time.sleep)
