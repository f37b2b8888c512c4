"""The core's list functions page by key in the application layer (the REST API's `?after=&limit=`
and the portal's user pages call them): a page starts past the key given, holds at most `limit`
views, and nobody pages into what is not theirs."""
from __future__ import annotations

import pytest

from fs_plugins import references
from fs_plugins.core import app
from fs_plugins.destinations import Destination
from fs_plugins.errors import Forbidden, NotFound
from tests.test_core_app import admin_of, operator_principal, pbx, user_of  # noqa: F401 (fixture)


def test_users_page_by_extension_with_their_timestamps(pbx):
    context, _, _ = pbx
    admin = context(admin_of("acme.example"))
    first = app.list_users(admin, "acme.example", limit=1)
    assert [u.extension for u in first] == ["1001"] and first[0].created_at is not None
    assert first[0].updated_at is not None
    assert [u.extension for u in app.list_users(admin, "acme.example", after="1001", limit=5)] == ["1002"]
    assert app.list_users(admin, "acme.example", after="1002", limit=5) == []
    with pytest.raises(NotFound):
        app.list_users(admin, "globex.example", limit=5)
    with pytest.raises(Forbidden):
        app.list_users(context(user_of("acme.example", "1001")), "acme.example", limit=5)


def test_numbers_page_by_e164_and_one_is_read_in_any_written_form(pbx):
    context, _, _ = pbx
    operator = context(operator_principal())
    for number in ("+34910000003", "+34910000001", "+34910000002"):
        app.add_number(operator, "acme.example", number, "user:1001")
    app.add_number(operator, "globex.example", "+34910000009", "user:2001")
    admin = context(admin_of("acme.example"))
    assert [n.number for n in app.list_numbers(admin, "acme.example", limit=2)] == ["+34910000001", "+34910000002"]
    rest = app.list_numbers(admin, "acme.example", after="+34910000002", limit=2)
    assert [n.number for n in rest] == ["+34910000003"] and rest[0].created_at is not None
    shown = app.get_number(admin, "acme.example", "910 00 00 02")
    assert (shown.number, shown.label) == ("+34910000002", "user:1001 (Ana)")
    with pytest.raises(NotFound):
        app.get_number(admin, "acme.example", "+34910000009")  # globex's
    with pytest.raises(NotFound):
        app.list_numbers(admin, "globex.example")


def test_tenants_page_by_domain_with_users_counted_and_an_admin_sees_only_theirs(pbx):
    context, _, _ = pbx
    operator = context(operator_principal())
    app.add_tenant(operator, "empty.example", "Empty")
    listed = app.list_tenants(operator, limit=2)
    assert [(s.tenant.domain, s.users) for s in listed] == [("acme.example", 2), ("empty.example", 0)]
    assert listed[0].tenant.created_at is not None
    assert [s.tenant.domain for s in app.list_tenants(operator, after="empty.example", limit=2)] == [
        "globex.example"]
    admin = context(admin_of("globex.example"))
    assert [(s.tenant.domain, s.users) for s in app.list_tenants(admin)] == [("globex.example", 1)]
    assert app.list_tenants(admin, after="globex.example") == []
    assert app.get_tenant(admin, "globex.example").name == "Globex"
    with pytest.raises(NotFound):
        app.get_tenant(admin, "acme.example")


@pytest.mark.parametrize("stored,label,typed", [
    ("user:12", "user:1001 (Ana (boss))", "user:1001"),
    ("user:12", "user:? (deleted user)", "user:12"),  # gone: as stored, never "user:?"
    ("voicemail:12", "voicemail:1001 (Ana)", "voicemail:1001"),
    ("voicemail:", "voicemail: (general box)", "voicemail:"),
    ("number:+34910000001", "number:+34910000001", "number:+34910000001"),
    ("hangup:USER_BUSY", "hangup:USER_BUSY", "hangup:USER_BUSY"),
    ("ivr:4", "ivr:Main", "ivr:Main"),
])
def test_a_destination_reads_back_as_a_person_types_it(stored, label, typed):
    assert references.typed(Destination.parse(stored), label) == typed


def test_a_did_shows_its_destination_as_typed(pbx):
    context, _, _ = pbx
    operator = context(operator_principal())
    app.add_number(operator, "acme.example", "+34910000001", "voicemail:1002")
    assert app.list_numbers(operator, "acme.example")[0].reference == "voicemail:1002"
