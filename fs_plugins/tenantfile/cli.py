"""centralita tenant export|schema, centralita apply: parse, call export/apply, print.

Errors of a file name its YAML path (``users[3].forwards.no_answer.seconds``); cli.main prints them.
"""
from __future__ import annotations

import argparse
import sys

from fs_plugins.application import Changed
from fs_plugins.commands.common import report
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.progress import track
from fs_plugins.tenantfile.apply import apply_file
from fs_plugins.tenantfile import document
from fs_plugins.tenantfile.export import export_tenant


def register(subparsers) -> None:
    tenant = _subcommands(subparsers.choices["tenant"])  # the core's `tenant` command (it registers first)
    export = tenant.add_parser("export", help="write the whole tenant as a YAML file (no secrets), for `apply`")
    export.add_argument("domain")
    export.add_argument("-o", "--output", help="write to this file instead of standard output")
    export.set_defaults(handler=_export)
    schema = tenant.add_parser("schema", help="print the tenant file's JSON Schema (for editors)")
    schema.set_defaults(handler=_schema)
    apply = subparsers.add_parser("apply", help="make a tenant match its YAML file (a plan first; one transaction)",
                                  description="Print what will be added, changed and removed, then do it all in "
                                              "one transaction (nothing is written if anything is refused).")
    apply.add_argument("file", help="a file written by `centralita tenant export` (or by hand)")
    apply.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    apply.add_argument("--audio-dir", metavar="DIR",
                       help="folder holding the files the audio entries name (the exported tenant's "
                            "<data_dir>/audio/<domain>/): missing ones are uploaded from it")
    apply.add_argument("--passwords", action="store_true",
                       help="print the SIP passwords generated for new users (without it they get a random one "
                            "nobody sees: set one with `centralita user set --password-stdin`)")
    apply.set_defaults(handler=_apply)


def _subcommands(parser: argparse.ArgumentParser):
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def _export(args, ctx) -> int:
    text = document.dump(export_tenant(ctx.app, args.domain,
                                       lambda items, what, total: track(items, f"exporting {what}", total)))
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _apply(args, ctx) -> int:
    try:
        with open(args.file, encoding="utf-8") as source:
            data = document.load(source.read())
        applied = apply_file(ctx.app, data, dry_run=args.dry_run, audio_dir=args.audio_dir, passwords=args.passwords,
                             track=track, on_plan=lambda plan: print("\n".join(plan.lines()), flush=True))
    except OSError as exc:
        print(f"centralita: error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    except (InvalidInput, NotFound) as exc:  # the field is a YAML path: printed as is, not as an option
        print(f"centralita: error: {exc.field}: {exc.message}\nnothing was changed", file=sys.stderr)
        return 2 if isinstance(exc, InvalidInput) else 1
    if args.dry_run:
        print("dry run: nothing was changed")
    elif applied.done:
        print(f"applied {len(applied.plan.changes)} changes")
    for extension, password in sorted(applied.passwords.items()):
        print(f"SIP password of {extension} (shown only now): {password}")
    report(Changed(None, applied.freeswitch))
    return 0


def _schema(args, ctx) -> int:
    sys.stdout.write(document.schema_text())
    return 0
