"""A portal request whose database work passes api_deadline answers 503 with Retry-After and a page
in the person's language saying nothing was changed, as the API does (docs/operations.md); it used to
be a 500 "no answer within 10.0 s" (seen once on POST /login under B7's load)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import peewee
import pytest

from fs_plugins.access import sessions
from fs_plugins.dbpool import DatabaseUnavailable
from tests.api_world import cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import USER, browser, csrf_of, world  # noqa: F401
from tests.held_transaction import HeldTransaction
from tests.serve_process import ROOT, ServeProcess

PASSWORD = "portal-deadline-password"


def _no_answer(*_args, **_kwargs):
    raise DatabaseUnavailable("no answer within 10.0 s")


def test_a_page_whose_database_does_not_answer_is_503_with_retry_after_in_the_persons_language(browser,
                                                                                                  monkeypatch):
    browser.sign_in()
    monkeypatch.setattr(sessions, "resume_with_rows", _no_answer)
    response = browser.get("/me/forwards", headers={"Accept-Language": "es"})
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    html = response.data.decode()
    assert "no se ha cambiado nada" in html and "no answer within" not in html
    english = browser.get("/me/forwards", headers={"Accept-Language": "en"})
    assert "nothing was changed" in english.data.decode()


def test_sqlites_lock_held_past_its_timeout_is_503_too(browser, monkeypatch):
    browser.sign_in()
    monkeypatch.setattr(sessions, "resume_with_rows",
                        lambda *_a, **_k: (_ for _ in ()).throw(peewee.OperationalError("database is locked")))
    assert browser.get("/me/forwards").status_code == 503


def test_any_other_database_error_is_still_a_server_error(browser, monkeypatch):
    browser.sign_in()
    browser.app.config["PROPAGATE_EXCEPTIONS"] = False  # as served, not as the test client raises it
    monkeypatch.setattr(sessions, "resume_with_rows",
                        lambda *_a, **_k: (_ for _ in ()).throw(peewee.OperationalError("no such table: session")))
    assert browser.get("/me/forwards").status_code == 500


class HeldLogin(HeldTransaction):
    """Another process's transaction holding what signing in writes, for `seconds`: SQLite's write
    lock, or on PostgreSQL the login's row (signing in stamps last_login_at)."""

    def __init__(self, url: str, username: str, seconds: float):
        super().__init__(url, seconds)
        self.username = username

    def take(self, db) -> None:
        db.execute_sql("SELECT id FROM login WHERE username = %s FOR UPDATE", (self.username,))


def _sign_in(port: int, username: str) -> tuple[int, dict, str, float]:
    """POST /login as a browser does: the form's page first (its double-submit cookie and token)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response:
        cookie = response.headers["Set-Cookie"].split(";")[0]
        token = csrf_of(response.read())
    form = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD}).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/login", data=form, method="POST",
                                     headers={"Cookie": cookie, "Accept-Language": "es"})
    started = time.monotonic()
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            status, headers, body = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, dict(error.headers), error.read()
    return status, headers, body.decode(), time.monotonic() - started


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_signing_in_while_another_write_holds_the_lock_past_api_deadline_is_503(tmp_path, db_url):
    with ServeProcess(tmp_path, only=("api",), database_url=db_url, api_deadline="1",
                      fs_event_socket_port="0") as serve:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRALITA_")}
        subprocess.run([sys.executable, "-m", "fs_plugins.cli", "--database", db_url, "login", "add", "waiter",
                        "--role", "operator"], input=PASSWORD + "\n", env=env, cwd=ROOT, capture_output=True,
                       text=True, check=True)
        with HeldLogin(db_url, "waiter", seconds=4):
            status, headers, html, seconds = _sign_in(serve.api_port, "waiter")
        assert status == 503, serve.log()[-4000:]
        assert headers["Retry-After"].isdigit() and "no se ha cambiado nada" in html
        assert seconds < 3.5  # answered at the deadline, not when the lock was let go
        assert "Internal Server Error" not in html
        status, headers, _, _ = _sign_in(serve.api_port, "waiter")  # the lock is free again
        assert status == 302 and sessions.COOKIE in headers.get("Set-Cookie", "")

