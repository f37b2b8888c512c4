"""centralita tenant export|schema, centralita apply: parse, call export/apply, print."""
from __future__ import annotations

import argparse
import sys

from fs_plugins.progress import track
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


def _schema(args, ctx) -> int:
    sys.stdout.write(document.schema_text())
    return 0
