"""Two administrators giving phones at once: the one who comes second is told which phone or user is
taken (409 naming the field, as when they come one after the other), never a 500, and nothing of the
refused change is stored. PostgreSQL, where the two transactions really overlap."""
from __future__ import annotations

import pytest

from fs_plugins.errors import Conflict
from fs_plugins.models.provisioning import Device
from fs_plugins.provisioning import app
from tests import provision
from tests.overlap import overlapping

pytestmark = pytest.mark.postgres
DOMAIN = "acme.example"


@pytest.fixture
def acme(pg_db):
    acme = provision.tenant("Acme", DOMAIN, country="ES")
    for extension in ("1001", "1002"):
        provision.user(acme, extension, f"User {extension}")
    return acme


def test_two_phones_for_one_user_at_once_the_second_is_a_conflict_on_user(acme):
    outcomes = overlapping(lambda ctx: app.add_device(ctx, DOMAIN, "80:5e:c0:00:00:01", "yealink", "1001"),
                           lambda ctx: app.add_device(ctx, DOMAIN, "80:5e:c0:00:00:02", "snom", "1001"))
    refused = outcomes["second"]
    assert isinstance(refused, Conflict) and refused.field == "user", outcomes
    assert [row.mac for row in Device.select()] == ["805ec0000001"]


def test_one_mac_added_twice_at_once_the_second_is_a_conflict_on_mac(acme):
    outcomes = overlapping(lambda ctx: app.add_device(ctx, DOMAIN, "80:5e:c0:00:00:01", "yealink", "1001"),
                           lambda ctx: app.add_device(ctx, DOMAIN, "80:5e:c0:00:00:01", "yealink", "1002"))
    refused = outcomes["second"]
    assert isinstance(refused, Conflict) and refused.field == "mac", outcomes
    assert [(row.mac, row.user.extension) for row in Device.select()] == [("805ec0000001", "1001")]


def test_a_phone_moved_to_a_user_who_gets_another_meanwhile_is_a_conflict_on_user(acme):
    app.add_device(provision.OPERATOR, DOMAIN, "80:5e:c0:00:00:01", "yealink", "1001")
    outcomes = overlapping(lambda ctx: app.add_device(ctx, DOMAIN, "80:5e:c0:00:00:02", "snom", "1002"),
                           lambda ctx: app.change_device(ctx, DOMAIN, "80:5e:c0:00:00:01", user="1002"))
    refused = outcomes["second"]
    assert isinstance(refused, Conflict) and refused.field == "user", outcomes
    assert sorted((row.mac, row.user.extension) for row in Device.select()) == [
        ("805ec0000001", "1001"), ("805ec0000002", "1002")]
