"""The API tests' two tenants (tests/api_world.py) with portal logins for every role, and a browser-like
client for the portal: it keeps cookies and sends each form's CSRF token as a browser would."""
from __future__ import annotations

import re

import pytest

from fs_plugins.access import logins
from fs_plugins.config import Config
from fs_plugins.portal.app import make_portal_app
from tests.provision import find_tenant
from tests.api_world import OTHER, OWN, PASSWORD, build_world, cheap_argon2  # noqa: F401 (fixture)

USER, ADMIN, OPERATOR, RIVAL = "ana@acme.example.com", "boss@acme.example.com", "ops", "rivalina@rival.example"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def portal_world():
    world = build_world()
    logins.add_login(OPERATOR, PASSWORD, "operator")
    logins.add_login(RIVAL, PASSWORD, "user", find_tenant(OTHER), "2001")
    return world


def portal_app(config: Config | None = None):
    return make_portal_app((config or Config()).replace(fs_event_socket_port=0))


def csrf_of(html: bytes | str) -> str:
    text = html.decode() if isinstance(html, bytes) else html
    found = _TOKEN.search(text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Browser:
    """A Flask test client that posts forms the way the pages ask (with the page's token)."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def submit(self, page_path: str, data: dict, action: str | None = None, **kwargs):
        """Open `page_path`, then post `data` with the token that page carries (to `action` or the page)."""
        token = csrf_of(self.client.get(page_path).data)
        return self.client.post(action or page_path, data={"csrf_token": token, **data}, **kwargs)

    def sign_in(self, username: str = USER, password: str = PASSWORD):
        response = self.submit("/login", {"username": username, "password": password})
        assert response.status_code == 302, response.data[:500]
        return response


@pytest.fixture
def world(db):
    return portal_world()


@pytest.fixture
def browser(world):
    return Browser(portal_app())
