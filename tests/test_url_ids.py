"""An id too large for the database, in a URL path or a query, is answered as an unknown id is
(404, or 422 naming the field), never 500 from an integer overflow in the driver (fs_plugins.ids).

Walks every route of the API and of the portal that takes a path value other than the tenant's
domain, and puts each out-of-range id in its place in turn, the other values naming real things.
"""
from __future__ import annotations

import re

import pytest

from fs_plugins.api import paging
from tests.api_world import OWN, api_client, build_world, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import OPERATOR, PASSWORD, USER, Browser, csrf_of, portal_app, portal_world

# 0 names no row; 2**31 is past PostgreSQL's serial; 2**63 past SQLite's INTEGER; 10**30 past both.
BAD_IDS = ("0", str(2**31), str(2**63), str(10**30))
# A tenant's domain, and a voicemail message's FreeSWITCH uuid (no table holds it; with no FreeSWITCH
# here the portal's delete fails on its own).
NOT_IDS = ("domain", "filename", "uuid")
MUTATING = ("POST", "PUT", "PATCH", "DELETE")
_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def _paths(app, values: dict):
    """(method, path) for every route and path value but the domain (and `any(...)` choices): each
    bad id in that value's place, the route's other values from `values`."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        free = [name for name in rule.arguments
                if name not in NOT_IDS and type(rule._converters[name]).__name__ not in ("AnyConverter", "PathConverter")]
        for name in free:
            for bad in BAD_IDS:
                chosen = {**{arg: values.get(arg, "1") for arg in rule.arguments}, name: bad}
                path = _ARGUMENT.sub(lambda found: str(chosen[found.group(1)]), rule.rule)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    yield method, path


def test_no_api_route_answers_500_for_an_id_the_database_cannot_hold(db):
    world = build_world()
    app, client = api_client()
    failures = []
    for method, path in _paths(app, world.own.values(path="/api/v1/tenants")):
        personal = path.startswith("/api/v1/me")
        if personal:  # a personal contact under /me
            path = path.replace(f"/contacts/{world.own.common_contact_id}", f"/contacts/{world.own.contact_id}")
        role = "user" if personal else "operator"
        answer = client.open(path, method=method, headers=world.headers(role),
                             json={} if method in MUTATING else None)
        if answer.status_code == 500:
            failures.append(f"{method} {path}: {answer.status_code} {answer.get_data(as_text=True)[:200]}")
    assert not failures, "\n".join(failures)


def test_no_portal_page_answers_500_for_an_id_the_database_cannot_hold(db):
    world = portal_world()
    values = world.own.values(path="/t")
    failures = []
    for who in (OPERATOR, USER):
        browser = Browser(portal_app())
        browser.sign_in(who, PASSWORD)
        token = csrf_of(browser.get("/").data)  # so a post reaches its view
        for method, path in _paths(browser.app, values):
            if path.startswith("/me/") != (who == USER):
                continue
            answer = browser.client.open(path, method=method, data={"csrf_token": token})
            if answer.status_code in (500, 403):  # 403: the form's token refused, the view never reached
                failures.append(f"{who} {method} {path}: {answer.status_code}")
    assert not failures, "\n".join(failures)
