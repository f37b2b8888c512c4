"""centralita number add|list|route|remove"""
from __future__ import annotations

from fs_plugins import provisioning, references
from fs_plugins.commands.common import add_tenant_option, open_tenant, print_table

DESTINATION_HELP = ("where calls go: user:EXT, number:NUMBER, ivr:NAME, group:NAME, voicemail:EXT, "
                    "voicemail: (general box), message:NAME, hangup[:CAUSE]")


def register(subparsers) -> None:
    parser = subparsers.add_parser("number", help="a tenant's DIDs (public numbers) and where they route")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="give a tenant a DID routed to a destination")
    add_tenant_option(add)
    add.add_argument("number", help="the DID in any written form; the tenant's country is the default")
    add.add_argument("--to", required=True, dest="destination", help=DESTINATION_HELP)
    add.add_argument("--description")
    add.set_defaults(handler=_add)

    listing = sub.add_parser("list", help="list a tenant's numbers")
    add_tenant_option(listing)
    listing.set_defaults(handler=_list)

    route = sub.add_parser("route", help="send a DID somewhere else")
    add_tenant_option(route)
    route.add_argument("number")
    route.add_argument("--to", required=True, dest="destination", help=DESTINATION_HELP)
    route.set_defaults(handler=_route)

    remove = sub.add_parser("remove", help="release a DID")
    add_tenant_option(remove)
    remove.add_argument("number")
    remove.set_defaults(handler=_remove)


def _add(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    change = provisioning.add_number(tenant, args.number, args.destination, args.description)
    print(f"number {change.row.e164} → {references.describe(tenant, change.row.destination)}")
    return 0


def _list(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    rows = [(n.e164, references.describe(tenant, n.destination), n.description)
            for n in sorted(tenant.numbers, key=lambda n: n.e164)]
    print_table(("NUMBER", "DESTINATION", "DESCRIPTION"), rows)
    return 0


def _route(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    change = provisioning.route_number(tenant, args.number, args.destination)
    print(f"number {change.row.e164} → {references.describe(tenant, change.row.destination)}")
    return 0


def _remove(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    change = provisioning.remove_number(tenant, args.number)
    print(f"number {change.row.e164} removed")
    return 0
