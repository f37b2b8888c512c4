"""Export a directory's contacts to CSV, formula-safe.

Columns: name, company, work, mobile, home, other, email, note (the import reads them back).
Several numbers of one kind share a cell, separated by ", ".

Formula safety (OWASP "CSV injection"): a cell starting with `=`, `+`, `-`, `@`, tab or CR is
prefixed with a single quote `'`, so spreadsheet software shows it as text instead of running it
(a number typed as "+34 91…" is exported as "'+34 91…"). The import removes that quote again.
The tenant's users are not exported: they are part of the directory only by derivation.
"""
from __future__ import annotations

import csv
import io

from fs_plugins.contacts import service
from fs_plugins.contacts.records import ContactView, Directory
from fs_plugins.models.contacts import NUMBER_KINDS
from fs_plugins.csvsafe import neutralise

COLUMNS = ("name", "company", *NUMBER_KINDS, "email", "note")


def contact_row(view: ContactView) -> list[str]:
    numbers = {kind: ", ".join(n.number for n in view.numbers if n.kind == kind) for kind in NUMBER_KINDS}
    values = {"name": view.name, "company": view.company, "email": view.email, "note": view.note, **numbers}
    return [neutralise(values[column]) for column in COLUMNS]


def export_contacts(directory: Directory, delimiter: str = ",") -> str:
    """The CSV text of the directory's own contacts (personal, or common without the users)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for view in service.list_contacts(directory):
        if view.source != "user":
            writer.writerow(contact_row(view))
    return out.getvalue()
