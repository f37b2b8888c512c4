"""What a contact is, as plain values, and the pure rules that validate one.

Nothing here touches the database: `service` loads rows into these dataclasses and stores the
validated ones; the CSV importer and the CLI build `ContactInput`s and get back `InvalidInput`
naming the field (a CLI option or a CSV column) that was wrong.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fs_plugins.contacts.numbers import normalise
from fs_plugins.errors import InvalidInput
from fs_plugins.fsvalues import has_expansion
from fs_plugins.models.contacts import NUMBER_KINDS

MAX_NAME = 120
MAX_NOTE = 2000
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+\Z")
SOURCES = ("personal", "common", "user")


@dataclass(frozen=True)
class Directory:
    """Where contacts are read or written: a tenant's common directory, or one user's personal one."""

    tenant_id: int
    domain: str
    country: str
    owner_id: int | None = None  # None: the common directory
    owner_extension: str | None = None

    @property
    def label(self) -> str:
        if self.owner_id is None:
            return f"common directory of {self.domain}"
        return f"personal contacts of {self.owner_extension}@{self.domain}"


@dataclass(frozen=True)
class ContactInput:
    """A contact as given by a user; `numbers` holds (kind, number as typed) pairs."""

    name: str
    company: str | None = None
    email: str | None = None
    note: str | None = None
    numbers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class NumberView:
    kind: str
    number: str  # as typed (or the extension, for users)
    e164: str | None  # None for extensions


@dataclass(frozen=True)
class ContactView:
    """A directory entry as shown: `id` is None for the tenant's users (derived, not editable)."""

    id: int | None
    source: str  # one of SOURCES
    name: str
    company: str | None = None
    email: str | None = None
    note: str | None = None
    numbers: tuple[NumberView, ...] = ()


def clean_text(value: str | None, field: str, limit: int, required: bool = False) -> str | None:
    """Trimmed text without control characters, or None when empty (InvalidInput if required)."""
    text = unicodedata.normalize("NFC", (value or "")).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise InvalidInput(field, "contains control characters")
    if has_expansion(text):  # contact names become caller names and phonebook entries FreeSWITCH may expand
        raise InvalidInput(field, "must not contain '${' (FreeSWITCH would expand it)")
    if not text:
        if required:
            raise InvalidInput(field, "is required")
        return None
    if len(text) > limit:
        raise InvalidInput(field, f"is longer than {limit} characters")
    return text


def clean_name(value: str | None, field: str = "name") -> str:
    name = clean_text(value, field, MAX_NAME, required=True)
    if "\n" in name or "\t" in name:
        raise InvalidInput(field, "must be one line")
    return name


def clean_email(value: str | None, field: str = "email") -> str | None:
    email = clean_text(value, field, 254)
    if email is not None and not _EMAIL.match(email):
        raise InvalidInput(field, f"{email!r} is not an e-mail address")
    return email


def clean_numbers(numbers, country: str) -> tuple[tuple[str, str, str], ...]:
    """(kind, as typed, E.164) for each number; a number repeated in one contact is kept once."""
    result, seen = [], set()
    for kind, raw in numbers:
        if kind not in NUMBER_KINDS:
            raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(NUMBER_KINDS)}")
        e164 = normalise(raw, country, field=kind)
        if e164 not in seen:
            seen.add(e164)
            result.append((kind, raw.strip(), e164))
    return tuple(result)


@dataclass(frozen=True)
class ValidContact:
    name: str
    company: str | None
    email: str | None
    note: str | None
    numbers: tuple[tuple[str, str, str], ...]


def check(data: ContactInput, country: str) -> tuple[ValidContact | None, list[InvalidInput]]:
    """Every rule a stored contact obeys (a name, and at least one number or an e-mail), with
    every broken rule reported, not just the first: the CSV import lists them all per line."""
    errors: list[InvalidInput] = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except InvalidInput as exc:
            errors.append(exc)
            return None

    name = attempt(clean_name, data.name)
    company = attempt(clean_text, data.company, "company", MAX_NAME)
    email = attempt(clean_email, data.email)
    note = attempt(clean_text, data.note, "note", MAX_NOTE)
    cleaned = [attempt(clean_numbers, [pair], country) for pair in data.numbers]
    numbers, seen = [], set()
    for kind, raw, e164 in (n for group in cleaned if group for n in group):
        if e164 not in seen:  # the same number twice in one contact is kept once
            seen.add(e164)
            numbers.append((kind, raw, e164))
    numbers = tuple(numbers)
    if errors:
        return None, errors
    if not numbers and not email:
        return None, [InvalidInput("number", "a contact needs at least one number (work, mobile, home, other) "
                                             "or an e-mail")]
    return ValidContact(name, company, email, note, numbers), []


def validate(data: ContactInput, country: str) -> ValidContact:
    contact, errors = check(data, country)
    if errors:
        raise errors[0]
    return contact


def name_key(name: str) -> str:
    """How duplicates are recognised: the same name, ignoring case, accents and spacing."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())
