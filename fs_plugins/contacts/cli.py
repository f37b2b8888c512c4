"""centralita contact add|list|search|set|remove|import|export

`--tenant DOMAIN` alone works on the tenant's common directory; with `--user EXT` on that user's
personal contacts. `list` shows what the directory holds (the common one includes the tenant's
users); `search` looks through everything the user sees (personal, common and users).
"""
from __future__ import annotations

import sys
from pathlib import Path

from fs_plugins import batchjob
from fs_plugins.contacts import app, csv_import
from fs_plugins.progress import steps
from fs_plugins.contacts.records import ContactInput, ContactView
from fs_plugins.errors import InvalidInput
from fs_plugins.models.contacts import NUMBER_KINDS


def register(subparsers) -> None:
    parser = subparsers.add_parser("contact", help="personal contacts and the common directory")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = _with_directory(sub.add_parser("add", help="add a contact"))
    add.add_argument("name", help="the contact's name, as phones will show it")
    _fields(add, "")
    add.set_defaults(handler=_add)

    _with_directory(sub.add_parser("list", help="list the directory's contacts")).set_defaults(handler=_list)

    find = _with_directory(sub.add_parser("search", help="find contacts by name, company, e-mail or number"))
    find.add_argument("query", help="text or digits to look for")
    find.set_defaults(handler=_search)

    change = _with_directory(sub.add_parser("set", help="change a contact"))
    change.add_argument("id", help="the contact id shown by list")
    change.add_argument("--name", help="new name")
    _fields(change, " (replaces the numbers of that kind; \"\" removes them)")
    change.set_defaults(handler=_set)

    remove = _with_directory(sub.add_parser("remove", help="delete a contact"))
    remove.add_argument("id", help="the contact id shown by list")
    remove.set_defaults(handler=_remove)

    load = _with_directory(sub.add_parser("import", help="import contacts from a CSV file (see the documentation "
                                                         "of fs_plugins.contacts.csv_import for the columns)"))
    load.add_argument("file", help="CSV file, or - for standard input")
    load.add_argument("--duplicates", choices=csv_import.DUPLICATE_POLICIES, default="skip",
                      help="a contact with the same name exists: skip the line (default), update it, or keep both")
    load.add_argument("--partial", action="store_true",
                      help="store the good lines even if some are bad (default: a bad line stores nothing)")
    load.set_defaults(handler=_import)

    dump = _with_directory(sub.add_parser("export", help="export contacts to CSV (formula-safe)"))
    dump.add_argument("file", nargs="?", default="-", help="output file (default: standard output)")
    dump.add_argument("--delimiter", choices=(",", ";"), default=",", help="cell separator (; for Spanish Excel)")
    dump.add_argument("--bom", action="store_true", help="start with a UTF-8 BOM (Excel detects the encoding)")
    dump.set_defaults(handler=_export)


def _with_directory(parser):
    parser.add_argument("--tenant", required=True, metavar="DOMAIN", help="the tenant's SIP domain")
    parser.add_argument("--user", metavar="EXT", help="a user's extension: work on their personal contacts")
    return parser


def _fields(parser, numbers_note: str) -> None:
    parser.add_argument("--company", help="company")
    parser.add_argument("--email", help="e-mail address")
    parser.add_argument("--note", help="free text note")
    for kind in NUMBER_KINDS:
        parser.add_argument(f"--{kind}", action="append", metavar="NUMBER",
                            help=f"{kind} number, national or international; repeatable{numbers_note}")


def _add(args, ctx) -> int:
    numbers = tuple((kind, n) for kind in NUMBER_KINDS for n in getattr(args, kind) or ())
    done = app.add_contact(ctx.app, args.tenant, args.user,
                           ContactInput(args.name, args.company, args.email, args.note, numbers))
    print(f"contact {done.value.id} added: {done.value.name}")
    return 0


def _list(args, ctx) -> int:
    _print(app.list_contacts(ctx.app, args.tenant, args.user))
    return 0


def _search(args, ctx) -> int:
    _print(app.search(ctx.app, args.tenant, args.user, args.query))
    return 0


def _set(args, ctx) -> int:
    changes = {f: getattr(args, f) for f in ("name", "company", "email", "note") if getattr(args, f) is not None}
    numbers = {kind: [n for n in getattr(args, kind) if n.strip()] for kind in NUMBER_KINDS if getattr(args, kind)}
    if not changes and not numbers:
        raise InvalidInput("set", "nothing to change: give --name, --company, --email, --note or a number option")
    done = app.change_contact(ctx.app, args.tenant, args.user, args.id, changes, numbers)
    print(f"contact {done.value.id} updated: {done.value.name}")
    return 0


def _remove(args, ctx) -> int:
    done = app.remove_contact(ctx.app, args.tenant, args.user, args.id)
    print(f"contact {done.value.id} removed: {done.value.name}")
    return 0


def _import(args, ctx) -> int:
    app.directory(ctx.app, args.tenant, args.user, change=True)  # a wrong --tenant or --user before reading
    batchjob.yield_cpu_to_calls(ctx.db)  # a batch job: calls and serve get the CPU first (fs_plugins/batchjob.py)
    try:
        data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    except OSError as exc:
        raise InvalidInput("file", f"cannot read {args.file}: {exc.strerror}") from None
    with steps() as progress, batchjob.checking_aside(ctx.db):  # bars on a terminal only
        done = app.import_contacts(ctx.app, args.tenant, args.user, data, args.duplicates, args.partial,
                                   progress=progress)
    label, report = done.value.directory, done.value.report
    for bad in report.errors:
        print(f"{args.file}: {bad}", file=sys.stderr)
    if report.ignored_columns:
        print(f"ignored columns: {', '.join(report.ignored_columns)}", file=sys.stderr)
    if not report.stored:
        print(f"nothing imported into the {label}: {len(report.errors)} problem(s) "
              f"(use --partial to store the good lines)", file=sys.stderr)
        return 2
    print(f"imported into the {label}: {report.added} added, {report.updated} updated, "
          f"{report.skipped} skipped, {len(report.errors)} bad line(s)")
    return 2 if report.errors else 0


def _export(args, ctx) -> int:
    text = app.export_contacts(ctx.app, args.tenant, args.user, args.delimiter)
    if args.bom:
        text = "\ufeff" + text
    if args.file == "-":
        sys.stdout.write(text)
    else:
        Path(args.file).write_text(text, encoding="utf-8", newline="")
    return 0


def _print(views: list[ContactView]) -> None:
    rows = [("ID", "SOURCE", "NAME", "COMPANY", "NUMBERS", "EMAIL")]
    for v in views:
        numbers = " ".join(f"{n.kind}:{n.number}" for n in v.numbers)
        rows.append((str(v.id or "-"), v.source, v.name, v.company or "", numbers, v.email or ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
