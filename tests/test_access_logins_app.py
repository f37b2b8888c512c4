"""People's logins through the application layer, as the CLI, the REST API and the portal call it:
fs_plugins/access/app.py (an operator or a tenant's admin manages logins) and
fs_plugins/access/account.py (a person signs in and out, changes their password, resets it)."""
from __future__ import annotations

import pytest

from fs_plugins.access import account, app, logins, sessions
from fs_plugins.access.logins import AuthFailed
from fs_plugins.access.principal import visitor
from fs_plugins.application import AppContext
from fs_plugins.config import Config
from fs_plugins.errors import Conflict, Forbidden, InvalidInput, NotFound
from fs_plugins.models.access import Login, Session
from fs_plugins.models.audit import AuditEntry
from fs_plugins.models.portal import PasswordReset
from tests.api_world import cheap_argon2  # noqa: F401 (autouse fixture)
from tests.test_core_app import admin_of, operator_principal, pbx, user_of  # noqa: F401 (fixture)

PASSWORD = "portal-pass-1"


@pytest.fixture
def people(pbx):
    """Logins in both tenants and an operator's, made by the operator; the audit events cleared."""
    context, events, _ = pbx
    operator = context(operator_principal())
    app.add_login(operator, "root@ops.example", PASSWORD, "operator")
    app.add_login(operator, "boss@acme.example", PASSWORD, "tenant-admin", "acme.example")
    app.add_login(operator, "ana@acme.example", PASSWORD, "user", "acme.example", "1001")
    app.add_login(operator, "gina@globex.example", PASSWORD, "user", "globex.example", "2001")
    events.clear()
    return context, events


def _hashes() -> dict[str, str]:
    return {row.username: row.password_hash for row in Login.select()}


@pytest.mark.parametrize("username,password,role,tenant,extension,field", [
    ("a", PASSWORD, "user", "acme.example", "1001", "username"),
    ("new@acme.example", "short", "user", "acme.example", "1001", "password"),
    ("new@acme.example", PASSWORD, "root", "acme.example", None, "role"),
    ("new@acme.example", PASSWORD, "user", "acme.example", None, "extension"),
    ("new@acme.example", PASSWORD, "user", None, "1001", "tenant"),
    ("new@acme.example", PASSWORD, "operator", "acme.example", None, "tenant"),
    ("ana@acme.example", PASSWORD, "user", "acme.example", "1002", "username"),  # taken
])
def test_a_bad_login_names_the_field_and_stores_nothing(people, username, password, role, tenant, extension, field):
    context, events = people
    before = _hashes()
    with pytest.raises(InvalidInput) as refused:
        app.add_login(context(operator_principal()), username, password, role, tenant, extension)
    assert refused.value.field == field
    assert _hashes() == before and events == []


def test_an_unknown_extension_is_not_found_and_nothing_is_stored(people):
    context, events = people
    with pytest.raises(NotFound) as missing:
        app.add_login(context(admin_of("acme.example")), "new@acme.example", PASSWORD, "user", "acme.example", "9999")
    assert missing.value.field == "extension"
    assert not Login.select().where(Login.username == "new@acme.example").exists() and events == []


def test_a_taken_username_is_a_conflict_even_in_another_tenant(people):
    context, _ = people
    with pytest.raises(Conflict):
        app.add_login(context(admin_of("acme.example")), "gina@globex.example", PASSWORD, "user", "acme.example",
                      "1002")


