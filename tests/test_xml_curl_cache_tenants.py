"""Under `serve`, the handler's cache drops only the rows of the tenant whose rows changed
(xml_curl/changes.py, sqlitechanges.py, pgchanges.py): an admin editing one tenant's users all day
does not send every other tenant's REGISTERs back to the database."""
from __future__ import annotations

import time

import gevent
import peewee
import pytest

from fs_plugins.callhandling import app as callhandling
from fs_plugins.contacts import service as contacts
from fs_plugins.contacts.records import ContactInput
from fs_plugins.core import app as core
from fs_plugins.voicemail import app as voicemail
from tests import provision
from tests.contact_directories import operator_directory
from tests.second_connection import elsewhere  # noqa: F401 (fixture)
from xml_curl import sqlitetriggers
from xml_curl.changes import EVERY_TENANT, Version, changed_scopes, parse_scope
from xml_curl.cache import Cache
from xml_curl.lookups import Lookups, directory_user_from_row as _user


@pytest.fixture
def world(db):
    for name, domain in (("Acme", "acme.example"), ("Bravo", "bravo.example")):
        owner = provision.tenant(name, domain)
        provision.user(owner, "1001", f"{name} One")
        provision.user(owner, "1002", f"{name} Two")
    return db


class Counted:
    """The handler's lookups over a cache watching per tenant (as under `serve`), counting the
    queries that reached the database."""

    def __init__(self, db):
        self.lookups = Lookups(db)
        self.lookups.cache = Cache(db, listen=True)
        self.queries = 0
        rows = self.lookups._rows

        def counted(sql, params):
            self.queries += 1
            return rows(sql, params)

        self.lookups._rows = counted
        if not isinstance(db, peewee.SqliteDatabase):
            _wait_for(lambda: self.lookups.cache._watch.version() is not None)

    def register(self, domain: str, extension: str = "1001"):
        """A request: what changed is dropped, then the REGISTER's lookup; the queries it cost."""
        before = self.queries
        self.lookups.cache.begin()
        row = self.lookups.directory_row(domain, extension)
        return row, self.queries - before

    def stop(self):
        watch = self.lookups.cache._watch
        if getattr(watch, "_greenlet", None) is not None:
            watch._greenlet.kill()


@pytest.fixture
def handler(world):
    counted = Counted(world)
    yield counted
    counted.stop()


def _settle(handler: Counted) -> None:
    """Wait until the change is seen (PostgreSQL: its notification arrived)."""
    watch = handler.lookups.cache._watch
    if not isinstance(watch, sqlitetriggers.SqliteWatch):
        before = watch.version()
        _wait_for(lambda: watch.version() != before)


def test_a_change_to_one_tenant_keeps_every_other_tenants_rows(handler):
    assert handler.register("acme.example")[1] == 1 and handler.register("bravo.example")[1] == 1
    assert handler.register("acme.example")[1] == 0  # kept
    core.set_user(provision.OPERATOR, "bravo.example", "1001", name="Renamed")
    _settle(handler)
    assert handler.register("acme.example")[1] == 0  # another tenant's change: still kept
    row, queries = handler.register("bravo.example")
    assert queries == 1 and _user(row).display_name == "Renamed"  # its own change: read again


def test_a_change_to_a_users_call_handling_drops_that_users_rows_and_no_other_tenants(handler):
    handler.register("acme.example", "1002"), handler.register("bravo.example")
    callhandling.set_dnd(provision.OPERATOR, "acme.example", "1002", True)  # call_handling: tenant through its user
    _settle(handler)
    assert handler.register("bravo.example")[1] == 0
    assert handler.register("acme.example", "1002")[1] == 1


def _postgresql_only(handler: Counted) -> None:
    if isinstance(handler.lookups.db, peewee.SqliteDatabase):
        pytest.skip("SQLite counts changes per tenant: any change of a user's drops its whole tenant's rows")


