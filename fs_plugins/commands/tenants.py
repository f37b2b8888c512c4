"""centralita tenant add|list|show|set|remove"""
from __future__ import annotations

import sys

from fs_plugins import provisioning, references
from fs_plugins.commands.common import flush, open_tenant, print_table
from fs_plugins.errors import InvalidInput
from fs_plugins.models import Tenant
from fs_plugins.voices import Voices


def register(subparsers) -> None:
    parser = subparsers.add_parser("tenant", help="customer companies (each with its own SIP domain)")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="create a tenant")
    add.add_argument("domain", help="SIP domain, also the tenant's dialplan context (acme.example.com)")
    add.add_argument("--name", required=True, help="company name")
    _settings(add, defaults=True)
    add.set_defaults(handler=_add)

    sub.add_parser("list", help="list tenants").set_defaults(handler=_list)

    show = sub.add_parser("show", help="show a tenant with its users and numbers")
    show.add_argument("domain")
    show.set_defaults(handler=_show)

    change = sub.add_parser("set", help="change a tenant's settings")
    change.add_argument("domain")
    change.add_argument("--name", help="company name")
    _settings(change, defaults=False)
    change.set_defaults(handler=_set)

    remove = sub.add_parser("remove", help="delete a tenant and everything it owns")
    remove.add_argument("domain")
    remove.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    remove.set_defaults(handler=_remove)


def _settings(parser, defaults: bool) -> None:
    parser.add_argument("--timezone", default="Europe/Madrid" if defaults else None, help="IANA time zone")
    parser.add_argument("--language", default="es" if defaults else None, help="prompts language (es, en, ca…)")
    parser.add_argument("--country", default="ES" if defaults else None,
                        help="ISO country: default region for numbers and holidays")
    parser.add_argument("--region", default=None, help="ISO 3166-2 subdivision for regional holidays (MD, CT…)")


def _add(args, ctx) -> int:
    ctx.db
    change = provisioning.add_tenant(args.name, args.domain, args.timezone, args.language, args.country, args.region)
    print(f"tenant {change.row.domain} created")
    _warn_without_voice(ctx, change.row.language)
    return 0


def _list(args, ctx) -> int:
    ctx.db
    rows = [(t.domain, t.name, t.timezone, t.country, t.region, t.users.count()) for t in Tenant.select().order_by(Tenant.domain)]
    print_table(("DOMAIN", "NAME", "TIMEZONE", "COUNTRY", "REGION", "USERS"), rows)
    return 0


def _show(args, ctx) -> int:
    tenant = open_tenant(ctx, args.domain)
    for label, value in (("domain", tenant.domain), ("name", tenant.name), ("timezone", tenant.timezone),
                         ("language", _spoken(ctx, tenant.language)), ("country", tenant.country),
                         ("region", tenant.region or "-")):
        print(f"{label:10} {value}")
    print("\nusers:")
    print_table(("EXT", "NAME", "EMAIL", "ENABLED"),
                [(u.extension, u.display_name, u.email, "yes" if u.enabled else "no")
                 for u in sorted(tenant.users, key=lambda u: u.extension)])
    print("\nnumbers:")
    print_table(("NUMBER", "DESTINATION"), [(n.e164, references.describe(tenant, n.destination))
                                            for n in sorted(tenant.numbers, key=lambda n: n.e164)])
    return 0


def _spoken(ctx, language: str) -> str:
    voice = Voices.from_config(ctx.config).for_language(language)
    return f"{language} (FreeSWITCH language {voice.language}, voice {voice.prefix})"


def _warn_without_voice(ctx, language: str) -> None:
    """Calls of a language with no configured voice are spoken in English (fs_plugins/voices.py)."""
    if not Voices.from_config(ctx.config).has(language):
        print(f"warning: no voice for language {language!r} in the `voices` setting: its calls are spoken in English",
              file=sys.stderr)


def _set(args, ctx) -> int:
    ctx.db
    change = provisioning.set_tenant(args.domain, name=args.name, timezone=args.timezone, language=args.language,
                                     country=args.country, region=args.region)
    flush(ctx, change)
    print(f"tenant {change.row.domain} updated")
    if args.language is not None:
        _warn_without_voice(ctx, change.row.language)
    return 0


def _remove(args, ctx) -> int:
    if not args.yes:
        raise InvalidInput("--yes", "removing a tenant deletes its users, numbers and call log; confirm with --yes")
    ctx.db
    change = provisioning.remove_tenant(args.domain)
    flush(ctx, change)
    print(f"tenant {args.domain} removed")
    return 0
