"""Caller name on the dialplan hot path: the order of sources, normalisation, neutralisation."""
import hashlib

import pytest

from fs_plugins.contacts import service
from fs_plugins.contacts.caller_name import caller_name, safe_name
from fs_plugins.e164 import possible as lookup_key
from fs_plugins.contacts.records import ContactInput
from fs_plugins.models import Tenant, User
from tests.contact_directories import operator_directory


def make_user(tenant, ext, name, enabled=True):
    a1 = hashlib.md5(f"{ext}:{tenant.domain}:secret".encode()).hexdigest()
    return User.create(tenant=tenant, extension=ext, display_name=name, a1_hash=a1, enabled=enabled)


def work(name, number):
    return ContactInput(name, numbers=(("work", number),))


@pytest.fixture
def acme(db):
    tenant = Tenant.create(name="Acme", domain="acme.example", country="ES")
    make_user(tenant, "100", "Ana Admin")
    make_user(tenant, "101", "Bruno Bajo")
    return tenant


def ids(tenant):
    return {u.extension: u.id for u in User.select().where(User.tenant == tenant)}


def test_the_callees_personal_contact_wins_over_the_common_directory(db, acme):
    users = ids(acme)
    service.add_contact(operator_directory("acme.example"), work("Proveedor SA", "91 123 45 67"))
    service.add_contact(operator_directory("acme.example", "100"), work("Pepe del proveedor", "911234567"))
    assert caller_name(db, acme.id, users["100"], "+34911234567") == "Pepe del proveedor"
    assert caller_name(db, acme.id, users["101"], "+34911234567") == "Proveedor SA"


def test_another_users_personal_contact_is_never_used(db, acme):
    users = ids(acme)
    service.add_contact(operator_directory("acme.example", "100"), work("Mamá de Ana", "600 111 222"))
    assert caller_name(db, acme.id, users["101"], "+34600111222") is None


def test_an_unknown_caller_keeps_what_the_caller_sent(db, acme):
    assert caller_name(db, acme.id, ids(acme)["100"], "+34999999999") is None
    assert caller_name(db, acme.id, ids(acme)["100"], "") is None


def test_a_user_calling_from_their_extension_is_named_after_the_user(db, acme):
    users = ids(acme)
    assert caller_name(db, acme.id, users["101"], "100") == "Ana Admin"
    User.update(enabled=False).where(User.id == users["100"]).execute()
    assert caller_name(db, acme.id, users["101"], "100") is None


def test_contacts_of_another_tenant_never_name_a_caller(db, acme):
    other = Tenant.create(name="Other", domain="other.example", country="ES")
    make_user(other, "100", "Otto")
    service.add_contact(operator_directory("other.example"), work("De otro tenant", "91 123 45 67"))
    assert caller_name(db, acme.id, ids(acme)["100"], "+34911234567") is None
    assert caller_name(db, other.id, None, "+34911234567") == "De otro tenant"


@pytest.mark.parametrize("as_sent", ["+34911234567", "0034911234567", "911234567", "34911234567"])
def test_a_contact_saved_in_national_form_matches_the_caller_number_in_any_form(db, acme, as_sent):
    service.add_contact(operator_directory("acme.example"), work("Oficina", "91 123 45 67"))
    assert caller_name(db, acme.id, ids(acme)["100"], lookup_key(as_sent, "ES")) == "Oficina"


def test_when_two_common_contacts_share_a_number_the_oldest_names_the_caller(db, acme):
    common = operator_directory("acme.example")
    service.add_contact(common, work("Primero", "91 123 45 67"))
    service.add_contact(common, work("Segundo", "911234567"))
    assert caller_name(db, acme.id, None, "+34911234567") == "Primero"


def test_a_hostile_contact_name_reaches_freeswitch_neutralised(db, acme):
    hostile = "${system(rm -rf /)} $${sip_profile} \"q\" 'x' \r\nX-PRE-PROCESS"
    stored = service.add_contact(operator_directory("acme.example"), work("Hostile", "911234567"))
    from fs_plugins.models.contacts import Contact  # refused on input: as if written into the database directly
    Contact.update(name=hostile[:60]).where(Contact.id == stored.id).execute()
    name = caller_name(db, acme.id, None, "+34911234567")
    assert "${" not in name and "$" not in name and '"' not in name and "'" not in name
    assert "{" not in name and "\r" not in name and "\n" not in name


@pytest.mark.parametrize("raw, safe", [
    ("Ana García", "Ana García"),
    ("O'Brien", "O\u2019Brien"),
    ("${system rm -rf /}", "system rm -rf /"),
    ("$${domain}", "domain"),
    ("${${nested}}", "nested"),
    ('He said "hi"', "He said hi"),
    ("line\r\nbreak", "line break"),
    ("tab\tand\x00nul\x1bEsc", "tab and nul Esc"),
    ("rtl\u202eoverride\u200bzero", "rtl override zero"),
    ("a,b|c[d]e{f}g^h", "a b c d e f g h"),
    ("back\\slash <sip:x>; drop", "back slash sip:x drop"),
    ("   spaced    out   ", "spaced out"),
])
def test_safe_name_removes_everything_freeswitch_could_interpret(raw, safe):
    assert safe_name(raw) == safe


@pytest.mark.parametrize("raw", [None, "", "   ", "${}", "\r\n\x00", "\"\""])
def test_safe_name_of_nothing_readable_is_none(raw):
    assert safe_name(raw) is None


def test_safe_name_is_bounded_in_length():
    assert len(safe_name("x" * 1000)) == 64
    assert safe_name("ab cd", max_length=3) == "ab"