def test_a_change_to_one_user_keeps_the_other_users_of_its_tenant(handler):
    """An admin renaming one user, or a user toggling DND, all day long must not send every
    REGISTER of that tenant back to the database (benches/b6_api.py: on PostgreSQL, each one missed
    cost a round trip, 1.4% of the REGISTERs under the API's writes: the handler's p99)."""
    _postgresql_only(handler)
    handler.register("acme.example", "1001"), handler.register("acme.example", "1002")
    assert handler.lookups.tenant_and_user("acme.example", "1001")[1].display_name == "Acme One"
    core.set_user(provision.OPERATOR, "acme.example", "1002", name="Renamed")
    _settle(handler)
    callhandling.set_dnd(provision.OPERATOR, "acme.example", "1002", True)
    _settle(handler)
    assert handler.register("acme.example", "1001")[1] == 0  # another user's change: still kept
    row, queries = handler.register("acme.example", "1002")
    assert queries == 1 and _user(row).display_name == "Renamed"
    before = handler.queries  # a value read from any of the tenant's users: read again
    assert handler.lookups.tenant_and_user("acme.example", "1001")[1].display_name == "Acme One"
    assert handler.queries == before + 1


def test_a_change_to_a_users_voicemail_box_drops_that_users_directory_row(handler):
    _postgresql_only(handler)
    handler.register("acme.example", "1001"), handler.register("acme.example", "1002")
    voicemail.set_box(provision.OPERATOR, "acme.example", "1001", email="ana@acme.example")
    _settle(handler)
    assert handler.register("acme.example", "1002")[1] == 0
    row, queries = handler.register("acme.example", "1001")
    assert queries == 1 and "ana@acme.example" in row


def test_a_user_given_another_users_old_extension_is_found_at_the_next_request(handler):
    _postgresql_only(handler)
    handler.register("acme.example", "1001"), handler.register("acme.example", "1003")
    core.set_user(provision.OPERATOR, "acme.example", "1002", new_extension="1003", password="a-new-Passw0rd!")
    _settle(handler)
    assert handler.register("acme.example", "1001")[1] == 0
    row, queries = handler.register("acme.example", "1003")
    assert queries == 1 and _user(row).display_name == "Acme Two"
    assert handler.register("acme.example", "1002") == (None, 1)


def test_a_change_committed_by_another_process_is_answered_at_the_next_request(handler, elsewhere):
    assert _user(handler.register("acme.example")[0]).display_name == "Acme One"
    elsewhere.execute_sql("UPDATE \"user\" SET display_name = 'From Elsewhere' "
                          "WHERE extension = '1001' AND tenant_id = (SELECT id FROM tenant WHERE domain = 'acme.example')")
    _settle(handler)
    row, queries = handler.register("acme.example")
    assert queries == 1 and _user(row).display_name == "From Elsewhere"


def test_a_user_added_where_the_lookup_found_none_is_found_at_the_next_request(handler):
    assert handler.register("bravo.example", "1003") == (None, 1)
    assert handler.register("bravo.example", "1003") == (None, 0)  # a miss is kept too…
    provision.user(provision.find_tenant("acme.example"), "1003", "Elsewhere")
    _settle(handler)
    assert handler.register("bravo.example", "1003") == (None, 1)  # …until any tenant changes
    provision.user(provision.find_tenant("bravo.example"), "1003", "Bravo Three")
    _settle(handler)
    assert _user(handler.register("bravo.example", "1003")[0]).display_name == "Bravo Three"


def test_a_change_to_the_tenant_table_drops_every_tenants_rows(handler, elsewhere):
    handler.register("acme.example"), handler.register("bravo.example")
    elsewhere.execute_sql("UPDATE tenant SET suspended = TRUE WHERE domain = 'bravo.example'")
    _settle(handler)
    assert handler.register("acme.example")[1] == 1
    assert handler.register("bravo.example") == (None, 1)  # suspended: not found, so no registration


