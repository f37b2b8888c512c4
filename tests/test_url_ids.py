"""An id too large for the database, in a URL path or a query, is answered as an unknown id is
(404, or 422 naming the field), never 500 from an integer overflow in the driver (fs_plugins.ids).

Walks every route of the API and of the portal that takes a path value other than the tenant's
domain, and puts each out-of-range id in its place in turn, the other values naming real things.
"""
from __future__ import annotations

import re
import warnings

from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter

from fs_plugins.api import paging
from fs_plugins.models.ivr import IvrMenu
from fs_plugins.models.schedule import Schedule
from tests.api_world import OWN, api_client, build_world, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import OPERATOR, PASSWORD, USER, Browser, csrf_of, portal_app, portal_world

# 0 names no row; 2**31 is past PostgreSQL's serial; 2**63 past SQLite's INTEGER; 10**30 past both.
BAD_IDS = ("0", str(2**31), str(2**63), str(10**30))
NOT_IDS = ("domain", "filename")  # a tenant's domain names it; the rest take any value
MUTATING = ("POST", "PUT", "PATCH", "DELETE")
_ARGUMENT = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def _read(answer) -> tuple[int, str]:
    """Its status and body, the answer closed (a streamed CSV's generator with it)."""
    with answer:
        return answer.status_code, answer.get_data(as_text=True)


def _paths(app, values: dict):
    """(method, path, numeric) for every route and path value but the domain (and `any(...)`
    choices): each bad id in that value's place, the route's other values from `values`;
    `numeric` when that place is an `<int:…>`, whose bad ids match no route: 404, whatever the method."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        free = [name for name in rule.arguments if name not in NOT_IDS
                and not isinstance(rule._converters[name], (AnyConverter, PathConverter))]
        for name in free:
            numeric = isinstance(rule._converters[name], IntegerConverter)
            for bad in BAD_IDS:
                chosen = {**{arg: values.get(arg, "1") for arg in rule.arguments}, name: bad}
                path = _ARGUMENT.sub(lambda found: str(chosen[found.group(1)]), rule.rule)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    yield method, path, numeric


def test_no_api_route_answers_500_for_an_id_the_database_cannot_hold(db):
    world = build_world()
    app, client = api_client()
    failures = []
    for method, path, numeric in _paths(app, world.own.values(path="/api/v1/tenants")):
        personal = path.startswith("/api/v1/me")
        if personal:  # a personal contact under /me
            path = path.replace(f"/contacts/{world.own.common_contact_id}", f"/contacts/{world.own.contact_id}")
        role = "user" if personal else "operator"
        status, body = _read(client.open(path, method=method, headers=world.headers(role),
                                         json={} if method in MUTATING else None))
        if status == 500 or (numeric and status != 404):
            failures.append(f"{method} {path}: {status} {body[:200]}")
    assert not failures, "\n".join(failures)


def test_no_portal_page_answers_500_for_an_id_the_database_cannot_hold(db):
    world = portal_world()
    values = world.own.values(path="/t")
    failures = []
    for who in (OPERATOR, USER):
        browser = Browser(portal_app())
        browser.sign_in(who, PASSWORD)
        token = csrf_of(browser.get("/").data)  # so a post reaches its view
        for method, path, numeric in _paths(browser.app, values):
            if path.startswith("/me/") != (who == USER):
                continue
            status, _ = _read(browser.client.open(path, method=method, data={"csrf_token": token}))
            if status in (500, 403) or (numeric and status != 404):  # 403: the view never reached
                failures.append(f"{who} {method} {path}: {status}")
    assert not failures, "\n".join(failures)


def _cursors(bad: str) -> tuple[str, ...]:
    """`bad` as a query's own value and inside the cursors the API gives out (one key, or two)."""
    number = int(bad)
    return (bad, paging.encode(number), paging.encode([number, number]), paging.encode([1_790_000_000, number]))


def test_no_api_list_answers_500_for_a_cursor_or_id_the_database_cannot_hold(db):
    world = build_world()
    app, client = api_client()
    with app.app_context(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # apispec's duplicate-schema notice
        spec = app.spec
    failures, tried = [], 0
    for template, operations in spec["paths"].items():
        if "get" not in operations or "{" in template.replace("{domain}", ""):
            continue
        path = template.replace("{domain}", OWN)
        role = "user" if path.startswith("/api/v1/me") else "operator"
        for parameter in operations["get"].get("parameters", []):
            name = parameter["name"]
            if parameter["in"] != "query" or name not in ("after", "before", "limit"):
                continue
            for value in (cursor for bad in BAD_IDS for cursor in _cursors(bad)):
                status, body = _read(client.get(path, query_string={name: value}, headers=world.headers(role)))
                tried += 1
                if status == 500 or (status == 422 and name not in body):  # 422 names the field
                    failures.append(f"GET {path}?{name}={value}: {status} {body[:200]}")
    assert tried > 100
    assert not failures, "\n".join(failures)


def test_no_portal_page_answers_500_for_an_id_in_its_query_the_database_cannot_hold(db):
    world = portal_world()
    schedule = Schedule.get(Schedule.name == world.own.schedule).id
    menu = IvrMenu.get(IvrMenu.name == world.own.menu).id
    pages = {  # who signs in: the pages reading an id (or a key holding one) from their query
        USER: [("/me/calls", "after", "{bad}.{bad}"), ("/me/calls", "after", "1790000000.{bad}"),
               ("/me/calls", "after", "{bad}.1"), ("/me/calls.csv", "after", "{bad}.{bad}")],
        OPERATOR: [("/operator/audit", "before", "{bad}"), (f"/t/{OWN}/audio", "recorded", "{bad}"),
                   (f"/t/{OWN}/ivr/{menu}", "recorded", "{bad}"), (f"/t/{OWN}/schedules/{schedule}", "year", "{bad}")],
    }
    failures, tried = [], 0
    for who, cases in pages.items():
        browser = Browser(portal_app())
        browser.sign_in(who, PASSWORD)
        for path, name, form in cases:
            for bad in BAD_IDS:
                status, _ = _read(browser.get(path, query_string={name: form.format(bad=bad)}))
                tried += 1
                if status not in (200, 404, 422):
                    failures.append(f"{who} GET {path}?{name}={form.format(bad=bad)}: {status}")
    assert tried == 32
    assert not failures, "\n".join(failures)


def test_no_portal_form_answers_500_for_an_id_or_number_the_database_cannot_hold(db):
    world = portal_world()
    schedule = Schedule.get(Schedule.name == world.own.schedule).id
    browser = Browser(portal_app())
    browser.sign_in(OPERATOR, PASSWORD)
    forms = [(f"/t/{OWN}/schedules/{schedule}", f"/t/{OWN}/schedules/{schedule}/periods", "id",
              {"action": "remove", "kind": "closure"}),
             (f"/t/{OWN}/recordings", f"/t/{OWN}/recordings/options", "retention_days", {})]
    failures = []
    for page_path, action, name, fields in forms:
        for bad in (*BAD_IDS, "1" * 5000):  # past 4300 digits int() itself refuses the text
            status, _ = _read(browser.submit(page_path, {**fields, name: bad}, action=action))
            if status not in (200, 404, 422):
                failures.append(f"POST {action} {name}={bad[:40]}: {status}")
    assert not failures, "\n".join(failures)
