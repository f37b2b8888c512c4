"""centralita user add|list|show|set|remove"""
from __future__ import annotations

import getpass
import sys

from fs_plugins import provisioning
from fs_plugins.commands.common import add_tenant_option, bool_option, flush, open_tenant, print_table


def register(subparsers) -> None:
    parser = subparsers.add_parser("user", help="a tenant's users (extensions, SIP accounts)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="create a user; without --password one is generated and shown once")
    add_tenant_option(add)
    add.add_argument("extension", help="2 to 6 digits")
    add.add_argument("--name", required=True, help="display name (caller id)")
    add.add_argument("--email")
    _password_options(add)
    add.add_argument("--enabled", type=bool_option, default=True, help="yes/no (default yes)")
    add.set_defaults(handler=_add)

    listing = sub.add_parser("list", help="list a tenant's users")
    add_tenant_option(listing)
    listing.set_defaults(handler=_list)

    change = sub.add_parser("set", help="change a user")
    add_tenant_option(change)
    change.add_argument("extension")
    change.add_argument("--name", help="display name")
    change.add_argument("--email")
    _password_options(change)
    change.add_argument("--enabled", type=bool_option, help="yes/no")
    change.add_argument("--new-extension", help="renumber the user (needs a new password)")
    change.set_defaults(handler=_set)

    remove = sub.add_parser("remove", help="delete a user")
    add_tenant_option(remove)
    remove.add_argument("extension")
    remove.set_defaults(handler=_remove)


def _password_options(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--password", help="SIP password (visible in the process list: prefer --password-stdin)")
    group.add_argument("--password-stdin", action="store_true", help="read the SIP password from standard input")


def _password(args) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("SIP password: ")
    return args.password


def _add(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    change = provisioning.add_user(tenant, args.extension, args.name, args.email, _password(args), args.enabled)
    flush(ctx, change)
    print(f"user {change.row.extension}@{tenant.domain} created")
    if change.generated_password:
        print(f"SIP password (shown only now): {change.generated_password}")
    return 0


def _list(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    users = sorted(tenant.users, key=lambda u: u.extension)
    print_table(("EXT", "NAME", "EMAIL", "ENABLED"),
                [(u.extension, u.display_name, u.email, "yes" if u.enabled else "no") for u in users])
    return 0


def _set(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    change = provisioning.set_user(tenant, args.extension, args.name, args.email, _password(args), args.enabled,
                                   args.new_extension)
    flush(ctx, change)
    print(f"user {change.row.extension}@{tenant.domain} updated")
    return 0


def _remove(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    change = provisioning.remove_user(tenant, args.extension)
    flush(ctx, change)
    print(f"user {args.extension}@{tenant.domain} removed")
    return 0
