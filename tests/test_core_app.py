"""The core's application layer as the REST API and the portal will call it: who may do what,
tenant isolation, audit events, FreeSWITCH reports and errors that name the API's field."""
from __future__ import annotations

import pytest

from fs_plugins.access.principal import OPERATOR, TENANT_ADMIN, USER, Principal
from fs_plugins.application import AppContext
from fs_plugins.config import Config
from fs_plugins.core import app
from fs_plugins.errors import Conflict, Forbidden, InvalidInput, NotFound
from fs_plugins.fsapi import FlushReport, ServerAnswer
from fs_plugins.models import Number, Tenant, User


class RecordingFreeswitch:
    def __init__(self, ok: bool = True):
        self.flushed: list[tuple[str, str]] = []
        self.ok = ok

    def flush_users(self, users):
        self.flushed += users
        entries = tuple(f"{extension}@{domain}" for extension, domain in users)
        return FlushReport(entries, (ServerAnswer("fs1:8021", self.ok, "" if self.ok else "refused"),), 300000)


@pytest.fixture
def pbx(db):
    events, freeswitch = [], RecordingFreeswitch()

    def context(principal: Principal) -> AppContext:
        return AppContext(principal, Config(), freeswitch=freeswitch, audit=events.append)

    operator = context(operator_principal())
    for domain in ("acme.example", "globex.example"):
        app.add_tenant(operator, domain, domain.split(".")[0].title())
    app.add_user(operator, "acme.example", "1001", "Ana", password="ana-password-1")
    app.add_user(operator, "acme.example", "1002", "Bruno", password="bruno-password")
    app.add_user(operator, "globex.example", "2001", "Gina", password="gina-password")
    events.clear()
    return context, events, freeswitch


def operator_principal() -> Principal:
    return Principal(OPERATOR, name="ops", source="test")


def admin_of(domain: str) -> Principal:
    return Principal(TENANT_ADMIN, Tenant.get(domain=domain).id, domain, name="key ck_1", source="203.0.113.9")


def user_of(domain: str, extension: str) -> Principal:
    owner = User.get(User.extension == extension, User.tenant == Tenant.get(domain=domain))
    return Principal(USER, owner.tenant_id, domain, owner.id, extension, name=f"login {extension}", source="test")


def test_a_tenant_admin_sees_only_their_tenant_and_others_do_not_exist_for_them(pbx):
    context, _, _ = pbx
    admin = context(admin_of("acme.example"))
    assert [s.tenant.domain for s in app.list_tenants(admin)] == ["acme.example"]
    with pytest.raises(NotFound) as missing:
        app.show_tenant(admin, "globex.example")
    assert missing.value.field == "domain" and "globex" in missing.value.message  # the name typed, no more
    with pytest.raises(NotFound):
        app.add_user(admin, "globex.example", "2002", "Intruder", password="intruder-pw")
    assert User.select().where(User.extension == "2002").count() == 0


def test_only_the_operator_creates_tenants_and_hands_out_numbers(pbx):
    context, _, _ = pbx
    admin = context(admin_of("acme.example"))
    with pytest.raises(Forbidden):
        app.add_tenant(admin, "new.example", "New")
    with pytest.raises(Forbidden):
        app.add_number(admin, "acme.example", "+34911234567", "user:1001")
    app.add_number(context(operator_principal()), "acme.example", "+34911234567", "user:1001")
    routed = app.route_number(admin, "acme.example", "+34911234567", "user:1002").value
    assert routed.destination.startswith("user:") and routed.label == "user:1002 (Bruno)"


def test_a_user_reaches_only_themselves_and_only_their_own_settings(pbx):
    context, _, _ = pbx
    ana = context(user_of("acme.example", "1001"))
    assert app.get_user(ana, "acme.example", "1001").name == "Ana"
    assert app.set_user(ana, "acme.example", "1001", name="Ana G.").value.name == "Ana G."
    with pytest.raises(NotFound):  # another user's settings do not exist for a user
        app.get_user(ana, "acme.example", "1002")
    with pytest.raises(Forbidden):
        app.set_user(ana, "acme.example", "1001", enabled=False)
    with pytest.raises(Forbidden):
        app.list_users(ana, "acme.example")
    assert User.get(User.extension == "1001").enabled


