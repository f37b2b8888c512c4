import peewee
import pytest

from fs_plugins import db as dbmod
from fs_plugins.errors import InvalidInput
from fs_plugins import plugins
from fs_plugins.models import BaseModel, Tenant


def test_a_fresh_database_gets_every_component_at_its_latest_version(db):
    versions = dbmod.schema_versions(db)
    for name, _models, migrations in plugins.installed().components:
        assert versions[name] == dbmod.latest_version(migrations)
    assert db.table_exists("tenant") and db.table_exists("user")


def test_upgrading_twice_changes_nothing(db):
    assert dbmod.upgrade(db) == []


class Widget(BaseModel):
    name = peewee.CharField()
    colour = peewee.CharField(null=True)


def _add_colour(migrator, database):
    """add widget.colour"""
    from playhouse.migrate import migrate
    migrate(migrator.add_column("widget", "colour", peewee.CharField(null=True)))


def test_an_existing_database_upgrades_in_place_keeping_its_rows(db):
    # Version 1 of the component had no colour column.
    with db.bind_ctx([Widget]):
        Widget._meta.remove_field("colour")
        try:
            db.create_tables([Widget])
        finally:
            Widget._meta.add_field("colour", peewee.CharField(null=True))
    db.execute_sql("INSERT INTO widget (name) VALUES ('kept')")
    db.execute_sql("INSERT INTO schema_version (component, version) VALUES ('widgets', 1)")
    v2 = [("widgets", (Widget,), (_add_colour,))]
    assert dbmod.upgrade(db, v2) == [("widgets", 1, 2)]
    assert [w.name for w in Widget.select()] == ["kept"]
    Widget.create(name="new", colour="red")
    assert dbmod.schema_versions(db)["widgets"] == 2
    assert dbmod.upgrade(db, v2) == []


def test_a_database_newer_than_the_code_is_refused(db):
    db.execute_sql("UPDATE schema_version SET version = 99 WHERE component = 'core'")
    with pytest.raises(RuntimeError, match="newer than this code"):
        dbmod.upgrade(db)


def test_tenant_domains_are_unique(db):
    Tenant.create(name="Acme", domain="acme.example")
    with pytest.raises(peewee.IntegrityError):
        Tenant.create(name="Other", domain="acme.example")


@pytest.mark.parametrize("url,field", [
    ("mysql://x/y", "database_url"),
    ("sqlite://host/path", "database_url"),
    ("sqlite:///", "database_url"),
])
def test_bad_database_urls_name_the_setting(url, field):
    with pytest.raises(InvalidInput) as err:
        dbmod.open_database(url)
    assert err.value.field == field


def test_audit_entries_the_api_wrote_under_its_own_names_take_the_application_layers(db):
    from fs_plugins.models.audit import AuditEntry

    for action in ("number.route", "user.sip-password", "callhandling.update", "user.create"):
        AuditEntry.create(actor="key ck_1", role="operator", action=action)
    db.execute_sql("UPDATE schema_version SET version = 1 WHERE component = 'audit'")
    assert ("audit", 1, 2) in dbmod.upgrade(db)
    assert [e.action for e in AuditEntry.select().order_by(AuditEntry.id)] == [
        "number.update", "user.update", "callhandling.update", "user.create"]
