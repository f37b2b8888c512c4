"""A user's personal contacts (create, edit, delete, CSV import shown line by line before anything is
stored, CSV export) and the tenant's common directory. Every rule is fs_plugins.contacts'."""
from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fs_plugins.contacts import app
from fs_plugins.contacts.records import ContactInput
from fs_plugins.errors import InvalidInput
from fs_plugins.models.contacts import NUMBER_KINDS
from fs_plugins.portal.context import app_context, me
from fs_plugins.portal.guard import SELF, area
from fs_plugins.portal.i18n import page_text
from fs_plugins.portal.pages import Outcome, attempt, page

bp = Blueprint("me_contacts", __name__)
KIND_LABELS = {"work": _l("Work"), "mobile": _l("Mobile"), "home": _l("Home"), "other": _l("Other")}
DUPLICATES = (("skip", _l("Keep the contact I have")), ("update", _l("Update it from the file")),
              ("keep", _l("Add it again")))
MAX_IMPORT = 5 * 1024 * 1024
DIRECTORY_PAGE = 100


def _list(outcome=None):
    query = request.args.get("q", "").strip()
    ctx = app_context()
    contacts = app.search(ctx, *me(), query, limit=500) if query else app.list_contacts(ctx, *me())
    contacts = [view for view in contacts if view.source != "user"]  # the directory's users are in the common one
    return page("contacts/mine.html", outcome=outcome, contacts=contacts, q=query, kinds=page_text(KIND_LABELS))


@bp.get("/me/contacts")
@area(SELF)
def contacts():
    return _list()


def _form_input() -> tuple[ContactInput, dict[str, list[str]]]:
    numbers = {kind: [n.strip() for n in request.form.get(kind, "").split(",") if n.strip()] for kind in NUMBER_KINDS}
    flat = tuple((kind, number) for kind in NUMBER_KINDS for number in numbers[kind])
    text = {name: request.form.get(name, "") for name in ("name", "company", "email", "note")}
    return ContactInput(text["name"], text["company"] or None, text["email"] or None, text["note"] or None, flat), numbers


def _form_values(view=None) -> dict:
    if view is None:
        return {name: request.form.get(name, "") for name in ("name", "company", "email", "note", *NUMBER_KINDS)}
    values = {name: getattr(view, name) or "" for name in ("name", "company", "email", "note")}
    values.update({kind: ", ".join(n.number for n in view.numbers if n.kind == kind) for kind in NUMBER_KINDS})
    return values


@bp.route("/me/contacts/new", methods=["GET", "POST"])
@area(SELF)
def new_contact():
    if request.method == "GET":
        return page("contacts/edit.html", values=_form_values(), contact=None, kinds=KIND_LABELS)

    def add():
        data, _numbers = _form_input()
        return app.add_contact(app_context(), *me(), data).value

    outcome = attempt(add, lambda view: _("Contact %(name)s added.", name=view.name))
    if not outcome.ok:
        return page("contacts/edit.html", outcome=outcome, values=_form_values(), contact=None, kinds=KIND_LABELS)
    return _list(outcome)


@bp.route("/me/contacts/<int:contact_id>", methods=["GET", "POST"])
@area(SELF)
def edit_contact(contact_id: int):
    current = app.get_contact(app_context(), *me(), contact_id)  # NotFound (404) outside this user's contacts
    if request.method == "GET":
        return page("contacts/edit.html", values=_form_values(current), contact=current, kinds=KIND_LABELS)

    def change():
        data, numbers = _form_input()
        changes = {"name": data.name, "company": data.company or "", "email": data.email or "", "note": data.note or ""}
        return app.change_contact(app_context(), *me(), contact_id, changes, numbers).value

    outcome = attempt(change, lambda view: _("Contact %(name)s saved.", name=view.name))
    if not outcome.ok:
        return page("contacts/edit.html", outcome=outcome, values=_form_values(), contact=current, kinds=KIND_LABELS)
    return _list(outcome)


@bp.post("/me/contacts/<int:contact_id>/delete")
@area(SELF)
def delete_contact(contact_id: int):
    app.get_contact(app_context(), *me(), contact_id)  # NotFound (404) outside this user's contacts

    def remove():
        return app.remove_contact(app_context(), *me(), contact_id).value

    return _list(attempt(remove, lambda view: _("Contact %(name)s deleted.", name=view.name)))


@bp.get("/me/contacts.csv")
@area(SELF)
def export_contacts():
    return Response(app.export_contacts(app_context(), *me()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="contacts.csv"'})


@bp.route("/me/contacts/import", methods=["GET", "POST"])
@area(SELF)
def import_contacts():
    """First a dry run (every check, real counts, nothing kept) showing each bad line; then, only when
    asked, the import itself, from the same file carried in the form."""
    if request.method == "GET":
        return page("contacts/import.html", report=None, duplicates=DUPLICATES, chosen="skip", data="")
    chosen = request.form.get("duplicates", "skip")
    try:
        data = _uploaded()
    except InvalidInput as exc:
        return page("contacts/import.html", outcome=Outcome.refused(exc), report=None,
                    duplicates=DUPLICATES, chosen=chosen, data="")
    store = request.form.get("store") in ("all", "good")
    # The check is a partial import rolled back: every bad line is listed and the counts are those of
    # the lines that would be stored.
    outcome = attempt(lambda: _run_import(data, chosen, partial=request.form.get("store") != "all", dry_run=not store),
                      lambda report: _imported(report) if report.stored else "")
    if store and outcome.ok and outcome.value.stored:
        return _list(outcome)
    return page("contacts/import.html", outcome=outcome, report=outcome.value, duplicates=DUPLICATES, chosen=chosen,
                data=base64.b64encode(data).decode())


def _uploaded() -> bytes:
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read(MAX_IMPORT + 1)
    else:
        try:
            data = base64.b64decode(request.form.get("data", ""), validate=True)
        except (binascii.Error, ValueError):
            data = b""
    if not data:
        raise InvalidInput("file", _("choose a CSV file"))
    if len(data) > MAX_IMPORT:
        raise InvalidInput("file", _("the file is larger than %(size)s MiB", size=MAX_IMPORT // (1024 * 1024)))
    return data


def _run_import(data: bytes, duplicates: str, partial: bool, dry_run: bool):
    return app.import_contacts(app_context(), *me(), data, duplicates, partial, dry_run=dry_run).value.report


def _imported(report) -> str:
    return _("Imported: %(added)s added, %(updated)s updated, %(skipped)s skipped.",
             added=report.added, updated=report.updated, skipped=report.skipped)


@bp.get("/me/directory")
@area(SELF)
def directory():
    query = request.args.get("q", "").strip()
    contacts = app.search(app_context(), me()[0], None, query, limit=DIRECTORY_PAGE)  # colleagues first by name; search for more
    return page("contacts/directory.html", contacts=contacts, q=query, kinds=page_text(KIND_LABELS),
                more=len(contacts) >= DIRECTORY_PAGE)

