"""Call groups through their application layer, as the REST API and the portal call it: only the
tenant's administrator, other tenants do not exist, errors name the API's field, one audit entry per
change and nothing written when a change is refused."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from fs_plugins.errors import Conflict, Forbidden, InvalidInput, NotFound
from fs_plugins.groups import app
from fs_plugins.models import ShortNumber
from fs_plugins.models.groups import CallGroup, GroupMember
from tests.test_core_app import admin_of, pbx, user_of  # noqa: F401  (fixture)


def test_an_admin_creates_a_group_with_members_and_gets_back_a_plain_view(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    created = app.add_group(admin, "acme.example", "Sales", ring_mode="consecutive", member_seconds="12",
                            short_number="600", no_answer_destination="voicemail:").value
    app.add_member(admin, "acme.example", "Sales", user="1002")
    done = app.add_member(admin, "acme.example", str(created.id), number="911 234 567").value
    assert (done.member_seconds, done.short_number, done.no_answer_destination.label) == (
        12, "600", "voicemail: (general box)")
    assert [(m.user, m.name, m.number) for m in done.members] == [("1002", "Bruno", None), (None, None, "+34911234567")]
    assert dataclasses.is_dataclass(done) and done == app.get_group(admin, "acme.example", "Sales")
    assert [e.action for e in events] == ["group.add", "group.member.add", "group.member.add"]
    assert events[0].target == "group Sales" and events[0].detail["short_number"] == "600"


def test_another_tenants_admin_does_not_see_the_group_and_a_user_may_not_manage_it(pbx):
    context, _, _ = pbx
    app.add_group(context(admin_of("acme.example")), "acme.example", "Sales")
    with pytest.raises(NotFound) as missing:
        app.get_group(context(admin_of("globex.example")), "acme.example", "Sales")
    assert missing.value.field == "tenant"
    with pytest.raises(NotFound):
        app.add_member(context(admin_of("globex.example")), "globex.example", "Sales", user="2001")
    with pytest.raises(Forbidden):
        app.list_groups(context(user_of("acme.example", "1001")), "acme.example")


@pytest.mark.parametrize("settings, field", [
    ({"total_seconds": "-5"}, "total_seconds"),
    ({"member_seconds": "abc"}, "member_seconds"),
    ({"no_answer_destination": "user:2001"}, "no_answer_destination"),  # another tenant's user
    ({"opening": "schedule"}, "schedule"),
    ({"kind": "premium"}, "kind"),
    ({"comment": "${api system}"}, "comment"),
    ({"melody": "audio:Nothing"}, "melody"),
    ({"short_number": "1001"}, "short_number"),
])
def test_a_refused_group_names_the_apis_field_and_leaves_nothing_written(pbx, settings, field):
    context, events, _ = pbx
    with pytest.raises(InvalidInput) as refused:
        app.add_group(context(admin_of("acme.example")), "acme.example", "Sales", **settings)
    assert refused.value.field == field
    assert CallGroup.select().count() == 0 and ShortNumber.select().count() == 0 and events == []


def test_a_taken_name_or_member_is_a_conflict(pbx):
    context, _, _ = pbx
    admin = context(admin_of("acme.example"))
    app.add_group(admin, "acme.example", "Sales")
    app.add_member(admin, "acme.example", "Sales", user="1001")
    with pytest.raises(Conflict) as taken:
        app.add_group(admin, "acme.example", "Sales")
    assert taken.value.field == "name"
    with pytest.raises(Conflict) as twice:
        app.add_member(admin, "acme.example", "Sales", user="1001")
    assert twice.value.field == "user" and GroupMember.select().count() == 1


def test_a_group_something_routes_to_is_not_removed(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    app.add_group(admin, "acme.example", "Sales", short_number="600")
    app.add_group(admin, "acme.example", "Support", no_answer_destination="group:Sales")
    with pytest.raises(Conflict) as refused:
        app.remove_group(admin, "acme.example", "Sales")
    assert refused.value.field == "group" and "Support" in refused.value.message
    app.remove_group(admin, "acme.example", "Support")
    removed = app.remove_group(admin, "acme.example", "Sales").value
    assert removed.name == "Sales" and ShortNumber.select().count() == 0
    assert [e.action for e in events][-2:] == ["group.delete", "group.delete"]


def test_statistics_cover_the_tenants_local_days(pbx):
    context, _, _ = pbx
    admin = context(admin_of("acme.example"))
    app.add_group(admin, "acme.example", "Sales")
    day = app.group_stats(admin, "acme.example", "Sales", dt.date(2026, 7, 1))
    assert (day.start, day.end) == (dt.datetime(2026, 6, 30, 22), dt.datetime(2026, 7, 1, 22))  # Madrid, summer
    assert day.figures.offered == 0
    with pytest.raises(InvalidInput) as backwards:
        app.group_stats(admin, "acme.example", "Sales", dt.date(2026, 7, 2), dt.date(2026, 7, 1))
    assert backwards.value.field == "last"
