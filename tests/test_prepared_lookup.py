"""prepared.get_or_none: the row every API request looks up (tenant by domain, user by tenant and
extension, a user's call handling), without peewee's query builder. It must hand back exactly what
Model.get_or_none would, on both engines, and the row must save like one peewee read."""
from __future__ import annotations

import datetime as dt

import pytest

from fs_plugins import db as dbmod
from fs_plugins import prepared
from fs_plugins.destinations import Destination
from fs_plugins.models import Tenant, User
from fs_plugins.models.callhandling import CallHandling


def _world():
    one = Tenant.create(domain="one.example.com", name="One")
    two = Tenant.create(domain="two.example.com", name="Two")
    stamp = dt.datetime(2026, 3, 4, 5, 6, 7)
    mine = User.create(tenant=one, extension="1001", display_name="Ana", a1_hash="a" * 32, enabled=False,
                       created_at=stamp, updated_at=stamp)
    User.create(tenant=two, extension="1001", display_name="Other", a1_hash="b" * 32)
    CallHandling.create(user=mine, dnd=True, forward_busy=Destination("voicemail", str(mine.id)))
    return one, two, mine


def _fields(row) -> dict:
    return {name: getattr(row, name) for name in row._meta.fields} | {"data": dict(row.__data__)}


def _queries(db, action):
    """(what `action` returned, the SQL statements it sent)."""
    sent, execute = [], db.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        sent.append(sql)
        return execute(sql, params, *args, **kwargs)

    db.execute_sql = counting
    try:
        return action(), sent
    finally:
        del db.execute_sql


def test_the_row_is_the_one_peewee_reads_values_converted_by_their_fields(db):
    one, two, mine = _world()
    assert _fields(prepared.get_or_none(Tenant, domain="two.example.com")) == _fields(
        Tenant.get_or_none(Tenant.domain == "two.example.com"))
    found = prepared.get_or_none(User, tenant=one, extension="1001")
    assert _fields(found) == _fields(User.get_or_none(User.tenant == one, User.extension == "1001"))
    assert found.enabled is False and found.created_at == dt.datetime(2026, 3, 4, 5, 6, 7)
    assert prepared.get_or_none(User, tenant=two, extension="1001").display_name == "Other"  # the tenant counts
    assert prepared.get_or_none(User, tenant=two.id, extension="1001").display_name == "Other"  # an id as well
    handling = prepared.get_or_none(CallHandling, user=mine)
    assert handling.dnd is True and handling.forward_busy == Destination("voicemail", str(mine.id))


def test_nothing_found_is_none(db):
    one, _, _ = _world()
    assert prepared.get_or_none(Tenant, domain="three.example.com") is None
    assert prepared.get_or_none(User, tenant=one, extension="1002") is None
    assert prepared.get_or_none(User, tenant=one, extension="1001' OR '1'='1") is None  # a value, never SQL


def test_a_foreign_key_given_as_a_row_is_read_back_without_a_query(db):
    one, _, _ = _world()
    found, sent = _queries(db, lambda: prepared.get_or_none(User, tenant=one, extension="1001"))
    assert len(sent) == 1
    tenant, sent = _queries(db, lambda: found.tenant)
    assert tenant is one and sent == []


def test_the_row_saves_only_what_is_changed_afterwards(db):
    one, _, mine = _world()
    found = prepared.get_or_none(User, tenant=one, extension="1001")
    assert not found.is_dirty()
    found.display_name = "Ana María"
    assert found.dirty_fields == [User.display_name]
    found.save()
    again = User.get_by_id(mine.id)
    assert (again.display_name, again.tenant_id, again.a1_hash, again.enabled) == ("Ana María", one.id, "a" * 32, False)


def test_save_writes_the_columns_the_row_holds_and_no_other(db):
    one, _, mine = _world()
    partial = User.select(User.id, User.display_name).where(User.id == mine.id).get()  # no a1_hash, no tenant
    partial.display_name = "Only the name"
    prepared.save(partial)
    again = User.get_by_id(mine.id)
    assert (again.display_name, again.a1_hash, again.tenant_id, again.enabled) == ("Only the name", "a" * 32, one.id,
                                                                                    False)
    assert not partial.is_dirty()


def test_save_of_a_new_row_inserts_it_and_gives_its_id(db):
    _, two, _ = _world()
    other = prepared.get_or_none(User, tenant=two, extension="1001")
    handling = CallHandling(user=other, dnd=True)
    prepared.save(handling)
    assert handling.id is not None and CallHandling.get_by_id(handling.id).user_id == other.id


