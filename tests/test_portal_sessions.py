"""A portal page resumes its session, login, tenant and user in one query, and still refuses every
session the access rules end (expired, login disabled, tenant suspended) and every other tenant's page."""
from __future__ import annotations

import datetime as dt

import pytest

from fs_plugins.access import sessions
from fs_plugins.models import Tenant, utcnow
from fs_plugins.models.access import Login, Session
from tests.api_world import OTHER, OWN, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, OPERATOR, RIVAL, USER, Browser, browser, world  # noqa: F401


def _token(browser: Browser) -> str:
    return browser.client.get_cookie(sessions.COOKIE).value


class Counted:
    """The statements the models' database runs while it is in place."""

    def __init__(self, db, monkeypatch):
        self.statements: list[str] = []
        run = db.execute_sql

        def counting(sql, *args, **kwargs):
            self.statements.append(sql)
            return run(sql, *args, **kwargs)

        monkeypatch.setattr(db, "execute_sql", counting)


def test_a_session_its_login_tenant_and_user_are_read_in_one_query(browser, db, monkeypatch):
    browser.sign_in(USER)
    token = _token(browser)
    counted = Counted(db, monkeypatch)
    principal, tenant, _ = sessions.resume_with_rows(token, "127.0.0.1")
    assert (principal.extension, principal.tenant_domain, tenant.domain) == ("1001", OWN, OWN)
    assert len(counted.statements) == 1, counted.statements


def test_a_page_view_reads_the_session_once(browser, db, monkeypatch):
    """The page's guard used to ask again for the tenant, and the principal for the user: three."""
    browser.sign_in(USER)
    counted = Counted(db, monkeypatch)
    assert browser.get("/account/password").status_code == 200
    assert len(counted.statements) == 1, counted.statements


def test_the_reads_of_every_b7_portal_page_are_not_written_by_peewee_on_each_view(browser, monkeypatch):
    """The session joined to its login, tenant and user, a tenant's feature codes and a user's
    simultaneous rings: peewee wrote their SQL on every view, ~0.4 ms each of a 2-5 ms page (B7)."""
    import peewee

    browser.sign_in(USER)
    pages = ("/", "/me/forwards", "/me/calls")
    for page in pages:  # the first view writes them
        assert browser.get(page).status_code == 200
    written, sql = [], peewee.BaseQuery.sql

    def counting(query):
        written.append(query)
        return sql(query)

    monkeypatch.setattr(peewee.BaseQuery, "sql", counting)
    for page in pages:
        assert browser.get(page).status_code == 200
    assert written == []


def test_the_operator_has_no_tenant_row(browser):
    browser.sign_in("ops")
    principal, tenant, _ = sessions.resume_with_rows(_token(browser))
    assert principal.role == "operator" and tenant is None


def test_an_expired_session_is_refused(browser):
    browser.sign_in(USER)
    Session.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    assert sessions.resume_with_rows(_token(browser)) is None
    assert browser.get("/me/forwards").status_code == 302


def test_a_disabled_login_is_refused(browser):
    browser.sign_in(USER)
    Login.update(enabled=False).where(Login.username == USER).execute()
    assert sessions.resume_with_rows(_token(browser)) is None
    assert browser.get("/me/forwards").status_code == 302


def test_a_disabled_users_session_and_sign_in_are_refused_until_enabled_again(browser):
    """Their admin disabled the user (an employee gone): the phone no longer registers, and the person
    no longer reaches the personal space or the API with the session they had, nor signs in again."""
    from fs_plugins.models import User

    browser.sign_in(USER)
    token = _token(browser)
    disabled = User.update(enabled=False).where(User.extension == "1001", User.tenant == Tenant.get(
        Tenant.domain == OWN))
    disabled.execute()
    assert sessions.resume_with_rows(token) is None
    assert browser.get("/me/forwards").status_code == 302
    refused = browser.submit("/login", {"username": USER, "password": "portal-pass-1"})
    assert refused.status_code == 401 and sessions.COOKIE not in refused.headers.get("Set-Cookie", "")
    User.update(enabled=True).where(User.extension == "1001").execute()
    assert sessions.resume_with_rows(token) is not None


def test_a_suspended_tenants_session_is_refused(browser):
    browser.sign_in(ADMIN)
    Tenant.update(suspended=True).where(Tenant.domain == OWN).execute()  # as if found before suspend deleted it
    assert sessions.resume_with_rows(_token(browser)) is None
    assert browser.get(f"/t/{OWN}/users").status_code == 302


def test_another_tenants_session_sees_nothing_of_this_tenant(browser):
    browser.sign_in(RIVAL)
    principal, tenant, _ = sessions.resume_with_rows(_token(browser))
    assert tenant.domain == OTHER and principal.tenant_domain == OTHER
    assert browser.get(f"/t/{OWN}/users").status_code == 404
    assert browser.get(f"/t/{OTHER}/users").status_code == 404  # a user, not its admin
    admin = Browser(browser.app)
    admin.sign_in(ADMIN)
    assert admin.get(f"/t/{OTHER}/users").status_code == 404
    assert admin.get(f"/t/{OWN}/users").status_code == 200


