"""centralita tenant|user|number …: parse the arguments, call fs_plugins.core.app, print the result."""
from __future__ import annotations

import getpass
import sys

from fs_plugins.commands.common import bool_option, print_table, report, tenant_command
from fs_plugins.core import app
from fs_plugins.errors import InvalidInput
from fs_plugins.voices import Voices

DESTINATION_HELP = ("where calls go: user:EXT, number:NUMBER, ivr:NAME, group:NAME, voicemail:EXT, "
                    "voicemail: (general box), message:NAME, hangup[:CAUSE]")
USER_HEADERS = ("EXT", "NAME", "EMAIL", "ENABLED")


def register(subparsers) -> None:
    _tenant_commands(subparsers)
    _user_commands(subparsers)
    _number_commands(subparsers)


# --- tenant ------------------------------------------------------------------------------------

def _tenant_commands(subparsers) -> None:
    parser = subparsers.add_parser("tenant", help="customer companies (each with its own SIP domain)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="create a tenant")
    add.add_argument("domain", help="SIP domain, also the tenant's dialplan context (acme.example.com)")
    add.add_argument("--name", required=True, help="company name")
    _settings(add, defaults=True)
    add.set_defaults(handler=_tenant_add)
    sub.add_parser("list", help="list tenants").set_defaults(handler=_tenant_list)
    show = sub.add_parser("show", help="show a tenant with its users and numbers")
    show.add_argument("domain")
    show.set_defaults(handler=_tenant_show)
    change = sub.add_parser("set", help="change a tenant's settings")
    change.add_argument("domain")
    change.add_argument("--name", help="company name")
    _settings(change, defaults=False)
    change.set_defaults(handler=_tenant_set)
    remove = sub.add_parser("remove", help="delete a tenant and everything it owns")
    remove.add_argument("domain")
    remove.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    remove.set_defaults(handler=_tenant_remove)
    for name, text in (("suspend", "suspend a tenant: its users can no longer register (nothing is deleted)"),
                       ("resume", "resume a suspended tenant")):
        command = sub.add_parser(name, help=text)
        command.add_argument("domain")
        command.set_defaults(handler=_tenant_suspension, suspend=name == "suspend")


def _settings(parser, defaults: bool) -> None:
    parser.add_argument("--timezone", default="Europe/Madrid" if defaults else None, help="IANA time zone")
    parser.add_argument("--language", default="es" if defaults else None, help="prompts language (es, en, ca…)")
    parser.add_argument("--country", default="ES" if defaults else None,
                        help="ISO country: default region for numbers and holidays")
    parser.add_argument("--region", default=None, help="ISO 3166-2 subdivision for regional holidays (MD, CT…)")


def _tenant_add(args, ctx) -> int:
    done = app.add_tenant(ctx.app, args.domain, args.name, args.timezone, args.language, args.country, args.region)
    print(f"tenant {done.value.domain} created")
    _warn_without_voice(ctx, done.value.language)
    return 0


def _tenant_list(args, ctx) -> int:
    rows = [(s.tenant.domain, s.tenant.name, s.tenant.timezone, s.tenant.country, s.tenant.region, s.users)
            for s in app.list_tenants(ctx.app)]
    print_table(("DOMAIN", "NAME", "TIMEZONE", "COUNTRY", "REGION", "USERS"), rows)
    return 0


def _tenant_show(args, ctx) -> int:
    detail = app.show_tenant(ctx.app, args.domain)
    tenant = detail.tenant
    for label, value in (("domain", tenant.domain), ("name", tenant.name), ("timezone", tenant.timezone),
                         ("language", _spoken(ctx, tenant.language)), ("country", tenant.country),
                         ("region", tenant.region or "-")):
        print(f"{label:10} {value}")
    print("\nusers:")
    print_table(USER_HEADERS, [_user_row(u) for u in detail.users])
    print("\nnumbers:")
    print_table(("NUMBER", "DESTINATION"), [(n.number, n.label) for n in detail.numbers])
    return 0


def _tenant_set(args, ctx) -> int:
    done = app.set_tenant(ctx.app, args.domain, name=args.name, timezone=args.timezone, language=args.language,
                          country=args.country, region=args.region)
    report(done)
    print(f"tenant {done.value.domain} updated")
    if args.language is not None:
        _warn_without_voice(ctx, done.value.language)
    return 0


def _spoken(ctx, language: str) -> str:
    voice = Voices.from_config(ctx.config).for_language(language)
    return f"{language} (FreeSWITCH language {voice.language}, voice {voice.prefix})"


def _warn_without_voice(ctx, language: str) -> None:
    """Calls of a language with no configured voice are spoken in English (fs_plugins/voices.py)."""
    if not Voices.from_config(ctx.config).has(language):
        print(f"warning: no voice for language {language!r} in the `voices` setting: its calls are spoken in English",
              file=sys.stderr)


def _tenant_suspension(args, ctx) -> int:
    report(app.suspend_tenant(ctx.app, args.domain, args.suspend))
    print(f"tenant {args.domain} {'suspended: its users can no longer register' if args.suspend else 'resumed'}")
    return 0


def _tenant_remove(args, ctx) -> int:
    if not args.yes:
        raise InvalidInput("--yes", "removing a tenant deletes its users, numbers and call log; confirm with --yes")
    report(app.remove_tenant(ctx.app, args.domain))
    print(f"tenant {args.domain} removed")
    return 0


# --- user --------------------------------------------------------------------------------------

def _user_commands(subparsers) -> None:
    parser = subparsers.add_parser("user", help="a tenant's users (extensions, SIP accounts)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = tenant_command(sub, "add", _user_add, "create a user; without --password one is generated and shown once")
    add.add_argument("extension", help="2 to 6 digits")
    add.add_argument("--name", required=True, help="display name (caller id)")
    add.add_argument("--email")
    _password_options(add)
    add.add_argument("--enabled", type=bool_option, default=True, help="yes/no (default yes)")
    tenant_command(sub, "list", _user_list, "list a tenant's users")
    change = tenant_command(sub, "set", _user_set, "change a user")
    change.add_argument("extension")
    change.add_argument("--name", help="display name")
    change.add_argument("--email")
    _password_options(change)
    change.add_argument("--enabled", type=bool_option, help="yes/no")
    change.add_argument("--new-extension", help="renumber the user (needs a new password)")
    remove = tenant_command(sub, "remove", _user_remove, "delete a user")
    remove.add_argument("extension")


def _password_options(parser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--password", help="SIP password (visible in the process list: prefer --password-stdin)")
    group.add_argument("--password-stdin", action="store_true", help="read the SIP password from standard input")


def _password(args) -> str | None:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("SIP password: ")
    return args.password


def _user_add(args, ctx) -> int:
    done = app.add_user(ctx.app, args.tenant, args.extension, args.name, args.email, _password(args), args.enabled)
    user = done.value.user
    print(f"user {user.extension}@{user.tenant} created")
    if done.value.sip_password:
        print(f"SIP password (shown only now): {done.value.sip_password}")
    return 0


def _user_list(args, ctx) -> int:
    print_table(USER_HEADERS, [_user_row(u) for u in app.list_users(ctx.app, args.tenant)])
    return 0


def _user_set(args, ctx) -> int:
    done = app.set_user(ctx.app, args.tenant, args.extension, args.name, args.email, _password(args), args.enabled,
                        args.new_extension)
    report(done)
    print(f"user {done.value.extension}@{done.value.tenant} updated")
    return 0


def _user_remove(args, ctx) -> int:
    done = app.remove_user(ctx.app, args.tenant, args.extension)
    report(done)
    print(f"user {done.value.extension}@{done.value.tenant} removed")
    return 0


def _user_row(user: app.UserView) -> tuple:
    return user.extension, user.name, user.email, "yes" if user.enabled else "no"


# --- number ------------------------------------------------------------------------------------

def _number_commands(subparsers) -> None:
    parser = subparsers.add_parser("number", help="a tenant's DIDs (public numbers) and where they route")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = tenant_command(sub, "add", _number_add, "give a tenant a DID routed to a destination")
    add.add_argument("number", help="the DID in any written form; the tenant's country is the default")
    add.add_argument("--to", required=True, dest="destination", help=DESTINATION_HELP)
    add.add_argument("--description")
    tenant_command(sub, "list", _number_list, "list a tenant's numbers")
    route = tenant_command(sub, "route", _number_route, "send a DID somewhere else")
    route.add_argument("number")
    route.add_argument("--to", required=True, dest="destination", help=DESTINATION_HELP)
    remove = tenant_command(sub, "remove", _number_remove, "release a DID")
    remove.add_argument("number")


def _number_add(args, ctx) -> int:
    number = app.add_number(ctx.app, args.tenant, args.number, args.destination, args.description).value
    print(f"number {number.number} → {number.label}")
    return 0


def _number_list(args, ctx) -> int:
    rows = [(n.number, n.label, n.description) for n in app.list_numbers(ctx.app, args.tenant)]
    print_table(("NUMBER", "DESTINATION", "DESCRIPTION"), rows)
    return 0


def _number_route(args, ctx) -> int:
    number = app.route_number(ctx.app, args.tenant, args.number, args.destination).value
    print(f"number {number.number} → {number.label}")
    return 0


def _number_remove(args, ctx) -> int:
    number = app.remove_number(ctx.app, args.tenant, args.number).value
    print(f"number {number.number} removed")
    return 0
