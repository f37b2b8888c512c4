"""Reading and writing contacts, with the visibility rules enforced in every query.

Below the application layer (fs_plugins.contacts.app, which decides whose Directory a principal
reaches, opens the transaction and audits): the CSV import and export and the phonebook use it too.
Rules: a personal contact is only ever read or written through its owner's Directory; common
contacts through the tenant's common Directory; every query is filtered by tenant. The tenant's
enabled users are shown in the common directory, derived from the user table at query time.
"""
from __future__ import annotations

import re
from collections import defaultdict

import peewee
from peewee import fn

from fs_plugins import prepared
from fs_plugins.contacts.records import (
    ContactInput, ContactView, Directory, NumberView, ValidContact, clean_email, clean_name,
    clean_numbers, clean_text, MAX_NAME, MAX_NOTE, validate,
)
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.ids import is_id
from fs_plugins.models import User, database, utcnow
from fs_plugins.models.contacts import NUMBER_KINDS, Contact, ContactNumber

_NUMBERISH = re.compile(r"\+?[0-9 ()./\-]+\Z")


def in_directory(directory: Directory):
    owner = Contact.owner.is_null() if directory.owner_id is None else Contact.owner == directory.owner_id
    return (Contact.tenant == directory.tenant_id) & owner


def _visible_to(directory: Directory):
    """Personal contacts of the directory's owner (if any) plus the tenant's common contacts."""
    owner = Contact.owner.is_null()
    if directory.owner_id is not None:
        owner = owner | (Contact.owner == directory.owner_id)
    return (Contact.tenant == directory.tenant_id) & owner


def store_contact(directory: Directory, contact: ValidContact) -> int:
    """Insert one validated contact and its numbers; returns its id.

    Raw SQL (two statements, RETURNING works on SQLite >= 3.35 and PostgreSQL): a CSV import calls
    this once per line, and the query builder made that 5x slower.
    """
    now = utcnow().isoformat(" ")
    with _driver_errors():
        cursor = database.cursor()
        cursor.execute(
            prepared.statement(database, "INSERT INTO contact (tenant_id, owner_id, name, company, email, note, "
                                         "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"),
            (directory.tenant_id, directory.owner_id, contact.name, contact.company, contact.email, contact.note,
             now, now))
        contact_id = cursor.fetchone()[0]
        _insert_numbers(directory, contact_id, contact.numbers, cursor)
    return contact_id


# On PostgreSQL many new contacts go in as a few statements, whatever their number: one that takes
# their ids from the table's sequence, then one INSERT … SELECT FROM unnest(arrays) per table, sent
# together. A statement per contact and per number cost the server ~0.4 ms of CPU a line (parse,
# plan, and the change triggers of xml_curl/pgchanges.py, which run a planned query and a NOTIFY
# for every statement), at normal priority beside serve's CDR writers. (COPY would be cheaper
# still, but psycopg2 refuses it on serve's cooperative connections, and the API imports there.)
_PG_NEW_IDS = ("SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence('contact', 'id')::regclass AS seq) AS s, "
               "generate_series(1, %s) ORDER BY 1")
_PG_NEW_CONTACTS = (
    "INSERT INTO contact (id, tenant_id, owner_id, name, company, email, note, created_at, updated_at) "
    "SELECT c.id, %s::integer, %s::integer, c.name, c.company, c.email, c.note, %s::timestamp, %s::timestamp "
    "FROM unnest(%s::integer[], %s::text[], %s::text[], %s::text[], %s::text[]) AS c(id, name, company, email, note);"
    "INSERT INTO contact_number (contact_id, tenant_id, kind, number, e164) "
    "SELECT n.contact_id, %s::integer, n.kind, n.number, n.e164 "
    "FROM unnest(%s::integer[], %s::text[], %s::text[], %s::text[]) AS n(contact_id, kind, number, e164)")


def store_contacts(directory: Directory, contacts: list[ValidContact]) -> list[int]:
    """Insert validated contacts and their numbers; returns their ids, in order (a CSV import).

    PostgreSQL: two round trips for the lot (see _PG_NEW_IDS); SQLite: store_contact for each,
    whose statements cost no round trip there."""
    if not contacts:
        return []
    if not isinstance(database.obj, peewee.PostgresqlDatabase):
        return [store_contact(directory, contact) for contact in contacts]
    with _driver_errors():
        cursor = database.cursor()
        cursor.execute(_PG_NEW_IDS, (len(contacts),))
        ids = [row[0] for row in cursor.fetchall()]
    numbered = [(contact_id, number) for contact_id, contact in zip(ids, contacts) for number in contact.numbers]
    now = utcnow().isoformat(" ")
    with _driver_errors():
        cursor.execute(_PG_NEW_CONTACTS, (
            directory.tenant_id, directory.owner_id, now, now, ids, [c.name for c in contacts],
            [c.company for c in contacts], [c.email for c in contacts], [c.note for c in contacts],
            directory.tenant_id, [contact_id for contact_id, _ in numbered], [n[0] for _, n in numbered],
            [n[1] for _, n in numbered], [n[2] for _, n in numbered]))
    return ids


