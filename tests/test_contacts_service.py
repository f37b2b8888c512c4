"""Contacts service: visibility rules, validation, normalisation, the derived user entries."""
import hashlib

import pytest

from fs_plugins.contacts import service
from fs_plugins.contacts.numbers import normalise
from fs_plugins.e164 import possible as lookup_key
from fs_plugins.contacts.records import ContactInput
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models import Tenant, User
from tests.contact_directories import operator_directory


def make_user(tenant, ext, name, password="secret", enabled=True):
    a1 = hashlib.md5(f"{ext}:{tenant.domain}:{password}".encode()).hexdigest()
    return User.create(tenant=tenant, extension=ext, display_name=name, a1_hash=a1, enabled=enabled)


@pytest.fixture
def acme(db):
    tenant = Tenant.create(name="Acme", domain="acme.example", country="ES")
    make_user(tenant, "100", "Ana Admin")
    make_user(tenant, "101", "Bruno Bajo")
    return tenant


@pytest.fixture
def other(db):
    tenant = Tenant.create(name="Other", domain="other.example", country="ES")
    make_user(tenant, "100", "Otto Other")
    return tenant


def work(name, *numbers, **extra):
    return ContactInput(name, numbers=tuple(("work", n) for n in numbers), **extra)


@pytest.mark.parametrize("typed, e164", [
    ("91 123 45 67", "+34911234567"),
    ("911234567", "+34911234567"),
    ("+34 911 23 45 67", "+34911234567"),
    ("0034911234567", "+34911234567"),
    ("(91) 123-45-67", "+34911234567"),
    ("600.000.000", "+34600000000"),
    ("+44 20 7946 0000", "+442079460000"),
])
def test_numbers_are_normalised_to_e164_with_the_tenant_country_as_default(typed, e164):
    assert normalise(typed, "ES") == e164


def test_the_same_national_number_normalises_by_the_tenant_country():
    assert normalise("020 7946 0000", "GB") == "+442079460000"


@pytest.mark.parametrize("typed", ["", "12", "abc", "91 123 45 67 ext 3", "+34 1", "9" * 41])
def test_impossible_numbers_are_refused_naming_the_field(typed):
    with pytest.raises(InvalidInput) as err:
        normalise(typed, "ES", field="mobile")
    assert err.value.field == "mobile"


def test_a_caller_number_that_is_an_extension_has_no_e164():
    assert lookup_key("1001", "ES") is None


def test_a_personal_contact_is_seen_only_by_its_owner(acme):
    ana = operator_directory("acme.example", "100")
    bruno = operator_directory("acme.example", "101")
    service.add_contact(ana, work("Mamá", "600 111 222"))
    assert [v.name for v in service.list_contacts(ana)] == ["Mamá"]
    assert service.list_contacts(bruno) == []
    assert "Mamá" not in [v.name for v in service.search(bruno, "Mam")]
    assert "Mamá" not in [v.name for v in service.list_contacts(operator_directory("acme.example"))]


def test_another_user_cannot_change_or_delete_a_personal_contact(acme):
    ana = operator_directory("acme.example", "100")
    bruno = operator_directory("acme.example", "101")
    view = service.add_contact(ana, work("Mamá", "600 111 222"))
    with pytest.raises(NotFound):
        service.change_contact(bruno, view.id, {"name": "Hacked"}, {})
    with pytest.raises(NotFound):
        service.remove_contact(bruno, view.id)
    with pytest.raises(NotFound):  # nor through the common directory
        service.remove_contact(operator_directory("acme.example"), view.id)
    assert service.get_contact(ana, view.id).name == "Mamá"


def test_a_tenant_never_sees_another_tenants_contacts_or_users(acme, other):
    acme_common = operator_directory("acme.example")
    other_common = operator_directory("other.example")
    view = service.add_contact(acme_common, work("Proveedor", "91 123 45 67"))
    names = [v.name for v in service.list_contacts(other_common)]
    assert names == ["Otto Other"]
    assert [v.name for v in service.search(other_common, "911")] == []
    with pytest.raises(NotFound):
        service.get_contact(other_common, view.id)
    with pytest.raises(NotFound):
        service.change_contact(other_common, view.id, {"name": "x"}, {})


def test_the_common_directory_shows_the_tenants_enabled_users_derived_at_query_time(acme):
    common = operator_directory("acme.example")
    service.add_contact(common, work("Zeta Proveedores", "91 123 45 67"))
    views = service.list_contacts(common)
    assert [(v.name, v.source) for v in views] == [
        ("Ana Admin", "user"), ("Bruno Bajo", "user"), ("Zeta Proveedores", "common")]
    User.update(display_name="Ana Directora").where(User.extension == "100").execute()
    make_user(acme, "102", "Carla Nueva", enabled=False)
    assert [v.name for v in service.list_contacts(common) if v.source == "user"] == ["Ana Directora", "Bruno Bajo"]


def test_a_user_sees_personal_common_and_users_when_searching(acme):
    ana = operator_directory("acme.example", "100")
    service.add_contact(ana, work("Bea Personal", "600 111 222"))
    service.add_contact(operator_directory("acme.example"), work("Bea Común", "600 333 444"))
    assert [(v.name, v.source) for v in service.search(ana, "bea")] == [
        ("Bea Común", "common"), ("Bea Personal", "personal")]
    assert [v.name for v in service.search(ana, "bruno")] == ["Bruno Bajo"]


