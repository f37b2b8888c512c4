"""Call groups edited in the customer's administration (issue 16 [13]): settings through groups.app with
each refusal next to its field and nothing written, the one-way switch to advanced, members added,
removed and reordered (arrows and drag-and-drop's order), and another tenant's group a 404."""
from __future__ import annotations

import re

import pytest

from fs_plugins.groups import app as groups
from fs_plugins.models import Tenant
from fs_plugins.models.groups import CallGroup
from tests import provision
from tests.api_world import OTHER, OWN, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, browser, world  # noqa: F401

GROUPS = f"/t/{OWN}/groups"


def _form(**changes) -> dict:
    form = {"name": "Ventas", "comment": "", "short_number": "600", "kind": "simple", "ring_mode": "simultaneous",
            "melody": "ringback", "member_seconds": "15", "total_seconds": "30", "no_answer_destination": "",
            "opening": "open", "schedule": "", "closed_destination": "", "queue_size": "10", "max_wait": "300",
            "overflow_destination": "", "announce_every": "60", "rounds": "1", "callback_key": "",
            "service_level_seconds": "20"}
    form.update(changes)
    return form


def _group(name="Ventas"):
    return groups.get_group(provision.OPERATOR, OWN, name)


def _members(html: str) -> list[str]:
    return re.findall(r'<li draggable="true" data-key="([^"]+)"', html)


def test_a_group_is_created_and_changed_through_its_form_and_each_save_is_confirmed(browser):
    browser.sign_in(ADMIN)
    assert 'href="/t/%s/groups/new"' % OWN in browser.get(GROUPS).data.decode()
    saved = browser.submit(f"{GROUPS}/new", _form(no_answer_destination="voicemail:"))
    assert saved.status_code == 303
    group = _group()
    assert (group.short_number, group.total_seconds, group.no_answer_destination.label) == ("600", 30, "voicemail: (general box)")
    page = browser.get(saved.headers["Location"]).data.decode()
    assert "Grupo de llamadas Ventas guardado." in page and 'value="voicemail:"' in page
    browser.submit(f"{GROUPS}/{group.id}", _form(ring_mode="consecutive", member_seconds="20", comment="Tienda"))
    group = _group()
    assert (group.ring_mode, group.member_seconds, group.comment) == ("consecutive", 20, "Tienda")


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"),
    ({"max_wait": "5"}, "max_wait"),
    ({"total_seconds": "soon"}, "total_seconds"),
    ({"no_answer_destination": "user:4711"}, "no_answer_destination"),
    ({"opening": "schedule", "schedule": ""}, "schedule"),
    ({"short_number": "1001"}, "short_number"),  # a user's extension
    ({"callback_key": "x"}, "callback_key"),
    ({"melody": "audio:nothing-of-that-name"}, "melody"),
])
def test_a_refused_group_is_explained_next_to_the_field_and_nothing_is_written(browser, changes, field):
    browser.sign_in(ADMIN)
    before = CallGroup.select().count()
    response = browser.submit(f"{GROUPS}/new", _form(**changes))
    assert response.status_code == 422
    html = response.data.decode()
    assert f'id="e-{field}"' in html and 'aria-invalid="true"' in html
    assert CallGroup.select().count() == before


def test_a_simple_group_becomes_advanced_and_never_goes_back(browser):
    owner = Tenant.get(Tenant.domain == OWN)
    row = provision.group(owner, "Ventas", ("1001",))
    browser.sign_in(ADMIN)
    edit = f"{GROUPS}/{row.id}"
    assert '<option value="simple" selected>' in browser.get(edit).data.decode()
    browser.submit(edit, _form(kind="advanced", max_wait="120", overflow_destination="user:1002"))
    group = _group()
    assert (group.kind, group.max_wait, group.overflow_destination.label.split(" (")[0]) == ("advanced", 120, "user:1002")
    html = browser.get(edit).data.decode()
    assert '<option value="simple"' not in html  # the form offers only what is possible
    refused = browser.submit(edit, _form(kind="simple"))  # a hand-made post is the application's to refuse
    assert refused.status_code == 422 and 'id="e-kind"' in refused.data.decode() and _group().kind == "advanced"


def _queue_hidden(html: str) -> bool:
    fieldset = re.search(r'<fieldset id="queue-settings"[^>]*>', html)
    assert fieldset, "the editor has no queue settings"
    return " hidden" in fieldset.group(0)


