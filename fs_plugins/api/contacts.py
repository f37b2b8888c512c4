"""Contacts: a user's personal ones at /api/v1/me/contacts, a tenant's common directory at
/api/v1/tenants/{domain}/contacts. Both import CSV (per-line errors, `dry_run`) and export it.

A list shows the directory's own contacts; `?q=` searches everything its reader can see (for a
user: personal, common and the tenant's users, as phones and the caller-name lookup do).
"""
from __future__ import annotations

from apiflask import APIBlueprint, Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import OneOf
from flask import Response, request

from fs_plugins import audit
from fs_plugins.api.common import audited, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.guard import SELF, TENANT, access, principal, tenant
from fs_plugins.api.openapi import csv_body
from fs_plugins.contacts import csv_export, csv_import, service
from fs_plugins.contacts.records import ContactInput, Directory
from fs_plugins.errors import InvalidInput
from fs_plugins.models import Tenant, database
from fs_plugins.models.contacts import NUMBER_KINDS

bp = APIBlueprint("contacts", __name__, url_prefix="/api/v1", tag="Contacts")
MAX_IMPORT = 10 * 1024 * 1024


class NumberIO(Schema):
    kind = String(required=True, validate=OneOf(NUMBER_KINDS))
    number = String(required=True)
    e164 = String(dump_only=True, allow_none=True)


class ContactOut(Schema):
    id = Integer(required=True, allow_none=True, metadata={"description": "null for the tenant's users"})
    source = String(required=True, metadata={"description": "personal, common or user"})
    name = String(required=True)
    company = String(required=True, allow_none=True)
    email = String(required=True, allow_none=True)
    note = String(required=True, allow_none=True)
    numbers = List(Nested(NumberIO), required=True)


class ContactPatch(Schema):
    name = String(metadata={"example": "Proveedor S.A."})
    company = String(allow_none=True)
    email = String(allow_none=True)
    note = String(allow_none=True)
    numbers = List(Nested(NumberIO), metadata={"description": "replaces the numbers of the kinds given"})


class ContactIn(ContactPatch):
    name = String(required=True, metadata={"example": "Proveedor S.A."})


class ContactList(Schema):
    items = List(Nested(ContactOut), required=True)


class ListQuery(Schema):
    q = String(load_default=None, metadata={"description": "search by name, company, e-mail or number digits"})


class ImportQuery(Schema):
    dry_run = Boolean(load_default=False, metadata={"description": "check and count, store nothing"})
    duplicates = String(load_default="skip", validate=OneOf(csv_import.DUPLICATE_POLICIES),
                        metadata={"description": "a contact with the same name: skip, update it, or keep both"})
    partial = Boolean(load_default=False, metadata={"description": "store the good lines even if some are bad"})


class BadLineOut(Schema):
    line = Integer(required=True)
    field = String(required=True)
    reason = String(required=True)


class ImportOut(Schema):
    lines = Integer(required=True)
    added = Integer(required=True)
    updated = Integer(required=True)
    skipped = Integer(required=True)
    stored = Boolean(required=True)
    encoding = String(required=True)
    delimiter = String(required=True)
    ignored_columns = List(String(), required=True)
    errors = List(Nested(BadLineOut), required=True)


EXAMPLE = {"name": "Proveedor S.A.", "company": "Proveedor", "numbers": [{"kind": "work", "number": "911234567"}]}


def my_directory() -> Directory:
    return service.resolve_directory(principal().tenant_domain, principal().extension)


def common_directory() -> Directory:
    return service.resolve_directory(tenant().domain)


def _list(directory: Directory, query: dict) -> dict:
    if query["q"]:
        return {"items": service.search(directory, query["q"], limit=500)}
    return {"items": [view for view in service.list_contacts(directory) if view.source != "user"]
            if directory.owner_id is not None else service.list_contacts(directory)}


def _input(body: dict) -> ContactInput:
    numbers = tuple((n["kind"], n["number"]) for n in body.get("numbers") or ())
    return ContactInput(body["name"], body.get("company"), body.get("email"), body.get("note"), numbers)


def _add(directory: Directory, body: dict):
    with audited("contact.create", f"contact {body['name']}", detail=_loggable(body)):
        view = service.add_contact(directory, _input(body))
    return with_etag(ContactOut(), view, 201)


def _change(directory: Directory, contact_id: int, body: dict):
    numbers: dict[str, list[str]] = {}
    for item in body.get("numbers") or ():
        numbers.setdefault(item["kind"], []).append(item["number"])
    changes = {key: ("" if body[key] is None else body[key]) for key in ("name", "company", "email", "note")
               if key in body}
    with audited("contact.update", f"contact {contact_id}", detail=_loggable(body)):
        check_if_match(ContactOut().dump(service.get_contact(directory, contact_id)))
        view = service.change_contact(directory, contact_id, changes, numbers)
    return with_etag(ContactOut(), view)


def _remove(directory: Directory, contact_id: int):
    with audited("contact.delete", f"contact {contact_id}"):
        check_if_match(ContactOut().dump(service.get_contact(directory, contact_id)), required=False)
        service.remove_contact(directory, contact_id)
    return ""


def _import(directory: Directory, query: dict):
    data = _uploaded()
    with database.atomic() as transaction:
        report = csv_import.import_contacts(directory, data, query["duplicates"], query["partial"])
        if query["dry_run"]:
            transaction.rollback()  # every check ran and every count is real; nothing stays
            report.stored = False
        elif report.stored:
            audit.record(principal(), "contact.import", directory.label, Tenant.get_by_id(directory.tenant_id),
                         {"added": report.added, "updated": report.updated, "skipped": report.skipped,
                          "bad_lines": len(report.errors)})
    return report


