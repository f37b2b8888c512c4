"""Ids from outside (fs_plugins.ids): what the database can hold is an id, anything else is no row's.

The front ends' routes are walked in tests/test_url_ids.py; here the rule itself, and the
application functions the CLI hands a typed id to (`centralita … remove 99999999999999999999`),
which must answer "not found" (or name the field), never overflow the driver's integer.
"""
from __future__ import annotations

import re

import pytest

from fs_plugins import audit, ids
from fs_plugins.access.principal import cli_principal
from fs_plugins.application import AppContext
from fs_plugins.calllog.log import LogQuery
from fs_plugins.contacts import app as contacts
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models.audit import AuditEntry
from fs_plugins.recording import app as recording
from fs_plugins.schedule import app as schedules
from tests.api_world import OWN, build_world, cheap_argon2  # noqa: F401 (fixture)

TOO_LARGE = (2**31, 2**63, 10**30)


@pytest.mark.parametrize("text, expected", [
    ("1", 1), (" 42 ", 42), (str(2**31 - 1), 2**31 - 1),
    ("0", None), (str(2**31), None), (str(2**63), None), ("1" * 5000, None),  # int() refuses 4301+ digits
    ("-1", None), ("+1", None), ("1_000", None), ("١٢", None), ("", None), (None, None), ("12a", None),
])
def test_an_id_is_ascii_digits_within_the_id_columns_range(text, expected):
    assert ids.parse_id(text) == expected


@pytest.mark.parametrize("value, expected", [
    (1, True), (2**31 - 1, True), (0, False), (2**31, False), (True, False), ("1", False), (1.0, False)])
def test_a_decoded_value_is_an_id_only_as_an_int_in_range(value, expected):
    assert ids.is_id(value) is expected


@pytest.mark.parametrize("limit", [1, 9, 10, 19, 20, 57, 100, 999, 1000, 2047, 30504])
def test_the_id_pattern_matches_exactly_one_to_its_limit(limit):
    pattern = re.compile(ids.digits_up_to(limit))
    assert [n for n in range(3 * limit + 20) if pattern.fullmatch(str(n))] == list(range(1, limit + 1))
    assert not pattern.fullmatch(f"0{limit}")


def test_the_routes_id_pattern_stops_at_the_largest_id():
    pattern = re.compile(ids.RowIdConverter.regex)
    assert pattern.fullmatch(str(ids.MAX_ID)) and pattern.fullmatch("1999999999")
    assert not any(pattern.fullmatch(str(n)) for n in (0, ids.MAX_ID + 1, 9999999999, 2**63, 10**30))


def test_a_big_integer_column_holds_up_to_two_to_the_63rd_minus_one():
    assert ids.parse_bigint(str(2**63 - 1)) == 2**63 - 1
    assert ids.parse_bigint(str(2**63)) is None
    assert ids.is_bigint(-(2**63)) and not ids.is_bigint(2**63)


@pytest.mark.parametrize("too_large", TOO_LARGE)
def test_the_cli_s_typed_ids_too_large_for_the_database_are_not_found(db, too_large):
    world = build_world()
    ctx = AppContext.operator(audit=lambda event: None)
    with pytest.raises(NotFound):
        contacts.get_contact(ctx, OWN, None, too_large)
    with pytest.raises(NotFound):
        recording.recording_path(ctx, OWN, too_large)
    with pytest.raises(NotFound):
        schedules.remove_period(ctx, OWN, world.own.schedule, "closure", too_large)


@pytest.mark.parametrize("too_large", TOO_LARGE)
def test_an_audit_page_bound_past_every_id_lists_from_the_newest(db, too_large):
    for n in range(3):
        AuditEntry.create(actor="cli test", role="operator", action="tenant.update", target=f"change {n}")
    newest = audit.entries(cli_principal(), limit=5)
    assert len(newest) == 3
    assert audit.entries(cli_principal(), before_id=too_large, limit=5) == newest
    assert audit.entries(cli_principal(), before_id=-too_large, limit=5) == []


def test_a_call_log_page_whose_offset_would_overflow_names_the_page():
    with pytest.raises(InvalidInput) as refused:
        LogQuery(tenant=OWN, page=10**30)
    assert refused.value.field == "page"
    assert LogQuery(tenant=OWN, page=10**6).page == 10**6
