"""centralita audit list: who changed what, when, from where (newest first)."""
from __future__ import annotations

import json

from fs_plugins import audit
from fs_plugins.application import tenant_in_scope
from fs_plugins.access.principal import cli_principal
from fs_plugins.commands.common import print_table


def register(subparsers) -> None:
    parser = subparsers.add_parser("audit", help="the audit log of every change")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="newest changes first")
    listing.add_argument("--tenant", metavar="DOMAIN", help="only this tenant's changes")
    listing.add_argument("--limit", type=int, default=50, help="how many entries (default 50)")
    listing.add_argument("--before", type=int, metavar="ID", help="entries older than this id (the next page)")
    listing.set_defaults(handler=_list)


def _list(args, ctx) -> int:
    app = ctx.app  # opens the database
    tenant_id = tenant_in_scope(app, args.tenant).id if args.tenant else None
    rows = audit.entries(cli_principal(), tenant_id, args.before, max(1, args.limit))
    print_table(("ID", "AT (UTC)", "TENANT", "WHO", "FROM", "ACTION", "TARGET", "DETAIL"),
                [(e.id, e.at.isoformat(sep=" ", timespec="seconds"), e.tenant or "-", e.actor, e.source, e.action,
                  e.target, json.dumps(e.detail, ensure_ascii=False) if e.detail else "") for e in rows])
    return 0