def test_a_tenant_admin_manages_their_tenants_logins_and_no_one_elses(people):
    context, events = people
    admin = context(admin_of("acme.example"))
    made = app.add_login(admin, "bruno@acme.example", PASSWORD, "user", "acme.example", "1002").value
    assert (made.tenant, made.extension, made.role) == ("acme.example", "1002", "user")
    assert [v.username for v in app.list_logins(admin, "acme.example")] == [
        "ana@acme.example", "boss@acme.example", "bruno@acme.example"]
    before = _hashes()
    for attempt in (lambda: app.list_logins(admin, "globex.example"),
                    lambda: app.add_login(admin, "x@globex.example", PASSWORD, "user", "globex.example", "2001"),
                    lambda: app.set_login(admin, "gina@globex.example", enabled=False, tenant="acme.example"),
                    lambda: app.set_login(admin, "gina@globex.example", password="taken-over-1",
                                          tenant="globex.example"),
                    lambda: app.remove_login(admin, "gina@globex.example", "acme.example"),
                    lambda: app.remove_login(admin, "root@ops.example", "acme.example")):
        with pytest.raises(NotFound):
            attempt()
    for attempt in (lambda: app.list_logins(admin),  # every tenant's: the operator's view
                    lambda: app.set_login(admin, "gina@globex.example", enabled=False),
                    lambda: app.add_login(admin, "root2@ops.example", PASSWORD, "operator")):
        with pytest.raises(Forbidden):
            attempt()
    assert _hashes() == before and Login.get(username="gina@globex.example").enabled
    assert [e.action for e in events] == ["login.create"]


def test_a_user_manages_no_logins_not_even_their_own(people):
    context, _ = people
    ana = context(user_of("acme.example", "1001"))
    with pytest.raises(Forbidden):
        app.list_logins(ana, "acme.example")
    with pytest.raises(Forbidden):
        app.set_login(ana, "ana@acme.example", enabled=False, tenant="acme.example")
    with pytest.raises(Forbidden):
        app.add_login(ana, "me2@acme.example", PASSWORD, "tenant-admin", "acme.example")
    assert Login.select().count() == 4


def test_each_change_is_audited_once_without_the_password(people):
    context, events = people
    admin = context(admin_of("acme.example"))
    app.add_login(admin, "bruno@acme.example", "bruno-portal-1", "user", "acme.example", "1002")
    app.set_login(admin, "bruno@acme.example", password="bruno-portal-2", tenant="acme.example")
    app.set_login(admin, "bruno@acme.example", enabled=False, tenant="acme.example")
    app.remove_login(admin, "bruno@acme.example", "acme.example")
    assert [(e.action, e.tenant, e.target) for e in events] == [
        ("login.create", "acme.example", "login bruno@acme.example"),
        ("login.update", "acme.example", "login bruno@acme.example"),
        ("login.update", "acme.example", "login bruno@acme.example"),
        ("login.delete", "acme.example", "login bruno@acme.example")]
    assert events[0].detail == {"role": "user", "extension": "1002"}
    assert events[1].detail == {"password": "(changed)"} and events[2].detail == {"enabled": False}
    assert "bruno-portal" not in str(events)


def test_a_new_password_or_disabling_ends_the_logins_sessions(people):
    context, _ = people
    operator = context(operator_principal())
    opened = sessions.open_session(logins.find("ana@acme.example"))
    assert sessions.resume_with_rows(opened.token) is not None
    app.set_login(operator, "ana@acme.example", password="ana-portal-2")
    assert sessions.resume_with_rows(opened.token) is None
    logins.authenticate("ana@acme.example", "ana-portal-2", "192.0.2.1")
    opened = sessions.open_session(logins.find("ana@acme.example"))
    app.set_login(operator, "ana@acme.example", enabled=False)
    assert Session.select().count() == 0
    with pytest.raises(AuthFailed):
        logins.authenticate("ana@acme.example", "ana-portal-2", "192.0.2.1")


def test_removing_a_login_removes_its_sessions(people):
    context, events = people
    sessions.open_session(logins.find("ana@acme.example"))
    gone = app.remove_login(context(operator_principal()), "ana@acme.example").value
    assert gone.username == "ana@acme.example" and Session.select().count() == 0
    assert [e.action for e in events] == ["login.delete"]


# --- a person's own login: fs_plugins/access/account.py, through the real audit table ------------

@pytest.fixture
def ana(people):
    """The audit goes to its table here: what every front end writes, counted once."""
    return lambda principal: AppContext(principal, Config())


def _actions() -> list[str]:
    return [row.action for row in AuditEntry.select().order_by(AuditEntry.id)]