def test_a_contact_change_keeps_every_users_directory_row_and_drops_the_values_read_from_contacts(handler, elsewhere):
    """A contact import commits every thousand lines: as the tenant's change, each commit sent
    every REGISTER of the tenant back to the database (benches/b8_faults.py, import + CDR storm).
    No user's directory row reads the contacts; the caller names the dialplan keeps do."""
    cache = handler.lookups.cache
    acme, bravo = (provision.find_tenant(domain).id for domain in ("acme.example", "bravo.example"))
    handler.register("acme.example", "1001"), handler.register("acme.example", "1002")
    handler.register("bravo.example")

    def kept(key, tenant):  # a value read from that tenant's rows (as a caller name), and whether it was kept
        cache.begin()
        return cache.get(key, lambda: "read again", tenant) == "kept"

    for key, tenant in (("name", acme), ("bravo name", bravo)):
        cache.begin()
        cache.get(key, lambda: "kept", tenant)
    contacts.add_contact(operator_directory("acme.example"), ContactInput("Supplier", numbers=(("work", "+14155550100"),)))
    _settle(handler)
    assert handler.register("acme.example", "1001")[1] == 0 and handler.register("acme.example", "1002")[1] == 0
    assert handler.register("bravo.example")[1] == 0
    assert not kept("name", acme) and kept("bravo name", bravo)
    contacts.add_contact(operator_directory("acme.example", "1001"), ContactInput("Mine", numbers=(("work", "+14155550101"),)))
    _settle(handler)  # a personal contact: still no user's directory row
    elsewhere.execute_sql("UPDATE contact_number SET number = '4155550102' WHERE e164 = '+14155550101'")
    _settle(handler)
    elsewhere.execute_sql("DELETE FROM contact WHERE name = 'Supplier'")  # and its numbers, by the cascade
    _settle(handler)
    assert handler.register("acme.example", "1001")[1] == 0 and not kept("name", acme)
    core.set_user(provision.OPERATOR, "acme.example", "1001", name="Renamed")  # a user's change: read again
    _settle(handler)
    row, queries = handler.register("acme.example", "1001")
    assert queries == 1 and _user(row).display_name == "Renamed"


def test_a_commit_to_a_table_no_lookup_reads_drops_nothing(handler, elsewhere):
    handler.register("acme.example")
    elsewhere.execute_sql("DELETE FROM audit_entry")
    gevent.sleep(0.2)
    assert handler.register("acme.example")[1] == 0


def test_installing_the_triggers_again_changes_nothing(world, db_url):
    if not isinstance(world, peewee.SqliteDatabase):
        pytest.skip("SQLite's own install; PostgreSQL replaces its triggers under the schema lock")
    path = world.database
    assert sqlitetriggers.install(path)
    schema = world.execute_sql("PRAGMA schema_version").fetchone()[0]
    assert sqlitetriggers.install(path)
    assert world.execute_sql("PRAGMA schema_version").fetchone()[0] == schema


def test_a_table_added_after_the_start_makes_every_change_everyones(handler, elsewhere):
    if not isinstance(handler.lookups.db, peewee.SqliteDatabase):
        pytest.skip("PostgreSQL: a table added later has no trigger until the next start (docs/operations.md)")
    handler.register("acme.example"), handler.register("bravo.example")
    elsewhere.execute_sql("CREATE TABLE added_later (id INTEGER PRIMARY KEY, tenant_id INTEGER)")
    elsewhere.execute_sql("INSERT INTO added_later (tenant_id) VALUES (1)")
    assert handler.register("acme.example")[1] == 1
    assert handler.register("bravo.example")[1] == 1


def _wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within 5 s"
        gevent.sleep(0.02)


def test_what_a_postgresql_notification_says_changed():
    assert [parse_scope(payload) for payload in ("3", "3:17", "3:", "0", "0:5", "0:", "junk", "3:x", "")] == [
        3, (3, 17), (3, None), EVERY_TENANT, EVERY_TENANT, EVERY_TENANT, EVERY_TENANT, EVERY_TENANT, EVERY_TENANT]
    log = [3, (4, 17)]
    before, now = Version(100, log=log, base=100), Version(102, log=log, base=100)
    assert changed_scopes(before, now) == {3, (4, 17)}
    assert changed_scopes(now, now) == frozenset()
    # The notifier's list started again after `before`: what changed in between is not known.
    assert changed_scopes(Version(99, log=[], base=90), Version(103, log=[(4, 17)], base=102)) is None
    assert changed_scopes(before, Version(103, log=[*log, EVERY_TENANT], base=100)) is None



