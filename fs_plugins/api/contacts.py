"""Contacts: a user's personal ones at /api/v1/me/contacts, a tenant's common directory at
/api/v1/tenants/{domain}/contacts. Both import CSV (per-line errors, `dry_run`) and export it.

A list shows the directory's own contacts; `?q=` searches everything its reader can see (for a
user: personal, common and the tenant's users, as phones and the caller-name lookup do).
"""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import OneOf
from flask import Response, request

from fs_plugins.api.common import app_context, schema_of, with_etag
from fs_plugins.api.etags import check_if_match
from fs_plugins.api.guard import SELF, TENANT, access, principal, tenant
from fs_plugins.api.openapi import csv_body
from fs_plugins.api.schema import Schema
from fs_plugins.contacts import app, csv_import
from fs_plugins.contacts.records import ContactInput
from fs_plugins.errors import InvalidInput
from fs_plugins.models import database
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


def my_directory() -> tuple[str, str]:
    """The caller's personal contacts: (tenant, user) as the application layer names a directory."""
    return principal().tenant_domain, principal().extension


def common_directory() -> tuple[str, None]:
    return tenant().domain, None


def _list(where: tuple[str, str | None], query: dict) -> dict:
    ctx = app_context()
    if query["q"]:
        return {"items": app.search(ctx, *where, query["q"], limit=500)}
    views = app.list_contacts(ctx, *where)
    return {"items": [view for view in views if view.source != "user"] if where[1] is not None else views}


def _input(body: dict) -> ContactInput:
    numbers = tuple((n["kind"], n["number"]) for n in body.get("numbers") or ())
    return ContactInput(body["name"], body.get("company"), body.get("email"), body.get("note"), numbers)


def _get(where: tuple[str, str | None], contact_id: int):
    return with_etag(ContactOut, app.get_contact(app_context(), *where, contact_id))


def _add(where: tuple[str, str | None], body: dict):
    return with_etag(ContactOut, app.add_contact(app_context(), *where, _input(body)).value, 201)


def _change(where: tuple[str, str | None], contact_id: int, body: dict):
    numbers: dict[str, list[str]] = {}
    for item in body.get("numbers") or ():
        numbers.setdefault(item["kind"], []).append(item["number"])
    changes = {key: ("" if body[key] is None else body[key]) for key in ("name", "company", "email", "note")
               if key in body}
    ctx = app_context()
    with database.atomic():  # the ETag checked is the contact's state the change starts from
        check_if_match(schema_of(ContactOut).dump(app.get_contact(ctx, *where, contact_id)))
        view = app.change_contact(ctx, *where, contact_id, changes, numbers).value
    return with_etag(ContactOut, view)


def _remove(where: tuple[str, str | None], contact_id: int):
    ctx = app_context()
    with database.atomic():
        check_if_match(schema_of(ContactOut).dump(app.get_contact(ctx, *where, contact_id)), required=False)
        app.remove_contact(ctx, *where, contact_id)
    return ""


def _import(where: tuple[str, str | None], query: dict):
    done = app.import_contacts(app_context(), *where, _uploaded(), query["duplicates"], query["partial"],
                               dry_run=query["dry_run"])
    return done.value.report


def _uploaded() -> bytes:
    """The CSV as the request body (text/csv) or as the `file` part of a multipart form."""
    upload = request.files.get("file")
    data = upload.read(MAX_IMPORT + 1) if upload is not None else request.get_data()
    if not data:
        raise InvalidInput("file", "send the CSV as the body (text/csv) or as the multipart part `file`")
    if len(data) > MAX_IMPORT:
        raise InvalidInput("file", f"larger than {MAX_IMPORT // (1024 * 1024)} MiB")
    return data


def _export(where: tuple[str, str | None]) -> Response:
    return Response(app.export_contacts(app_context(), *where), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="contacts.csv"'})


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
    return _get(my_directory(), contact_id)


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
    return _get(common_directory(), contact_id)


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