def test_insert_gives_the_fields_defaults_to_what_is_not_given(db):
    from fs_plugins.models.audit import AuditEntry

    prepared.insert(AuditEntry, actor="tester", role="operator", action="thing.update", detail='{"a": 1}')
    row = AuditEntry.get(AuditEntry.actor == "tester")
    assert (row.tenant_id, row.tenant_domain, row.source, row.target, row.detail) == (None, "", "", "", '{"a": 1}')
    assert abs((row.at - dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)).total_seconds()) < 60


def _users_of_tenant(tenant_id=0):
    return User.select(User, Tenant).join(Tenant).where(User.tenant == tenant_id).order_by(User.extension)


def test_a_written_select_hands_back_what_its_query_would_for_each_parameter(db):
    one, two, mine = _world()
    for tenant in (one, two):
        written = list(prepared.select_written(db, _users_of_tenant, (tenant.id,)))
        built = list(_users_of_tenant(tenant.id))
        assert written
        assert [(_fields(row), row.tenant.domain) for row in written] == \
            [(_fields(row), row.tenant.domain) for row in built]


def test_a_written_select_builds_its_query_once_and_refuses_parameters_it_does_not_take(db):
    one, *_ = _world()
    built = []

    def users():
        built.append(1)
        return _users_of_tenant()

    for _ in range(3):
        assert len(list(prepared.select_written(db, users, (one.id,)))) == 1
    assert len(built) == 1
    try:
        prepared.select_written(db, users, (one.id, 5))
    except ValueError as refused:
        assert "1 parameters, not 2" in str(refused)
    else:
        raise AssertionError("two parameters for a query of one were run")


@pytest.mark.postgres
def test_a_written_select_through_the_models_proxy_is_written_for_the_database_behind_it(pg_url, tmp_path):
    """Pages hand select_written the models' DatabaseProxy. Keyed by the proxy, the SQL written for
    the first database a process opened was sent to the next: PostgreSQL's %s placeholders to SQLite."""
    prepared._written.cache_clear()
    for url in (pg_url, f"sqlite:///{tmp_path / 'second.db'}"):
        database = dbmod.connect(url)
        try:
            one, *_ = _world()
            found = list(prepared.select_written(User._meta.database, _users_of_tenant, (one.id,)))
            assert [row.extension for row in found] == [row.extension for row in _users_of_tenant(one.id)]
        finally:
            database.close()



def test_insert_or_touch_creates_the_missing_row_with_defaults_and_else_touches_only_its_column(db):
    one, two, mine = _world()
    other = User.get(User.tenant == two)
    stamp = dt.datetime(2026, 5, 6, 7, 8, 9)
    created = prepared.insert_or_touch(CallHandling, "user", "updated_at", user=other, updated_at=stamp)
    assert created.user is other and created.id is not None and created._dirty == set()
    assert _fields(created) == _fields(CallHandling.get(CallHandling.user == other))
    assert (created.dnd, created.dnd_mode, created.updated_at) == (False, "busy", stamp)
    touched = prepared.insert_or_touch(CallHandling, "user", "updated_at", user=mine, updated_at=stamp)
    kept = CallHandling.get(CallHandling.user == mine)
    assert _fields(touched) == _fields(kept) and kept.dnd is True and kept.updated_at == stamp
    assert kept.forward_busy == Destination("voicemail", str(mine.id))
    assert CallHandling.select().count() == 2


def test_a_rows_values_are_stored_without_a_call_per_field_through_its_accessor(db, monkeypatch):
    """Every API request (its key's tenant and user, the URL's tenant) and portal page (the session's
    four rows) builds rows this way: a Python call per field through peewee's accessor cost more than
    the conversion. The row is still the one peewee reads (the test above), and nothing is marked changed."""
    import peewee

    one, _two, mine = _world()
    stored = []
    for accessor in (peewee.FieldAccessor, peewee.ForeignKeyAccessor):
        store = accessor.__dict__["__set__"]
        monkeypatch.setattr(accessor, "__set__", lambda *args, store=store: stored.append(args[2]) or store(*args))
    found = prepared.get_or_none(User, tenant=one, extension="1001")
    assert (found.display_name, found.tenant_id, found.enabled, found._dirty) == ("Ana", one.id, False, set())
    assert stored == [one]  # only the row given for the foreign key, kept as the row it is
    assert found.tenant is one
