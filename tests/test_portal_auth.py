"""Signing in and out of the portal, its CSRF rules, changing and resetting a password by e-mail."""
from __future__ import annotations

import datetime as dt
import re
import stat

import pytest

from fs_plugins.access import sessions, throttle
from fs_plugins.config import Config
from fs_plugins.models import utcnow
from fs_plugins.models.access import Login, Session
from fs_plugins.models.audit import AuditEntry
from fs_plugins.models.portal import PasswordReset
from tests.api_world import PASSWORD, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, USER, Browser, browser, csrf_of, portal_app, world  # noqa: F401


def test_a_page_asks_to_sign_in_first_and_comes_back_after(browser):
    response = browser.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=%2Faccount%2Fpassword")
    token = csrf_of(browser.get(response.headers["Location"]).data)
    done = browser.client.post("/login", data={"csrf_token": token, "username": USER, "password": PASSWORD,
                                                "next": "/account/password"})
    assert done.status_code == 302 and done.headers["Location"] == "/account/password"
    assert browser.get("/account/password").status_code == 200


def test_signing_in_opens_the_session_the_api_reads_too(browser):
    browser.sign_in()
    cookie = browser.client.get_cookie(sessions.COOKIE)
    assert cookie.http_only and cookie.same_site == "Lax"
    assert Session.select().count() == 1
    assert sessions.resume_with_rows(cookie.value).principal.extension == "1001"


def test_a_wrong_password_is_refused_next_to_the_field_and_counted(browser):
    response = browser.submit("/login", {"username": USER, "password": "not it"})
    assert response.status_code == 401
    html = response.data.decode()
    assert 'id="e-password"' in html and 'aria-invalid="true"' in html
    assert browser.client.get_cookie(sessions.COOKIE) is None


