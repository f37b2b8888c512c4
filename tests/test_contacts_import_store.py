"""A big CSV import (fs_plugins/contacts/import_store.py): other writers never wait long for SQLite's
write lock while it runs, and an import that fails part-way leaves the directory as it was."""
from __future__ import annotations

import sqlite3
import threading
import time

import peewee
import pytest

from fs_plugins.contacts import app, service
from fs_plugins.contacts.records import ContactInput
from tests.test_core_app import admin_of, pbx  # noqa: F401 (fixture)


def _csv(lines: int, first: str = "") -> bytes:
    rows = ["name,mobile,note"] + ([first] if first else [])
    rows += [f"Contact {i},6{i:08d},imported" for i in range(lines)]
    return "\n".join(rows).encode()


def _directory(admin) -> list:
    return [(c.name, c.note, tuple((n.kind, n.e164) for n in c.numbers))
            for c in app.list_contacts(admin, "acme.example", None) if c.source == "common"]


def test_an_import_that_fails_part_way_leaves_the_directory_as_it_was(pbx, monkeypatch):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    app.add_contact(admin, "acme.example", None, ContactInput("Ana", numbers=(("work", "911234567"),)))
    app.add_contact(admin, "acme.example", None, ContactInput("Bruno", note="keep", numbers=(("home", "912345678"),)))
    before, audited = _directory(admin), list(events)
    stored = service.store_contact
    calls = []

    def failing(directory, contact):
        calls.append(1)
        if len(calls) == 700:  # many batches in on SQLite
            raise peewee.OperationalError("disk I/O error")
        return stored(directory, contact)

    monkeypatch.setattr(service, "store_contact", failing)
    with pytest.raises(peewee.OperationalError):
        # Ana is updated by the file's first line (new note, a mobile) before the failure.
        app.import_contacts(admin, "acme.example", None, _csv(1000, "Ana,600111222,changed"), duplicates="update")
    assert len(calls) == 700
    assert _directory(admin) == before and events == audited  # nothing stored, nothing audited
    monkeypatch.setattr(service, "store_contact", stored)
    done = app.import_contacts(admin, "acme.example", None, _csv(1000, "Ana,600111222,changed"), duplicates="update")
    assert (done.value.report.added, done.value.report.updated) == (1000, 1)
    assert ("Ana", "changed", (("work", "+34911234567"), ("mobile", "+34600111222"))) in _directory(admin)


def test_other_writers_wait_little_while_a_big_import_is_stored(pbx, db):
    if not isinstance(db, peewee.SqliteDatabase):
        pytest.skip("PostgreSQL's writers do not wait for each other's new rows")
    context, _, _ = pbx
    admin = context(admin_of("acme.example"))
    other = sqlite3.connect(db.database, timeout=10, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE probe (at REAL)")  # another process's writes (a CDR post)
    waits, importing = [], threading.Event()

    def write_meanwhile():
        while not importing.is_set():
            time.sleep(0.001)
        while importing.is_set():
            began = time.monotonic()
            other.execute("BEGIN IMMEDIATE")  # waits for the write lock (busy timeout 10 s)
            waits.append(time.monotonic() - began)
            other.execute("INSERT INTO probe VALUES (?)", (began,))
            other.execute("COMMIT")
            time.sleep(0.01)

    writer = threading.Thread(target=write_meanwhile)
    writer.start()
    began = time.monotonic()
    try:
        importing.set()
        report = app.import_contacts(admin, "acme.example", None, _csv(20000)).value.report
    finally:
        importing.clear()
        writer.join()
        other.close()
    took = time.monotonic() - began
    assert report.added == 20000 and report.stored
    assert len(waits) >= 10, f"the other writer wrote {len(waits)} times in {took:.1f} s"
    assert max(waits) < 0.3, f"a write waited {max(waits):.2f} s for the import (took {took:.1f} s)"