def test_search_by_number_matches_however_the_number_was_typed(acme):
    ana = operator_directory("acme.example", "100")
    service.add_contact(ana, work("Oficina Madrid", "91 123 45 67"))
    for query in ("911234567", "+34 911", "123 45", "0034911234567"):
        assert [v.name for v in service.search(ana, query)] == ["Oficina Madrid"], query


def test_a_contact_keeps_typed_numbers_of_every_kind_with_company_email_and_note(acme):
    common = operator_directory("acme.example")
    view = service.add_contact(common, ContactInput(
        "Carlos", company="Talleres SL", email="c@talleres.es", note="llamar por la mañana",
        numbers=(("mobile", "600 111 222"), ("work", "91 123 45 67"), ("home", "91 765 43 21"),
                 ("other", "+44 20 7946 0000"), ("work", "911 234 567"))))
    assert [(n.kind, n.number, n.e164) for n in view.numbers] == [
        ("work", "91 123 45 67", "+34911234567"), ("mobile", "600 111 222", "+34600111222"),
        ("home", "91 765 43 21", "+34917654321"), ("other", "+44 20 7946 0000", "+442079460000")]
    assert (view.company, view.email, view.note) == ("Talleres SL", "c@talleres.es", "llamar por la mañana")


@pytest.mark.parametrize("data, field", [
    (work("", "600 111 222"), "name"),
    (work("   ", "600 111 222"), "name"),
    (work("X" * 121, "600 111 222"), "name"),
    (work("Bad\nName", "600 111 222"), "name"),
    (work("Bell\x07", "600 111 222"), "name"),
    (work("No Numbers"), "number"),
    (work("Bad email", "600 111 222", email="not-an-email"), "email"),
    (ContactInput("Bad kind", numbers=(("fax", "600 111 222"),)), "kind"),
    (work("Bad number", "12"), "work"),
    (work("Eve ${system(id)}", "600 111 222"), "name"),
    (work("Eve $${hostname}", "600 111 222"), "name"),
    (work("Eve", "600 111 222", company="${api status}"), "company"),
    (work("Eve", "600 111 222", email="${x}@acme.es"), "email"),
    (work("Eve", "600 111 222", note="call ${sofia_contact(1001)}"), "note"),
])
def test_bad_contacts_are_refused_naming_the_field_and_nothing_is_stored(acme, data, field):
    common = operator_directory("acme.example")
    with pytest.raises(InvalidInput) as err:
        service.add_contact(common, data)
    assert err.value.field == field
    assert [v.source for v in service.list_contacts(common)] == ["user", "user"]


def test_changing_a_contact_replaces_only_the_given_fields_and_kinds(acme):
    common = operator_directory("acme.example")
    view = service.add_contact(common, ContactInput(
        "Carlos", company="Talleres", numbers=(("work", "91 123 45 67"), ("mobile", "600 111 222"))))
    changed = service.change_contact(common, view.id, {"company": ""}, {"mobile": ["600 999 888"]})
    assert changed.company is None and changed.name == "Carlos"
    assert [(n.kind, n.e164) for n in changed.numbers] == [("work", "+34911234567"), ("mobile", "+34600999888")]


def test_a_change_that_would_leave_a_contact_without_numbers_or_email_stores_nothing(acme):
    common = operator_directory("acme.example")
    view = service.add_contact(common, work("Carlos", "91 123 45 67"))
    with pytest.raises(InvalidInput):
        service.change_contact(common, view.id, {}, {"work": []})
    assert service.get_contact(common, view.id).numbers[0].e164 == "+34911234567"


def test_removing_a_contact_removes_its_numbers(acme, db):
    common = operator_directory("acme.example")
    view = service.add_contact(common, work("Carlos", "91 123 45 67"))
    service.remove_contact(common, view.id)
    assert db.execute_sql("SELECT COUNT(*) FROM contact_number").fetchone()[0] == 0


def test_unknown_tenant_user_or_contact_id_are_reported(acme):
    with pytest.raises(NotFound):
        operator_directory("nowhere.example")
    with pytest.raises(NotFound):
        operator_directory("acme.example", "999")
    with pytest.raises(InvalidInput):
        service.get_contact(operator_directory("acme.example"), "abc")


def test_search_text_is_literal_not_a_pattern(acme):
    common = operator_directory("acme.example")
    service.add_contact(common, work("Plain", "91 123 45 67"))
    assert service.search(common, "%") == [] and service.search(common, "_") == []


def test_deleting_a_user_deletes_their_personal_contacts_but_not_the_common_ones(acme, db):
    ana = operator_directory("acme.example", "100")
    service.add_contact(ana, work("Mamá", "600 111 222"))
    service.add_contact(operator_directory("acme.example"), work("Común", "600 111 333"))
    User.delete().where(User.id == ana.owner_id).execute()
    assert db.execute_sql("SELECT name FROM contact").fetchall() == [("Común",)]
    assert db.execute_sql("SELECT COUNT(*) FROM contact_number").fetchone()[0] == 1