def test_after_too_many_failures_the_login_waits(browser):
    for _ in range(throttle.LIMITS["login"]):
        browser.submit("/login", {"username": USER, "password": "wrong"})
    response = browser.submit("/login", {"username": USER, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.data.decode() or "Demasiados" in response.data.decode()


def test_a_next_address_elsewhere_is_ignored(browser):
    token = csrf_of(browser.get("/login").data)
    done = browser.client.post("/login", data={"csrf_token": token, "username": USER, "password": PASSWORD,
                                                "next": "//evil.example/"})
    assert done.headers["Location"] == "/"


def test_a_form_post_without_the_token_is_refused_and_changes_nothing(browser):
    browser.sign_in()
    before = Login.get(Login.username == USER).password_hash
    refused = browser.client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": "brand-new-pass", "new_password_again": "brand-new-pass"})
    assert refused.status_code == 403
    for token in ("é", "é" + csrf_of(browser.get("/account/password").data)):  # compared as bytes (it was a 500)
        accented = browser.client.post("/account/password", data={
            "csrf_token": token, "current_password": PASSWORD, "new_password": "brand-new-pass",
            "new_password_again": "brand-new-pass"})
        assert accented.status_code == 403
    assert Login.get(Login.username == USER).password_hash == before


def test_a_sign_in_post_with_an_accented_token_is_refused(browser):
    token = csrf_of(browser.get("/login").data)  # the form's cookie is set: the tokens are compared
    response = browser.client.post("/login", data={"csrf_token": "é" + token, "username": USER, "password": PASSWORD})
    assert response.status_code == 403 and Session.select().count() == 0


def test_a_sign_in_post_from_another_site_is_refused(browser):
    response = browser.client.post("/login", data={"username": USER, "password": PASSWORD})
    assert response.status_code == 403
    assert Session.select().count() == 0


def test_signing_out_ends_the_session(browser):
    browser.sign_in()
    token = browser.client.get_cookie(sessions.COOKIE).value
    response = browser.submit("/", {}, action="/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/login?said=signed-out"
    assert sessions.resume_with_rows(token) is None
    assert browser.get("/").status_code == 302


def test_an_expired_session_sends_a_form_post_to_sign_in_and_changes_nothing(browser):
    browser.sign_in()
    token = csrf_of(browser.get("/account/password").data)
    Session.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    response = browser.client.post("/account/password", data={
        "csrf_token": token, "current_password": PASSWORD, "new_password": "brand-new-pass",
        "new_password_again": "brand-new-pass"}, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/login?next=")
    assert Login.get(Login.username == USER).password_hash.startswith("$argon2id$")
    assert Browser(browser.app).sign_in()  # the old password still works


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(browser, world):
    other = Browser(browser.app)
    other.sign_in()
    browser.sign_in()
    response = browser.submit("/account/password", {
        "current_password": PASSWORD, "new_password": "brand-new-pass", "new_password_again": "brand-new-pass"})
    assert response.status_code == 200
    assert "role=\"status\"" in response.data.decode()
    assert browser.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert AuditEntry.select().where(AuditEntry.action == "login.update").count() == 1


@pytest.mark.parametrize("fields, field", [
    ({"current_password": "wrong", "new_password": "brand-new-pass", "new_password_again": "brand-new-pass"},
     "current_password"),
    ({"current_password": PASSWORD, "new_password": "short", "new_password_again": "short"}, "new_password"),
    ({"current_password": PASSWORD, "new_password": "brand-new-pass", "new_password_again": "other-pass"},
     "new_password_again"),
])
def test_a_bad_password_change_names_the_field_and_keeps_the_old_password(browser, fields, field):
    browser.sign_in()
    before = Login.get(Login.username == USER).password_hash
    response = browser.submit("/account/password", fields)
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.data.decode()
    assert Login.get(Login.username == USER).password_hash == before


# --- forgotten password --------------------------------------------------------------------------

@pytest.fixture
def mailbox(tmp_path):
    """A fake sendmail: checks it is called as `-t -i` and keeps each message it is given."""
    box = tmp_path / "mail"
    box.mkdir()
    script = tmp_path / "sendmail"
    script.write_text(f'#!/bin/sh\n[ "$1" = "-t" ] && [ "$2" = "-i" ] || exit 64\n'
                      f'cat > "{box}/$(date +%s%N).eml"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return box, str(script)


def _mail_browser(sendmail: str) -> Browser:
    return Browser(portal_app(Config().replace(sendmail_path=sendmail, portal_url="https://pbx.example.net")))


def _messages(box) -> list[str]:
    return [path.read_text() for path in sorted(box.iterdir())]


def test_a_forgotten_password_is_reset_with_a_link_that_works_once(world, mailbox):
    box, sendmail = mailbox
    browser = _mail_browser(sendmail)
    browser.sign_in()  # an open session, which the reset must end
    answer = browser.submit("/forgot", {"who": USER})
    assert answer.status_code == 200
    [mail] = _messages(box)
    assert "To: ana@acme.example.com" in mail
    link = re.search(r"https://pbx\.example\.net(/reset/\S+)", mail).group(1)
    assert PasswordReset.select().count() == 1 and link.split("/")[-1] not in PasswordReset.get().token_hash
    done = browser.submit(link, {"password": "chosen-again-1", "password_again": "chosen-again-1"})
    assert done.status_code == 302 and done.headers["Location"] == "/login?said=password-reset"
    assert browser.get("/").status_code == 302  # the session that was open is over
    assert browser.get(link).status_code == 404  # once only
    browser.sign_in(USER, "chosen-again-1")


def test_asking_for_an_unknown_account_answers_the_same_and_sends_nothing(world, mailbox):
    box, sendmail = mailbox
    browser = _mail_browser(sendmail)
    known = browser.submit("/forgot", {"who": USER}).data.decode()
    unknown = browser.submit("/forgot", {"who": "nobody@nowhere.example"}).data.decode()
    assert _notice(known) == _notice(unknown)
    assert len(_messages(box)) == 1


def test_without_portal_url_no_link_is_mailed_as_the_host_the_request_names_could_be_anyones(world, mailbox,
                                                                                              caplog):
    box, sendmail = mailbox
    browser = Browser(portal_app(Config().replace(sendmail_path=sendmail)))
    answer = browser.submit("/forgot", {"who": USER})
    assert answer.status_code == 200 and "Si esa cuenta existe" in answer.data.decode()  # the same answer
    assert _messages(box) == [] and PasswordReset.select().count() == 0
    assert "set portal_url" in caplog.text


def _notice(html: str) -> str:
    return re.search(r'<p class="notice">(.*?)</p>', html, re.S).group(1)


def test_a_reset_link_expires(world, mailbox):
    box, sendmail = mailbox
    browser = _mail_browser(sendmail)
    browser.submit("/forgot", {"who": ADMIN})  # a tenant admin: the username is the address
    link = re.search(r"(/reset/\S+)", _messages(box)[0]).group(1)
    PasswordReset.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    assert browser.get(link).status_code == 404
    refused = browser.client.post(link, data={"csrf_token": csrf_of(browser.get("/forgot").data),
                                              "password": "chosen-again-1", "password_again": "chosen-again-1"})
    assert refused.status_code == 404


def test_a_bad_new_password_keeps_the_link_and_the_old_password(world, mailbox):
    box, sendmail = mailbox
    browser = _mail_browser(sendmail)
    browser.submit("/forgot", {"who": USER})
    link = re.search(r"(/reset/\S+)", _messages(box)[0]).group(1)
    response = browser.submit(link, {"password": "short", "password_again": "short"})
    assert response.status_code == 422 and 'id="e-password"' in response.data.decode()
    assert browser.get(link).status_code == 200
    browser.sign_in()


def test_reset_requests_are_limited_without_locking_the_sign_in(world, mailbox):
    box, sendmail = mailbox
    browser = _mail_browser(sendmail)
    for _ in range(throttle.LIMITS["reset"]):
        assert browser.submit("/forgot", {"who": USER}).status_code == 200
    assert browser.submit("/forgot", {"who": USER}).status_code == 429
    assert len(_messages(box)) == throttle.LIMITS["reset"]
    browser.sign_in()


def test_when_the_mta_fails_the_answer_does_not_change(world, tmp_path):
    browser = _mail_browser(str(tmp_path / "no-sendmail-here"))
    assert browser.submit("/forgot", {"who": USER}).status_code == 200


def test_an_unknown_address_is_404_for_anyone_and_any_method(browser):
    assert browser.get("/no/such/page").status_code == 404
    assert browser.client.post("/no/such/page", data={}).status_code == 404
    browser.sign_in()
    assert browser.get("/no/such/page").status_code == 404
