"""centralita apikey create|list|revoke, centralita login add|list|set|remove

Whoever runs these on the server is the operator: every change goes through fs_plugins.access.app
and is written to the audit log as `cli <unix user>`.
"""
from __future__ import annotations

import datetime as dt

from fs_plugins.access import app
from fs_plugins.commands.common import bool_option, print_table, read_secret
from fs_plugins.errors import InvalidInput
from fs_plugins.models.access import ROLES


def register(subparsers) -> None:
    _register_keys(subparsers.add_parser("apikey", help="API keys for integrations (REST API)"))
    _register_logins(subparsers.add_parser("login", help="people's logins for the REST API and the portal"))


def _scope_options(parser) -> None:
    parser.add_argument("--role", required=True, choices=ROLES, help="operator, tenant-admin or user")
    parser.add_argument("--tenant", metavar="DOMAIN", help="the tenant (tenant-admin and user)")
    parser.add_argument("--user", metavar="EXT", help="the user's extension (user; optional for tenant-admin)")


def _register_keys(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="create a key; it is printed once and never again")
    create.add_argument("name", help="what the key is for (billing sync, customer panel…)")
    _scope_options(create)
    create.add_argument("--expires", metavar="YYYY-MM-DD", help="last day the key works (UTC)")
    create.set_defaults(handler=_key_create)
    listing = sub.add_parser("list", help="list keys (never their secrets)")
    listing.add_argument("--tenant", metavar="DOMAIN", help="only this tenant's keys")
    listing.set_defaults(handler=_key_list)
    revoke = sub.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("prefix", help="the key's prefix (ck_<prefix>_…)")
    revoke.set_defaults(handler=_key_revoke)


def _register_logins(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="create a login; the password is read from standard input")
    add.add_argument("username")
    _scope_options(add)
    add.set_defaults(handler=_login_add)
    listing = sub.add_parser("list", help="list logins")
    listing.add_argument("--tenant", metavar="DOMAIN")
    listing.set_defaults(handler=_login_list)
    change = sub.add_parser("set", help="new password (from standard input) or enable/disable; ends its sessions")
    change.add_argument("username")
    change.add_argument("--password-stdin", action="store_true", help="read the new password from standard input")
    change.add_argument("--enabled", type=bool_option, help="yes/no")
    change.set_defaults(handler=_login_set)
    remove = sub.add_parser("remove", help="delete a login and its sessions")
    remove.add_argument("username")
    remove.set_defaults(handler=_login_remove)


def _expiry(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time()) + dt.timedelta(days=1)
    except ValueError:
        raise InvalidInput("--expires", f"expected a date like 2027-01-31, got {text!r}") from None


def _key_create(args, ctx) -> int:
    new = app.create_key(ctx.app, args.name, args.role, args.tenant, args.user, _expiry(args.expires)).value
    print(f"API key {args.name!r} ({args.role}{' of ' + new.key.tenant if new.key.tenant else ''}); shown only now:")
    print(new.secret)
    return 0


def _key_list(args, ctx) -> int:
    print_table(("PREFIX", "NAME", "ROLE", "TENANT", "USER", "EXPIRES", "LAST USED", "REVOKED"),
                [(k.prefix, k.name, k.role, k.tenant or "-", k.extension or "-", k.expires_at or "-",
                  k.last_used_at or "never", k.revoked_at or "-") for k in app.list_keys(ctx.app, args.tenant)])
    return 0


def _key_revoke(args, ctx) -> int:
    row = app.revoke_key(ctx.app, args.prefix).value
    print(f"API key {row.prefix} revoked")
    return 0


def _login_add(args, ctx) -> int:
    ctx.app  # opens the database before the password is asked for
    password = read_secret("password: ")
    row = app.add_login(ctx.app, args.username, password, args.role, args.tenant, args.user).value
    print(f"login {row.username} ({row.role}{' of ' + row.tenant if row.tenant else ''}) created")
    return 0


def _login_list(args, ctx) -> int:
    print_table(("USERNAME", "ROLE", "TENANT", "USER", "ENABLED", "LAST LOGIN"),
                [(r.username, r.role, r.tenant or "-", r.extension or "-", "yes" if r.enabled else "no",
                  r.last_login_at or "never") for r in app.list_logins(ctx.app, args.tenant)])
    return 0


def _login_set(args, ctx) -> int:
    if not args.password_stdin and args.enabled is None:
        raise InvalidInput("--password-stdin", "give --password-stdin and/or --enabled")
    ctx.app
    password = read_secret("new password: ") if args.password_stdin else None
    row = app.set_login(ctx.app, args.username, password, args.enabled).value
    print(f"login {row.username} updated")
    return 0


def _login_remove(args, ctx) -> int:
    row = app.remove_login(ctx.app, args.username).value
    print(f"login {row.username} removed")
    return 0