def test_a_commit_seen_on_sqlite_reads_only_the_tenants_stamped_since(tmp_path):
    """The handler looks at the epoch table after every commit of any process: with a row for each
    of 1,000 tenants it read and compared them all each time (~0.5 ms under load, 4 M instructions;
    xml_curl/sqlitetriggers.py). Now it reads the rows stamped since, through the index."""
    import sqlite3

    from fs_plugins import db as dbmod
    from fs_plugins.models import Tenant, User, utcnow

    path = str(tmp_path / "stamps.db")
    database = dbmod.connect(f"sqlite:///{path}")
    assert sqlitetriggers.install(path)
    acme, bravo = Tenant.create(name="Acme", domain="acme.example"), Tenant.create(name="Bravo", domain="bravo.example")
    writer = sqlite3.connect(path, isolation_level=None)
    # Rows of 1,000 other tenants as the counting triggers before 2026-12-04 left them (counts
    # above the stamps so far): the stamps go on above them.
    writer.executemany(f"INSERT INTO {sqlitetriggers.EPOCH_TABLE} VALUES (?, 50)", [(n,) for n in range(1000, 2000)])
    watch = sqlitetriggers.SqliteWatch(path, triggers=True)
    first = watch.version()
    steps = []
    watch._stamps.set_progress_handler(lambda: steps.append(1), 1)  # one call per SQLite VM instruction
    User.insert(tenant=acme.id, extension="1001", display_name="One", a1_hash="0" * 32, created_at=utcnow(),
                updated_at=utcnow()).execute()
    now = watch.version()
    assert len(steps) < 300, f"{len(steps)} VM instructions: the whole table was read"
    assert changed_scopes(first, now) == {acme.id}
    assert list(now.log[first.serial - now.base:]) == [acme.id]
    writer.execute("DELETE FROM audit_entry")  # a commit to an unwatched table: the same version
    assert watch.version() is now
    writer.execute("UPDATE tenant SET name = 'Renamed' WHERE id = ?", (bravo.id,))  # the tenant row: everyone's
    assert changed_scopes(now, watch.version()) is None
    writer.execute("DELETE FROM user")
    later = watch.version()
    assert changed_scopes(now, later) is None and list(later.log[-1:]) == [acme.id]
    writer.close()
    watch.close()
    database.close()


def test_a_database_restored_under_a_running_watch_makes_the_next_changes_seen(tmp_path):
    """`centralita restore` writes an older copy over the file (SQLite's backup API) while serve may
    run: its stamps are below the last one the watch read. The watch must not then miss every later
    change (a disabled user kept authenticating until the sequence passed the old mark)."""
    import sqlite3

    from fs_plugins import db as dbmod
    from fs_plugins.models import Tenant, User, utcnow
    from fs_plugins.ops.backup import _restore_sqlite

    path, copy = tmp_path / "live.db", tmp_path / "backup.db"
    database = dbmod.connect(f"sqlite:///{path}")
    assert sqlitetriggers.install(str(path))
    acme = Tenant.create(name="Acme", domain="acme.example")
    User.insert(tenant=acme.id, extension="1001", display_name="One", a1_hash="0" * 32, created_at=utcnow(),
                updated_at=utcnow()).execute()
    watch = sqlitetriggers.SqliteWatch(str(path), triggers=True)
    watch.version()
    _restore_sqlite(path, copy)  # the backup, taken while serving
    writer = sqlite3.connect(path, isolation_level=None)
    for n in range(5):
        writer.execute("UPDATE user SET a1_hash = ?", (str(n) * 32,))
    before = watch.version()
    _restore_sqlite(copy, path)
    restored = watch.version()
    assert changed_scopes(before, restored) is None  # replaced: anything may have changed
    writer.execute("UPDATE user SET enabled = 0")
    assert changed_scopes(restored, watch.version()) == {acme.id}
    writer.close()
    watch.close()
    database.close()



def test_the_usual_request_on_sqlite_asks_for_the_version_with_no_other_python_call(tmp_path):
    """Asked once per request (xml_curl/cache.py): with no commit since the last look it is one
    look at the mapped WAL-index header, and the same Version, from the one call."""
    import sqlite3
    import sys

    from fs_plugins import db as dbmod
    from fs_plugins.models import Tenant

    path = str(tmp_path / "quiet.db")
    database = dbmod.connect(f"sqlite:///{path}")
    assert sqlitetriggers.install(path)
    acme = Tenant.create(name="Acme", domain="acme.example")
    watch = sqlitetriggers.SqliteWatch(path, triggers=True)
    first = watch.version()
    calls = []
    sys.setprofile(lambda frame, event, arg: calls.append(frame.f_code.co_name) if event == "call" else None)
    try:
        again = watch.version()
    finally:
        sys.setprofile(None)
    assert again is first and calls == ["version"]
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("UPDATE user SET display_name = 'x' WHERE tenant_id = ?", (acme.id,))  # no rows: no stamp
    writer.execute("UPDATE tenant SET name = 'Renamed'")  # a commit: seen, read, then quiet again
    moved = watch.version()
    assert changed_scopes(first, moved) is None and watch.version() is moved
    writer.close()
    watch.close()
    database.close()
