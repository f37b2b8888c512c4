"""Import contacts from a CSV file into a user's personal contacts or the common directory.

File: the first row is a header. Encoding: UTF-8 with or without BOM, UTF-16 with BOM (Excel's
"Unicode text"), else Windows-1252 (what Spanish spreadsheet software writes). Delimiter: sniffed
with csv.Sniffer among `,` `;` tab `|`, checked against the header (`;` in Spanish locales).

Header cells are matched ignoring case, accents, spaces and punctuation:
  name     name, full name, display name, contact, nombre, nombre completo, nombre y apellidos, contacto
  first    first name, given name, nombre de pila                  (joined with last into the name)
  last     last name, surname, family name, apellido(s)            (appended to name or first)
  company  company, organization/organisation, empresa, compañía, organización, razón social
  work     work, work phone, business phone, office, phone, telephone, tel, teléfono, trabajo, oficina, fijo
  mobile   mobile, mobile phone, cell, cell phone, móvil, teléfono móvil, celular
  home     home, home phone, casa, teléfono casa, particular, domicilio
  other    other, other phone, fax, otro, otro teléfono, otros
  email    email, e-mail, mail, email address, correo, correo electrónico
  note     note, notes, comment(s), nota(s), comentario(s), observaciones
Other columns are ignored and listed in the report. A number column may repeat, and a number cell
may hold several numbers separated by `,` or `;`. A leading `'` before `= + - @` (what the export
writes to neutralise formulas) is removed.

Rules: every bad line is reported (line number, column, why). All-or-nothing by default: a file
with any bad line stores nothing; `partial=True` stores the good lines. Duplicates (same name,
ignoring case, accents and spacing, in the same directory, including earlier lines of the file):
`skip` keeps the existing one, `update` overwrites its fields with the non-empty cells (and the
numbers of each kind given), `keep` stores both.
"""
from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from fs_plugins import batchjob
from fs_plugins.contacts import import_store
from fs_plugins.contacts.records import ContactInput, Directory, check
from fs_plugins.errors import InvalidInput
from fs_plugins.models.contacts import NUMBER_KINDS

log = logging.getLogger(__name__)

DUPLICATE_POLICIES = ("skip", "update", "keep")
PROGRESS_EVERY = 1000
_SPELLINGS = {
    "name": "name|full name|display name|contact|contact name|nombre|nombre completo|nombre y apellidos|contacto",
    "first": "first name|given name|firstname|nombre de pila",
    "last": "last name|lastname|surname|family name|apellido|apellidos",
    "company": "company|company name|organization|organisation|empresa|compania|organizacion|razon social",
    "work": "work|work phone|business phone|office phone|office|phone|phone number|telephone|tel|telefono|"
            "trabajo|telefono trabajo|telefono del trabajo|tel trabajo|oficina|telefono oficina|fijo|telefono fijo",
    "mobile": "mobile|mobile phone|cell|cell phone|cellular|movil|telefono movil|tel movil|celular",
    "home": "home|home phone|casa|telefono casa|particular|telefono particular|domicilio",
    "other": "other|other phone|fax|otro|otro telefono|otros|telefono otro",
    "email": "email|e mail|mail|email address|e mail address|correo|correo electronico",
    "note": "note|notes|comment|comments|nota|notas|comentario|comentarios|observaciones",
}
HEADER_FIELDS = {spelling: key for key, spellings in _SPELLINGS.items() for spelling in spellings.split("|")}
_MULTI_NUMBER = re.compile(r"[,;]")


@dataclass(frozen=True)
class BadLine:
    line: int
    field: str  # the column as written in the header ("header" for the header row itself)
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.reason}"


@dataclass
class ImportReport:
    lines: int = 0
    added: int = 0
    updated: int = 0
    skipped: int = 0
    stored: bool = False
    encoding: str = ""
    delimiter: str = ""
    ignored_columns: tuple[str, ...] = ()
    errors: list[BadLine] = field(default_factory=list)


def header_key(cell: str) -> str:
    decomposed = unicodedata.normalize("NFKD", cell.strip().lstrip("\ufeff").casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", plain).split())


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name) following the rules in the module docstring."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Windows-1252 leaves five bytes undefined; Latin-1 reads them rather than failing.
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            return data.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    try:
        sniffed = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|").delimiter
    except csv.Error:
        sniffed = None
    known = lambda d: sum(1 for cell in first.split(d) if header_key(cell) in HEADER_FIELDS)  # noqa: E731
    candidates = [d for d in (sniffed, ";", ",", "\t", "|") if d]
    return max(candidates, key=lambda d: (known(d), d == sniffed, first.count(d)))