TENANT_BY_DOMAIN, USER_BY_EXTENSION = 'FROM "tenant" WHERE "domain"', 'FROM "user" WHERE "tenant_id" = ? AND "extension"'


def _scope_reads(statements: list[str]) -> list[str]:
    return [sql for sql in statements
            if TENANT_BY_DOMAIN in sql or USER_BY_EXTENSION.replace("?", "%s") in sql or USER_BY_EXTENSION in sql]


def test_a_pages_scope_checks_take_the_tenant_and_user_its_session_read_brought(browser, db, monkeypatch):
    """The call log's scope check read the tenant by domain and the user by extension again after
    the session's join had read both: five statements a page, three now (B7: PostgreSQL round trips)."""
    browser.sign_in(USER)
    for page in ("/me/calls", "/me/calls?type=missed", "/me/contacts", "/me/voicemail", "/me/forwards"):
        assert browser.get(page).status_code == 200
        counted = Counted(db, monkeypatch)
        assert browser.get(page).status_code == 200
        monkeypatch.undo()
        assert counted.statements and _scope_reads(counted.statements) == [], (page, counted.statements)


def test_an_admins_page_of_their_tenant_takes_its_row_and_another_tenants_page_is_still_missing(browser, db,
                                                                                                  monkeypatch):
    browser.sign_in(ADMIN)
    assert browser.get(f"/t/{OWN}/numbers").status_code == 200
    counted = Counted(db, monkeypatch)
    assert browser.get(f"/t/{OWN}/numbers").status_code == 200
    monkeypatch.undo()
    assert _scope_reads(counted.statements) == [], counted.statements
    assert browser.get(f"/t/{OTHER}/numbers").status_code == 404


def test_a_change_reads_its_tenant_and_user_itself_not_the_rows_the_session_brought(browser, db, monkeypatch):
    """A post's change reads what it changes inside its own transaction (a row read before it could
    be saved over a change made meanwhile)."""
    browser.sign_in(USER)
    counted = Counted(db, monkeypatch)
    response = browser.submit("/me/forwards", {"kind": "voicemail", "action": "set"}, action="/me/forwards/busy")
    monkeypatch.undo()
    assert response.status_code in (200, 303), response.data[:300]
    # the form's GET reads no tenant by domain (the test above): the post does
    assert any(TENANT_BY_DOMAIN in sql for sql in counted.statements), counted.statements


def test_a_user_asking_for_another_users_extension_is_not_given_their_own_row(world):
    from fs_plugins.access.principal import USER as USER_ROLE
    from fs_plugins.access.principal import Principal
    from fs_plugins.application import AppContext, user_in_scope
    from fs_plugins.config import Config
    from fs_plugins.errors import NotFound
    from fs_plugins.models import User

    import pytest

    ana = User.get(User.extension == "1001", User.tenant == Tenant.get(Tenant.domain == OWN))
    ctx = AppContext(Principal(USER_ROLE, ana.tenant_id, OWN, ana.id, "1001"), Config(), own_tenant=ana.tenant,
                     own_user=ana)
    assert user_in_scope(ctx, ana.tenant, "1001") is ana
    with pytest.raises(NotFound):
        user_in_scope(ctx, ana.tenant, "1002")


def _shape(row):
    """A model row as far as anyone reading it can tell: its class, values, what it marks changed,
    and the rows its foreign keys hold, the same way down (a key with no row reads None either way)."""
    if row is None:
        return None
    return (type(row), row.__data__, row._dirty,
            {name: _shape(rel) for name, rel in row.__rel__.items() if rel is not None})  # None: no row, as absent


@pytest.mark.parametrize("who", [USER, ADMIN, OPERATOR])
def test_the_sessions_rows_are_what_peewee_builds_from_the_same_read(browser, who):
    browser.sign_in(who)
    token = _token(browser)
    from fs_plugins.access import secrets
    from fs_plugins import prepared

    def read():
        return prepared.select_written(Session._meta.database, sessions._session_joined, (secrets.digest(token), 1))

    ours = sessions._joined_rows(read().cursor.fetchone())
    (peewees,) = list(read())  # the same read through peewee's cursor wrapper
    assert _shape(ours) == _shape(peewees)
    assert (ours.login.tenant is None) == (who == OPERATOR)
    resumed = sessions.resume_with_rows(token)
    assert resumed.tenant == ours.login.tenant and resumed.user == ours.login.user


def test_a_sessions_rows_are_built_without_peewees_per_read_column_work(browser, monkeypatch):
    """peewee's cursor wrapper works out the joined read's columns, joins and converters again on every
    read: about a quarter of a page's fixed CPU (B7, callgrind) for four rows."""
    import peewee

    browser.sign_in(USER)
    token = _token(browser)
    sessions.resume_with_rows(token)
    asked = []
    initialize = peewee.ModelCursorWrapper.initialize
    monkeypatch.setattr(peewee.ModelCursorWrapper, "initialize", lambda self: asked.append(self) or initialize(self))
    principal, tenant, user = sessions.resume_with_rows(token)
    assert (principal.extension, tenant.domain, user.extension, user.tenant is tenant) == ("1001", OWN, "1001", True)
    assert asked == []