def test_signing_in_opens_a_session_and_records_it_once(ana):
    signed = account.sign_in(ana(visitor("192.0.2.7")), "Ana@acme.example ", PASSWORD, "test-agent")
    assert (signed.principal.extension, signed.principal.source) == ("1001", "192.0.2.7")
    assert sessions.resume_with_rows(signed.session.token).principal.login_id == signed.principal.login_id
    assert _actions() == ["session.open"]
    entry = AuditEntry.get()
    assert (entry.actor, entry.tenant_domain, entry.source) == ("login ana@acme.example", "acme.example", "192.0.2.7")
    assert account.sign_out(ana(signed.principal), signed.session.token) is True
    assert account.sign_out(ana(signed.principal), signed.session.token) is False  # nothing left to close
    assert _actions() == ["session.open", "session.close"] and Session.select().count() == 0


def test_a_wrong_password_opens_nothing_and_is_counted(ana):
    with pytest.raises(AuthFailed):
        account.sign_in(ana(visitor("192.0.2.7")), "ana@acme.example", "not-her-password")
    assert Session.select().count() == 0 and _actions() == []


def test_changing_ones_password_needs_the_current_one_and_keeps_this_browser_signed_in(ana):
    first = account.sign_in(ana(visitor("192.0.2.7")), "ana@acme.example", PASSWORD)
    other = account.sign_in(ana(visitor("198.51.100.2")), "ana@acme.example", PASSWORD)
    before = _hashes()
    with pytest.raises(InvalidInput) as wrong:
        account.change_password(ana(first.principal), "not-it", "ana-portal-2")
    with pytest.raises(InvalidInput) as short:
        account.change_password(ana(first.principal), PASSWORD, "short")
    assert (wrong.value.field, short.value.field) == ("current_password", "new_password")
    assert _hashes() == before and Session.select().count() == 2
    changed = account.change_password(ana(first.principal), PASSWORD, "ana-portal-2")
    assert [sessions.resume_with_rows(s.session.token) for s in (first, other)] == [None, None]
    assert sessions.resume_with_rows(changed.session.token).principal.extension == "1001"
    assert _actions() == ["session.open", "session.open", "login.update", "session.open"]
    assert AuditEntry.select().where(AuditEntry.action == "login.update").get().detail == '{"password": "(changed)"}'


def test_an_api_key_has_no_password_to_change(ana):
    with pytest.raises(Forbidden):
        account.change_password(ana(admin_of("acme.example")), PASSWORD, "ana-portal-2")


def test_a_reset_link_sets_a_new_password_once(ana):
    stranger = ana(visitor("203.0.113.50"))
    assert account.request_reset(stranger, "nobody@acme.example") is None
    link = account.request_reset(stranger, "ana@acme.example")
    assert (link.username, link.email) == ("ana@acme.example", "ana@acme.example")
    assert account.reset_username(link.token) == "ana@acme.example"
    signed = account.sign_in(ana(visitor("192.0.2.7")), "ana@acme.example", PASSWORD)
    with pytest.raises(InvalidInput) as short:
        account.reset_password(stranger, link.token, "short")
    assert short.value.field == "password" and account.reset_username(link.token) == "ana@acme.example"
    account.reset_password(stranger, link.token, "ana-portal-3")
    assert sessions.resume_with_rows(signed.session.token) is None and account.reset_username(link.token) is None
    logins.authenticate("ana@acme.example", "ana-portal-3", "192.0.2.7")
    with pytest.raises(NotFound) as spent:
        account.reset_password(stranger, link.token, "ana-portal-4")
    assert spent.value.field == "token"
    assert _actions() == ["login.reset-link", "session.open", "login.password-reset"]
    asked, reset = AuditEntry.select().where(AuditEntry.action.startswith("login.")).order_by(AuditEntry.id)
    assert (asked.actor, asked.source, asked.tenant_domain) == ("visitor 203.0.113.50", "203.0.113.50", "acme.example")
    assert reset.actor == "login ana@acme.example" and PasswordReset.select().count() == 1