def map_header(header: list[str]) -> tuple[dict[int, str], list[BadLine], tuple[str, ...]]:
    """Column index → field, header problems, ignored columns."""
    columns, errors, ignored, seen = {}, [], [], {}
    for index, cell in enumerate(header):
        key = HEADER_FIELDS.get(header_key(cell))
        if key is None:
            if cell.strip():
                ignored.append(cell.strip())
            continue
        if key in seen and key not in NUMBER_KINDS:
            errors.append(BadLine(1, cell.strip(), f"same field as column {seen[key]!r}"))
        seen.setdefault(key, cell.strip())
        columns[index] = key
    if not {"name", "first", "last"} & set(columns.values()):
        errors.append(BadLine(1, "header", "no name column (expected e.g. name, nombre, first name, apellidos)"))
    return columns, errors, tuple(ignored)


def _unneutralise(cell: str) -> str:
    cell = cell.strip()
    return cell[1:] if cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@") else cell


def row_input(columns: dict[int, str], row: list[str]) -> tuple[ContactInput, set[str]]:
    """The ContactInput of one row and the fields it gave a value for."""
    values: dict[str, str] = {}
    numbers: list[tuple[str, str]] = []
    for index, key in columns.items():
        cell = _unneutralise(row[index]) if index < len(row) else ""
        if key in NUMBER_KINDS:
            numbers += [(key, part.strip()) for part in _MULTI_NUMBER.split(cell) if part.strip()]
        elif cell:
            values[key] = cell
    name = " ".join(p for p in (values.get("name") or values.get("first"), values.get("last")) if p)
    given = {k for k in values if k in ("company", "email", "note")} | {k for k, _ in numbers}
    return ContactInput(name, values.get("company"), values.get("email"), values.get("note"), tuple(numbers)), given


def import_contacts(directory: Directory, data: bytes, duplicates: str = "skip", partial: bool = False,
                    progress=None, dry_run: bool = False, finish=None) -> ImportReport:
    """Validate every line, then store (all or, with `partial`, the good lines) all or nothing
    (import_store: in short transactions on SQLite). `dry_run`: only count. `finish()` runs once
    everything is stored, in a transaction of the store's (the audit entry).

    `progress(done, total)` is called every PROGRESS_EVERY lines on files larger than that.
    """
    if duplicates not in DUPLICATE_POLICIES:
        raise InvalidInput("duplicates", f"must be one of {', '.join(DUPLICATE_POLICIES)}")
    # Most of an import's CPU, and no lock: aside at idle priority in a bulk job (fs_plugins/batchjob.py).
    report, good = batchjob.checks(lambda: _checked(directory, data, progress))
    if good is None or (report.errors and not partial):
        return report
    import_store.store(directory, good, duplicates, report, progress, PROGRESS_EVERY, write=not dry_run,
                       finish=(lambda: finish(report)) if finish else None)
    if dry_run:
        return report
    report.stored = True
    log.info("imported into the %s: %d added, %d updated, %d skipped, %d bad lines", directory.label,
             report.added, report.updated, report.skipped, len(report.errors))
    return report


def _checked(directory: Directory, data: bytes, progress) -> tuple[ImportReport, list | None]:
    """The report of reading and checking every line, and the good lines (None: no usable header)."""
    text, encoding = decode(data)
    delimiter = sniff_delimiter(text)
    report = ImportReport(encoding=encoding, delimiter=delimiter)
    rows = _numbered_rows(text, delimiter, report)
    if not rows:
        report.errors.append(BadLine(1, "header", "the file is empty"))
        return report, None
    columns, header_errors, report.ignored_columns = map_header(rows[0][1])
    if header_errors:
        report.errors += header_errors
        return report, None
    good = _validate_rows(directory, columns, rows[0][1], rows[1:], report, progress)
    report.lines = len(rows) - 1
    return report, good


def _numbered_rows(text: str, delimiter: str, report: ImportReport) -> list[tuple[int, list[str]]]:
    # newline="" as the csv module wants: line breaks inside quoted cells stay in the cell, and
    # str.splitlines' extra separators (U+2028, \x1c…) never cut a row.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, next_line = [], 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((next_line, row))
            next_line = reader.line_num + 1
    except csv.Error as exc:
        report.errors.append(BadLine(next_line, "file", f"unreadable CSV: {exc}"))
    return rows


def _validate_rows(directory, columns, header, rows, report, progress):
    """(line, contact, fields given) for each good row; bad rows go to the report."""
    column_of: dict[str, str] = {}
    for index, key in sorted(columns.items()):
        column_of.setdefault(key, header[index].strip().lstrip("\ufeff"))
    column_of.setdefault("name", column_of.get("first") or column_of.get("last", "name"))
    good = []
    for done, (line, row) in enumerate(rows, 1):
        data, given = row_input(columns, row)
        contact, errors = check(data, directory.country)
        for exc in errors:
            report.errors.append(BadLine(line, column_of.get(exc.field, exc.field), exc.message))
        if contact is not None:
            good.append((line, contact, given))
        if progress and len(rows) > PROGRESS_EVERY and done % PROGRESS_EVERY == 0:
            progress(done, len(rows), "checked")
    return good