def test_the_queue_settings_show_only_for_an_advanced_group_or_when_one_holds_an_error(browser):
    owner = Tenant.get(Tenant.domain == OWN)
    simple = provision.group(owner, "Ventas", ("1001",))
    advanced = provision.group(owner, "Turno", ("1002",), kind="advanced")
    browser.sign_in(ADMIN)
    assert _queue_hidden(browser.get(f"{GROUPS}/new").data.decode())  # a new group starts simple
    assert _queue_hidden(browser.get(f"{GROUPS}/{simple.id}").data.decode())
    assert not _queue_hidden(browser.get(f"{GROUPS}/{advanced.id}").data.decode())
    refused = browser.submit(f"{GROUPS}/{simple.id}", _form(max_wait="5")).data.decode()
    assert 'id="e-max_wait"' in refused and not _queue_hidden(refused)  # an error is never hidden


def test_members_are_added_reordered_by_arrows_and_by_drag_and_removed(browser):
    owner = Tenant.get(Tenant.domain == OWN)
    row = provision.group(owner, "Ventas", ("1001",))
    browser.sign_in(ADMIN)
    edit, members = f"{GROUPS}/{row.id}", f"{GROUPS}/{row.id}/members"
    added = browser.submit(edit, {"action": "add", "user": "1002"}, action=members)
    assert added.status_code == 200 and "Miembro añadido a Ventas." in added.data.decode()
    browser.submit(edit, {"action": "add", "number": "911234567"}, action=members)
    assert _members(browser.get(edit).data.decode()) == ["user:1001", "user:1002", "number:+34911234567"]
    moved = browser.submit(edit, {"action": "up", "member": "number:+34911234567"}, action=members)
    assert _members(moved.data.decode()) == ["user:1001", "number:+34911234567", "user:1002"]
    assert "Orden de llamada de Ventas cambiado." in moved.data.decode()
    browser.submit(edit, {"action": "down", "member": "user:1001"}, action=members)
    assert [m.key for m in _group().members] == ["number:+34911234567", "user:1001", "user:1002"]
    dragged = browser.submit(edit, {"action": "order", "order": ["user:1002", "user:1001", "number:+34911234567"]},
                             action=members)
    assert _members(dragged.data.decode()) == ["user:1002", "user:1001", "number:+34911234567"]
    browser.submit(edit, {"action": "remove", "member": "user:1001"}, action=members)
    assert [m.key for m in _group().members] == ["user:1002", "number:+34911234567"]


@pytest.mark.parametrize("form, field", [
    ({"action": "add", "user": "4711"}, "user"),
    ({"action": "add", "user": "1001"}, "user"),  # already a member
    ({"action": "add", "number": "803123456"}, "number"),  # barred by the tenant's restrictions
    ({"action": "order", "order": ["user:1001", "user:1001"]}, "member"),  # not each member once
    ({"action": "up", "member": "user:1002"}, "member"),  # Soporte's, not Ventas'
    ({"action": "remove", "member": "user:1002"}, "user"),
])
def test_a_refused_member_change_is_explained_and_the_members_stay(browser, form, field):
    owner = Tenant.get(Tenant.domain == OWN)
    row = provision.group(owner, "Ventas", ("1001",))
    provision.group(owner, "Soporte", ("1002",))
    browser.sign_in(ADMIN)
    response = browser.submit(f"{GROUPS}/{row.id}", form, action=f"{GROUPS}/{row.id}/members")
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.data.decode()
    assert [m.key for m in _group().members] == ["user:1001"]


def test_another_tenants_group_is_a_404_to_read_and_to_change(browser):
    rival = provision.group(Tenant.get(Tenant.domain == OTHER), "Rivales")
    own = provision.group(Tenant.get(Tenant.domain == OWN), "Ventas")
    browser.sign_in(ADMIN)
    for path in (f"{GROUPS}/{rival.id}", f"/t/{OTHER}/groups/{rival.id}", f"/t/{OTHER}/groups/new"):
        assert browser.get(path).status_code == 404, path
    token_page = f"{GROUPS}/{own.id}"
    for action in (f"{GROUPS}/{rival.id}", f"{GROUPS}/{rival.id}/members"):
        assert browser.submit(token_page, {**_form(name="Mía"), "action": "remove", "member": "user:2001"},
                              action=action).status_code == 404
    assert CallGroup.get_by_id(rival.id).name == "Rivales"


def test_a_change_without_the_pages_token_is_refused(browser):
    row = provision.group(Tenant.get(Tenant.domain == OWN), "Ventas", ("1001",))
    browser.sign_in(ADMIN)
    refused = browser.client.post(f"{GROUPS}/{row.id}/members", data={"action": "remove", "member": "user:1001"})
    assert refused.status_code == 403 and [m.key for m in _group().members] == ["user:1001"]