def _uploaded() -> bytes:
    """The CSV as the request body (text/csv) or as the `file` part of a multipart form."""
    upload = request.files.get("file")
    data = upload.read(MAX_IMPORT + 1) if upload is not None else request.get_data()
    if not data:
        raise InvalidInput("file", "send the CSV as the body (text/csv) or as the multipart part `file`")
    if len(data) > MAX_IMPORT:
        raise InvalidInput("file", f"larger than {MAX_IMPORT // (1024 * 1024)} MiB")
    return data


def _export(directory: Directory) -> Response:
    return Response(csv_export.export_contacts(directory), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="contacts.csv"'})


def _loggable(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "numbers"} | (
        {"numbers": len(body["numbers"])} if body.get("numbers") else {})


COMMON = "/tenants/<domain>/contacts"


@bp.get("/me/contacts")
@access(SELF)
@bp.input(ListQuery, location="query", arg_name="query")
@bp.output(ContactList)
def my_contacts(query):
    """The caller's personal contacts (with `q`: everything the caller's phone can look up)."""
    return _list(my_directory(), query)


@bp.post("/me/contacts")
@access(SELF)
@bp.input(ContactIn, arg_name="body", example=EXAMPLE)
@bp.output(ContactOut, status_code=201)
def add_my_contact(body):
    """Add a personal contact (a number or an e-mail is needed)."""
    return _add(my_directory(), body)


@bp.get("/me/contacts/<int:contact_id>")
@access(SELF)
@bp.output(ContactOut)
def my_contact(contact_id):
    """One personal contact (with its ETag)."""
    return with_etag(ContactOut(), service.get_contact(my_directory(), contact_id))


@bp.patch("/me/contacts/<int:contact_id>")
@access(SELF)
@bp.input(ContactPatch, arg_name="body", example={"note": "pedidos los lunes"})
@bp.output(ContactOut)
def change_my_contact(contact_id, body):
    """Change a personal contact (null clears a field); send If-Match."""
    return _change(my_directory(), contact_id, body)


@bp.delete("/me/contacts/<int:contact_id>")
@access(SELF)
@bp.output({}, status_code=204)
def remove_my_contact(contact_id):
    """Remove a personal contact."""
    return _remove(my_directory(), contact_id)


@bp.post("/me/contacts/import")
@access(SELF)
@csv_body
@bp.input(ImportQuery, location="query", arg_name="query")
@bp.output(ImportOut)
@bp.doc(description="The CSV is the body (text/csv) or the multipart part `file`; the answer lists every "
                    "bad line with its column. Nothing is stored while a line is bad, unless `partial`.")
def import_my_contacts(query):
    """Import personal contacts from CSV (per-line errors, dry run)."""
    return _import(my_directory(), query)


@bp.get("/me/contacts.csv")
@access(SELF)
@bp.output({}, content_type="text/csv", description="The personal contacts as CSV")
def export_my_contacts():
    """The caller's personal contacts as CSV (the import's columns)."""
    return _export(my_directory())


@bp.get(COMMON)
@access(TENANT)
@bp.input(ListQuery, location="query", arg_name="query")
@bp.output(ContactList)
def common_contacts(domain, query):
    """The tenant's common directory (and its users), or a search of it with `q`."""
    return _list(common_directory(), query)


@bp.post(COMMON)
@access(TENANT)
@bp.input(ContactIn, arg_name="body", example=EXAMPLE)
@bp.output(ContactOut, status_code=201)
def add_common_contact(domain, body):
    """Add a contact every user of the tenant sees."""
    return _add(common_directory(), body)


@bp.get(f"{COMMON}/<int:contact_id>")
@access(TENANT)
@bp.output(ContactOut)
def common_contact(domain, contact_id):
    """One common contact (with its ETag)."""
    return with_etag(ContactOut(), service.get_contact(common_directory(), contact_id))


@bp.patch(f"{COMMON}/<int:contact_id>")
@access(TENANT)
@bp.input(ContactPatch, arg_name="body", example={"note": "pedidos los lunes"})
@bp.output(ContactOut)
def change_common_contact(domain, contact_id, body):
    """Change a common contact (null clears a field); send If-Match."""
    return _change(common_directory(), contact_id, body)


@bp.delete(f"{COMMON}/<int:contact_id>")
@access(TENANT)
@bp.output({}, status_code=204)
def remove_common_contact(domain, contact_id):
    """Remove a common contact."""
    return _remove(common_directory(), contact_id)


@bp.post(f"{COMMON}/import")
@access(TENANT)
@csv_body
@bp.input(ImportQuery, location="query", arg_name="query")
@bp.output(ImportOut)
@bp.doc(description="The CSV is the body (text/csv) or the multipart part `file`; the answer lists every "
                    "bad line with its column. Nothing is stored while a line is bad, unless `partial`.")
def import_common_contacts(domain, query):
    """Import common contacts from CSV (per-line errors, dry run)."""
    return _import(common_directory(), query)


@bp.get(f"{COMMON}.csv")
@access(TENANT)
@bp.output({}, content_type="text/csv", description="The common contacts as CSV")
def export_common_contacts(domain):
    """The tenant's common contacts as CSV (the import's columns)."""
    return _export(common_directory())
