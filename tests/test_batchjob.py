"""fs_plugins/batchjob.py: a bulk job's checks run aside under SCHED_IDLE on SQLite, its writes do not."""
from __future__ import annotations

import os
import threading

import peewee
import pytest

from fs_plugins import batchjob
from fs_plugins.contacts import csv_import, import_store
from fs_plugins.contacts.csv_import import import_contacts
from tests.test_contacts_csv import acme, common  # noqa: F401 (fixtures)


@pytest.fixture
def asked(monkeypatch) -> list:
    """(thread, policy) for each policy asked for, instead of giving it to the test process."""
    asked = []
    monkeypatch.setattr(batchjob, "_set_policy", lambda thread, policy: asked.append((thread, policy)))
    return asked


def test_checks_run_here_outside_a_bulk_job(asked):
    assert batchjob.checks(threading.get_native_id) == threading.get_native_id() and asked == []


def test_on_sqlite_checks_run_in_an_idle_thread_of_their_own_and_bring_back_result_and_error(asked):
    here = threading.get_native_id()
    with batchjob.checking_aside(peewee.SqliteDatabase(":memory:")):
        there = batchjob.checks(threading.get_native_id)
        with pytest.raises(ValueError, match="bad"):
            batchjob.checks(lambda: int("bad"))
    assert there != here and asked[0] == (there, os.SCHED_IDLE) and len(asked) == 2
    assert batchjob.checks(threading.get_native_id) == here  # the block is over


def test_on_postgresql_checks_run_here_the_whole_job_is_idle_already(asked):
    with batchjob.checking_aside(peewee.PostgresqlDatabase("none")):
        assert batchjob.checks(threading.get_native_id) == threading.get_native_id() and asked == []


def test_an_import_checks_its_lines_aside_and_stores_them_in_the_jobs_own_thread(common, db, asked, monkeypatch):
    """The CPU-heavy part (decoding, one phonenumbers parse per number) runs idle; the batches that
    hold SQLite's write lock run in the thread that kept the job's priority."""
    checked_in, stored_in = set(), set()
    validate, store = csv_import._validate_rows, import_store.store

    def validating(*args):
        checked_in.add(threading.get_native_id())
        return validate(*args)

    def storing(*args, **kwargs):
        stored_in.add(threading.get_native_id())
        return store(*args, **kwargs)

    monkeypatch.setattr(csv_import, "_validate_rows", validating)
    monkeypatch.setattr(import_store, "store", storing)
    with batchjob.checking_aside(db):
        report = import_contacts(common, b"name,mobile\nA,600111221\nB,600111222\nC,nope\n", partial=True)
    assert (report.added, [str(bad) for bad in report.errors]) == (2, ["line 4: mobile: 'nope' is not a phone "
                                                                       "number (digits, spaces, + ( ) - . / only)"])
    assert stored_in == {threading.get_native_id()}
    if isinstance(db, peewee.SqliteDatabase):
        assert checked_in != stored_in and asked == [(checked_in.pop(), os.SCHED_IDLE)]
    else:
        assert checked_in == stored_in and asked == []


def test_checks_run_at_normal_priority_where_sched_idle_is_refused(monkeypatch):
    def refused(thread, policy):  # a sandbox or seccomp filter refusing sched_setscheduler
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(batchjob, "_set_policy", refused)
    with batchjob.checking_aside(peewee.SqliteDatabase(":memory:")):
        assert batchjob.checks(lambda: 42) == 42