def _driver_errors():
    """The driver's errors raised as peewee's (as execute_sql does) around a raw cursor: under
    serve, fs_plugins.dbpool tells an unavailable database (503, one warning per outage) from a
    bug by peewee's OperationalError and InterfaceError."""
    return peewee.__exception_wrapper__


def _insert_numbers(directory: Directory, contact_id: int, numbers, cursor=None) -> None:
    if numbers:
        with _driver_errors():
            (cursor or database.cursor()).executemany(
                prepared.statement(database, "INSERT INTO contact_number (contact_id, tenant_id, kind, number, e164) "
                                             "VALUES (?, ?, ?, ?, ?)"),
                [(contact_id, directory.tenant_id, kind, number, e164) for kind, number, e164 in numbers])


def add_contact(directory: Directory, data: ContactInput) -> ContactView:
    contact = validate(data, directory.country)
    with database.atomic():
        contact_id = store_contact(directory, contact)
    return get_contact(directory, contact_id)


def _owned_row(directory: Directory, contact_id) -> Contact:
    try:
        contact_id = int(contact_id)
    except (TypeError, ValueError):
        raise InvalidInput("id", f"{contact_id!r} is not a contact id") from None
    row = Contact.get_or_none((Contact.id == contact_id) & in_directory(directory)) if is_id(contact_id) else None
    if row is None:
        raise NotFound("id", f"no contact {contact_id} in the {directory.label}")
    return row


def get_contact(directory: Directory, contact_id) -> ContactView:
    row = _owned_row(directory, contact_id)
    return _views(directory, Contact.select().where(Contact.id == row.id))[0]


def update_contact(directory: Directory, contact_id: int, fields: dict, numbers: dict) -> None:
    """Overwrite `fields` and, for each kind in `numbers`, replace that kind's numbers."""
    if fields:
        Contact.update(updated_at=utcnow(), **fields).where(Contact.id == contact_id).execute()
    if numbers:
        ContactNumber.delete().where(
            (ContactNumber.contact == contact_id) & ContactNumber.kind.in_(list(numbers))
        ).execute()
        flat = tuple(n for kind in NUMBER_KINDS for n in numbers.get(kind, ()))
        _insert_numbers(directory, contact_id, flat)


# Many contacts updated at once on PostgreSQL (a CSV import with --duplicates update): one round
# trip for the lot. A field is overwritten where its `given_` flag is set; for each (contact, kind)
# listed, that kind's numbers are replaced by the ones inserted.
_PG_UPDATES = (
    "UPDATE contact SET name = u.name, company = CASE WHEN u.given_company THEN u.company ELSE contact.company END, "
    "email = CASE WHEN u.given_email THEN u.email ELSE contact.email END, "
    "note = CASE WHEN u.given_note THEN u.note ELSE contact.note END, updated_at = %s::timestamp "
    "FROM unnest(%s::integer[], %s::text[], %s::boolean[], %s::text[], %s::boolean[], %s::text[], %s::boolean[], "
    "%s::text[]) AS u(id, name, given_company, company, given_email, email, given_note, note) WHERE contact.id = u.id;"
    "DELETE FROM contact_number USING unnest(%s::integer[], %s::text[]) AS d(contact_id, kind) "
    "WHERE contact_number.contact_id = d.contact_id AND contact_number.kind = d.kind;"
    "INSERT INTO contact_number (contact_id, tenant_id, kind, number, e164) "
    "SELECT n.contact_id, %s::integer, n.kind, n.number, n.e164 "
    "FROM unnest(%s::integer[], %s::text[], %s::text[], %s::text[]) AS n(contact_id, kind, number, e164)")


def update_contacts(directory: Directory, changes: list[tuple[int, dict, dict]]) -> None:
    """update_contact(directory, *change) for each (contact id, fields, numbers by kind) of
    `changes`, whose contacts are all different: on PostgreSQL in one round trip, with `fields`
    holding the name and any of company, email and note."""
    if not isinstance(database.obj, peewee.PostgresqlDatabase):
        for contact_id, fields, numbers in changes:
            update_contact(directory, contact_id, fields, numbers)
        return
    if len({contact_id for contact_id, _, _ in changes}) != len(changes):
        raise ValueError("update_contacts: a contact changed twice in one statement")
    replaced = [(contact_id, kind) for contact_id, _, numbers in changes for kind in numbers]
    added = [(contact_id, number) for contact_id, _, numbers in changes
             for kind in NUMBER_KINDS for number in numbers.get(kind, ())]
    ids = [contact_id for contact_id, _, _ in changes]

    def column(name: str) -> tuple[list, list]:
        return [name in fields for _, fields, _ in changes], [fields.get(name) for _, fields, _ in changes]

    (given_company, company), (given_email, email), (given_note, note) = map(column, ("company", "email", "note"))
    with _driver_errors():
        database.cursor().execute(_PG_UPDATES, (
            utcnow().isoformat(" "), ids, [fields["name"] for _, fields, _ in changes], given_company, company,
            given_email, email, given_note, note,
            [contact_id for contact_id, _ in replaced], [kind for _, kind in replaced],
            directory.tenant_id, [contact_id for contact_id, _ in added], [n[0] for _, n in added],
            [n[1] for _, n in added], [n[2] for _, n in added]))


