"""The contacts' application layer as the CLI, the REST API and the portal call it: whose
directory a principal reaches, one transaction with its audit event, errors naming the field."""
from __future__ import annotations

import pytest

from fs_plugins.contacts import app
from fs_plugins.contacts.records import ContactInput
from fs_plugins.errors import Forbidden, InvalidInput, NotFound
from fs_plugins.models.contacts import Contact
from tests.test_core_app import admin_of, operator_principal, pbx, user_of  # noqa: F401 (fixture)

PROVIDER = ContactInput("Proveedor S.A.", company="Proveedor", numbers=(("work", "911 23 45 67"),))


def test_a_user_changes_their_own_contacts_and_the_change_is_audited_in_its_tenant(pbx):
    context, events, _ = pbx
    ana = context(user_of("acme.example", "1001"))
    added = app.add_contact(ana, "acme.example", "1001", PROVIDER).value
    assert (added.source, added.numbers[0].e164) == ("personal", "+34911234567")
    changed = app.change_contact(ana, "acme.example", "1001", added.id, {"note": "lunes"},
                                 {"mobile": ["600 11 22 33"]}).value
    assert changed.note == "lunes" and [n.kind for n in changed.numbers] == ["work", "mobile"]
    app.remove_contact(ana, "acme.example", "1001", added.id)
    assert [(e.action, e.tenant, e.target) for e in events] == [
        ("contact.create", "acme.example", "contact Proveedor S.A."),
        ("contact.update", "acme.example", f"contact {added.id}"),
        ("contact.delete", "acme.example", f"contact {added.id}")]
    assert events[0].detail == {"name": "Proveedor S.A.", "company": "Proveedor", "numbers": 1}


def test_a_user_reaches_neither_another_users_contacts_nor_another_tenant(pbx):
    context, events, _ = pbx
    bruno_contact = app.add_contact(context(operator_principal()), "acme.example", "1002", PROVIDER).value
    ana = context(user_of("acme.example", "1001"))
    with pytest.raises(NotFound) as other_user:
        app.list_contacts(ana, "acme.example", "1002")
    assert other_user.value.field == "user"
    with pytest.raises(NotFound):
        app.get_contact(ana, "acme.example", "1001", bruno_contact.id)  # not in Ana's directory
    with pytest.raises(NotFound) as other_tenant:
        app.add_contact(context(admin_of("globex.example")), "acme.example", None, PROVIDER)
    assert other_tenant.value.field == "tenant"
    assert Contact.select().count() == 1 and [e.action for e in events] == ["contact.create"]


def test_the_common_directory_is_read_by_users_and_changed_by_the_admin(pbx):
    context, _, _ = pbx
    ana = context(user_of("acme.example", "1001"))
    with pytest.raises(Forbidden):
        app.add_contact(ana, "acme.example", None, PROVIDER)
    app.add_contact(context(admin_of("acme.example")), "acme.example", None, PROVIDER)
    assert [(v.source, v.name) for v in app.list_contacts(ana, "acme.example")] == [
        ("user", "Ana"), ("user", "Bruno"), ("common", "Proveedor S.A.")]
    assert [v.name for v in app.search(ana, "acme.example", "1001", "91123")] == ["Proveedor S.A."]


def test_a_bad_contact_names_its_field_and_writes_nothing(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    with pytest.raises(InvalidInput) as bad:
        app.add_contact(admin, "acme.example", None, ContactInput("Bad", numbers=(("mobile", "12ab"),)))
    assert bad.value.field == "mobile"
    added = app.add_contact(admin, "acme.example", None, PROVIDER).value
    with pytest.raises(InvalidInput) as emptied:
        app.change_contact(admin, "acme.example", None, added.id, {}, {"work": []})
    assert emptied.value.field == "number"
    assert app.get_contact(admin, "acme.example", None, added.id) == added  # rolled back
    assert [e.action for e in events] == ["contact.create"]


def test_a_dry_run_import_counts_and_keeps_nothing(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    csv = "name,phone\nProveedor,911234567\nTaller,912345678\n".encode()
    trial = app.import_contacts(admin, "acme.example", None, csv, dry_run=True).value
    assert (trial.report.added, trial.report.stored, Contact.select().count(), events) == (2, False, 0, [])
    done = app.import_contacts(admin, "acme.example", None, csv).value
    assert done.directory == "common directory of acme.example" and Contact.select().count() == 2
    assert [(e.action, e.target, e.detail["added"]) for e in events] == [
        ("contact.import", "common directory of acme.example", 2)]
    assert app.export_contacts(admin, "acme.example").splitlines()[1:] == ["Proveedor,,911234567,,,,,",
                                                                           "Taller,,912345678,,,,,"]