def test_every_change_is_audited_with_who_what_and_what_was_given_but_never_a_secret(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    app.set_user(admin, "acme.example", "1002", password="new-secret-pw", email="b@acme.example")
    (event,) = events
    assert (event.principal.name, event.principal.source, event.action, event.tenant, event.target) == (
        "key ck_1", "203.0.113.9", "user.update", "acme.example", "user 1002")
    assert event.detail == {"email": "b@acme.example", "password": "(changed)"}
    assert "new-secret-pw" not in repr(event) and event.at.tzinfo is not None


def test_a_refused_change_writes_nothing_and_audits_nothing(pbx):
    context, events, freeswitch = pbx
    operator = context(operator_principal())
    with pytest.raises(Conflict) as taken:
        app.add_user(operator, "acme.example", "1001", "Again", password="again-password")
    assert isinstance(taken.value, InvalidInput) and taken.value.field == "extension"
    with pytest.raises(InvalidInput) as bad:
        app.set_user(operator, "acme.example", "1002", name="Bruno", new_extension="1003")
    assert bad.value.field == "password"
    assert events == [] and freeswitch.flushed == []
    assert User.get(User.extension == "1002").display_name == "Bruno"


def test_changes_report_which_freeswitch_servers_dropped_the_stale_entries(pbx):
    context, _, freeswitch = pbx
    done = app.set_user(context(operator_principal()), "acme.example", "1002", new_extension="1012",
                        password="renumbered-pw")
    assert freeswitch.flushed == [("1002", "acme.example"), ("1012", "acme.example")]
    assert done.freeswitch.entries == ("1002@acme.example", "1012@acme.example") and done.freeswitch.warnings == []
    freeswitch.ok = False
    removed = app.remove_tenant(context(operator_principal()), "globex.example")
    assert removed.value.domain == "globex.example" and "up to 300 s" in removed.freeswitch.warnings[0]


def test_a_user_something_routes_to_cannot_be_removed(pbx):
    context, _, _ = pbx
    operator = context(operator_principal())
    app.add_number(operator, "acme.example", "+34911234567", "user:1001")
    with pytest.raises(Conflict) as refused:
        app.remove_user(operator, "acme.example", "1001")
    assert refused.value.field == "extension" and "+34911234567" in refused.value.message
    assert Number.select().count() == 1 and User.select().where(User.extension == "1001").exists()


def test_views_are_plain_values(pbx):
    context, _, _ = pbx
    detail = app.show_tenant(context(operator_principal()), "acme.example")
    assert [u.extension for u in detail.users] == ["1001", "1002"] and detail.tenant.country == "ES"
    with pytest.raises(AttributeError):
        detail.tenant.name = "changed"  # frozen


def test_the_cli_writes_its_changes_to_the_audit_log_as_the_operator(db_url, capsys, monkeypatch):
    from fs_plugins import audit
    from fs_plugins.cli import main

    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")
    assert main(["--database", db_url, "tenant", "add", "acme.example", "--name", "Acme"]) == 0
    assert main(["--database", db_url, "user", "add", "--tenant", "acme.example", "1001", "--name", "Ana",
                 "--password", "secret-password"]) == 0
    entries = audit.entries(Principal(OPERATOR))
    assert [(e.action, e.target, e.tenant, e.source) for e in entries] == [
        ("user.create", "user 1001", "acme.example", "cli"), ("tenant.create", "tenant acme.example", "acme.example", "cli")]
    assert entries[0].detail["password"] == "(changed)" and entries[0].actor.startswith("cli ")


def test_only_the_operator_suspends_a_tenant_its_cached_users_are_flushed_and_it_resumes(pbx):
    context, events, freeswitch = pbx
    operator = context(operator_principal())
    with pytest.raises(Forbidden):
        app.suspend_tenant(context(admin_of("acme.example")), "acme.example")
    done = app.suspend_tenant(operator, "acme.example")
    assert done.value.suspended and Tenant.get(domain="acme.example").suspended
    assert sorted(freeswitch.flushed) == [("1001", "acme.example"), ("1002", "acme.example")]
    assert [e.action for e in events] == ["tenant.suspend"]
    assert not Tenant.get(domain="globex.example").suspended
    assert not app.suspend_tenant(operator, "acme.example", suspended=False).value.suspended
    assert events[-1].action == "tenant.resume"


def test_a_database_from_before_suspension_upgrades_in_place_with_every_tenant_active(db):
    from fs_plugins import db as dbmod

    Tenant.create(name="Old", domain="old.example")
    db.execute_sql("ALTER TABLE tenant DROP COLUMN suspended")  # as version 1 of the "core" component made it
    db.execute_sql("UPDATE schema_version SET version = 1 WHERE component = 'core'")
    assert ("core", 1, 2) in dbmod.upgrade(db)
    assert [(t.domain, t.suspended) for t in Tenant.select()] == [("old.example", False)]
    assert dbmod.upgrade(db) == []