def change_contact(directory: Directory, contact_id, changes: dict, numbers: dict) -> ContactView:
    """Apply changes given as text (`""` clears an optional field; a kind mapped to [] clears it)."""
    fields = {}
    for name, value in changes.items():
        if name == "name":
            fields["name"] = clean_name(value)
        elif name == "email":
            fields["email"] = clean_email(value)
        elif name in ("company", "note"):
            fields[name] = clean_text(value, name, MAX_NAME if name == "company" else MAX_NOTE)
        else:
            raise InvalidInput(name, "is not a contact field")
    cleaned = {kind: clean_numbers([(kind, n) for n in values], directory.country) for kind, values in numbers.items()}
    with database.atomic():
        row = _owned_row(directory, contact_id)
        update_contact(directory, row.id, fields, cleaned)
        view = get_contact(directory, row.id)
        if not view.numbers and not view.email:
            raise InvalidInput("number", "a contact needs at least one number or an e-mail")
    return view


def remove_contact(directory: Directory, contact_id) -> ContactView:
    with database.atomic():
        view = get_contact(directory, contact_id)
        Contact.delete().where(Contact.id == view.id).execute()
    return view


def list_contacts(directory: Directory) -> list[ContactView]:
    """What the directory holds: a user's personal contacts, or common contacts plus the users."""
    views = _views(directory, Contact.select().where(in_directory(directory)))
    if directory.owner_id is None:
        views += _user_views(directory.tenant_id)
    return _sorted(views)


def search(directory: Directory, query: str | None = None, limit: int | None = None) -> list[ContactView]:
    """Everything the directory's user can see (personal, common, users) matching `query`."""
    query = (query or "").strip()
    select = Contact.select().where(_visible_to(directory))
    users = User.select().where((User.tenant == directory.tenant_id) & (User.enabled == True))  # noqa: E712
    digits = re.sub(r"[^0-9]", "", query)
    if query and _NUMBERISH.match(query) and len(digits) >= 2:
        core = digits.lstrip("0") or digits
        matching = ContactNumber.select(ContactNumber.contact).where(
            (ContactNumber.tenant == directory.tenant_id) & ContactNumber.e164.contains(core))
        select = select.where(Contact.id.in_(matching))
        users = users.where(User.extension.contains(digits))
    elif query:
        select = select.where(Contact.name.contains(query) | Contact.company.contains(query)
                              | Contact.email.contains(query))
        users = users.where(User.display_name.contains(query))
    if limit:
        # Only the first `limit` of each side can be among the first `limit` of both: a 10,000-user
        # tenant's directory page reads 2 × limit rows, not every user.
        first = select.select(Contact.id).order_by(fn.LOWER(Contact.name), Contact.id).limit(limit)
        select = Contact.select().where(Contact.id.in_([row.id for row in first]))
        users = users.order_by(fn.LOWER(User.display_name), User.id).limit(limit)
    views = _sorted(_views(directory, select) + [_user_view(u) for u in users])
    return views[:limit] if limit else views


def _sorted(views: list[ContactView]) -> list[ContactView]:
    return sorted(views, key=lambda v: (v.name.casefold(), v.source, v.id or 0))


def _views(directory: Directory, select) -> list[ContactView]:
    rows = list(select.order_by(Contact.id))
    numbers = defaultdict(list)
    if rows:
        ids = [row.id for row in rows]
        for start in range(0, len(ids), 500):  # bounded IN lists on every database
            chunk = ids[start:start + 500]
            for n in ContactNumber.select().where(ContactNumber.contact.in_(chunk)).order_by(ContactNumber.id):
                numbers[n.contact_id].append(NumberView(n.kind, n.number, n.e164))
    return [
        ContactView(row.id, "common" if row.owner_id is None else "personal", row.name, row.company,
                    row.email, row.note, tuple(sorted(numbers[row.id], key=lambda n: NUMBER_KINDS.index(n.kind))))
        for row in rows
    ]


def _user_view(user: User) -> ContactView:
    return ContactView(None, "user", user.display_name, None, user.email, None,
                       (NumberView("work", user.extension, None),))


def _user_views(tenant_id: int) -> list[ContactView]:
    users = User.select().where((User.tenant == tenant_id) & (User.enabled == True))  # noqa: E712
    return [_user_view(u) for u in users]
