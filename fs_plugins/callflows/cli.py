"""`centralita flow list|enable|disable|enabled|attach|set|detach|routes|show|try|records`."""
from __future__ import annotations

import csv
import sys

from fs_plugins.callflows import app, simulate
from fs_plugins.commands.common import print_table, tenant_command
from fs_plugins.errors import InvalidInput

DEST_HELP = "user:EXT, voicemail:[EXT], ivr:MENU, group:GROUP, number:NUMBER, message:AUDIO or hangup[:CAUSE]"


def register(subparsers) -> None:
    parser = subparsers.add_parser("flow", help="custom call flows: installed flows, per-tenant routes, trials",
                                   description="Custom call flows written in Python (docs/flows.md): the operator "
                                               "enables an installed flow for a tenant; the tenant attaches it "
                                               "under a name that numbers, IVR keys and forwards route to as "
                                               "flow:NAME.")
    commands = parser.add_subparsers(dest="flow_command", metavar="ACTION", required=True)
    listing = commands.add_parser("list", help="the installed flows, where each comes from, its settings, and "
                                               "the files or packages that failed to load")
    listing.set_defaults(handler=cmd_list)

    enable = _named(tenant_command(commands, "enable", cmd_enable, "allow a flow in a tenant (again: change its "
                                                                    "tenant-wide settings)"), "the flow's name")
    _settings_options(enable)
    _named(tenant_command(commands, "disable", cmd_disable, "no longer allow a flow in a tenant (its routes "
                                                            "send calls to their fallback)"), "the flow's name")
    tenant_command(commands, "enabled", cmd_enabled, "the flows a tenant may use, with its settings")

    attach = _named(tenant_command(commands, "attach", cmd_attach, "attach an enabled flow under a name: "
                                                                   "route numbers to it as flow:NAME"), "the flow")
    attach.add_argument("--as", dest="name", metavar="NAME", help="the route's name (default: the flow's)")
    attach.add_argument("--fallback", metavar="DESTINATION",
                        help=f"where calls go if the flow fails or hangs (default: the general voicemail): {DEST_HELP}")
    _settings_options(attach, unset=False)
    change = _named(tenant_command(commands, "set", cmd_set, "change a route's settings, name or fallback"), "the route")
    change.add_argument("--name", help="rename the route (what routes to it follows)")
    change.add_argument("--fallback", metavar="DESTINATION", help=f"{DEST_HELP}; '' for the general voicemail")
    _settings_options(change)
    _named(tenant_command(commands, "detach", cmd_detach, "remove a route (refused while anything routes to it)"),
           "the route")
    tenant_command(commands, "routes", cmd_routes, "the tenant's flow routes")
    _named(tenant_command(commands, "show", cmd_show, "one route: flow, settings, fallback"), "the route")

    trial = _named(tenant_command(commands, "try", cmd_try, "run an emulated call through a route and print each "
                                                           "step (no FreeSWITCH)"), "the route")
    trial.add_argument("--digits", default="", metavar="KEYS,KEYS,…",
                       help="what the caller types at each prompt, comma-separated; empty = no key (e.g. ',7,1')")
    trial.add_argument("--from", dest="caller", default="+34600000001", help="the caller's number")
    trial.add_argument("--hangup", type=float, metavar="SECONDS", help="the caller hangs up after this long")

    records = tenant_command(commands, "records", cmd_records, "what the tenant's flows stored, as CSV")
    records.add_argument("--flow", help="only this flow's records")
    records.add_argument("file", nargs="?", default="-", help="output file (default: standard output)")


def _named(parser, text: str):
    parser.add_argument("flow", metavar="NAME", help=text)
    return parser


def _settings_options(parser, unset: bool = True) -> None:
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting the flow declares (see `centralita flow list`); repeatable")
    if unset:
        parser.add_argument("--unset", action="append", default=[], metavar="NAME",
                            help="drop a value set here (the tenant's value or the default applies); repeatable")


def _values(args) -> dict[str, str]:
    values = {}
    for text in args.settings:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise InvalidInput("settings", f"expected NAME=VALUE, got {text!r}")
        values[name.strip()] = value
    return values


def cmd_list(args, ctx) -> int:
    found = app.catalog(ctx.app)
    if not found.flows:
        print("no flows installed (packages' centralita.flows entry points, or files in flows_dir)")
    for flow in found.flows:
        print(f"{flow.name}  {flow.description}".rstrip())
        print(f"    from: {flow.origin}")
        for setting in flow.settings:
            print(f"    setting {setting.summary}")
    for problem in found.problems:
        print(f"not loaded: {problem.origin}: {problem.error}")
    return 0


def cmd_enable(args, ctx) -> int:
    grant = app.enable_flow(ctx.app, args.tenant, args.flow, _values(args), tuple(args.unset)).value
    print(f"flow {grant.flow} enabled for {grant.tenant}" + _settings_text(grant.settings))
    return 0


def cmd_disable(args, ctx) -> int:
    grant = app.disable_flow(ctx.app, args.tenant, args.flow).value
    print(f"flow {grant.flow} disabled for {grant.tenant}")
    return 0


def cmd_enabled(args, ctx) -> int:
    rows = [(g.flow, "yes" if g.installed else "NO (not loaded)", _settings_text(g.settings).strip(" ;"))
            for g in app.list_grants(ctx.app, args.tenant)]
    print_table(("flow", "installed", "tenant settings"), rows)
    return 0


def cmd_attach(args, ctx) -> int:
    route = app.add_route(ctx.app, args.tenant, args.name or args.flow, args.flow, _values(args), args.fallback).value
    print(f"{route.destination} attached: flow {route.flow}, fallback {route.fallback.label}"
          + _settings_text(route.settings))
    return 0


def cmd_set(args, ctx) -> int:
    route = app.change_route(ctx.app, args.tenant, args.flow, name=args.name, values=_values(args),
                             unset=tuple(args.unset), fallback=args.fallback).value
    print(f"{route.destination} changed")
    return 0


def cmd_detach(args, ctx) -> int:
    route = app.remove_route(ctx.app, args.tenant, args.flow).value
    print(f"{route.destination} removed")
    return 0


def cmd_routes(args, ctx) -> int:
    rows = [(r.destination, r.flow, "yes" if r.enabled else "NO", r.fallback.label, _settings_text(r.settings).strip(" ;"))
            for r in app.list_routes(ctx.app, args.tenant)]
    print_table(("route", "flow", "runs", "fallback", "settings"), rows)
    return 0


def cmd_show(args, ctx) -> int:
    route = app.get_route(ctx.app, args.tenant, args.flow)
    print(f"route:     {route.destination} (id {route.id})")
    print(f"flow:      {route.flow}" + ("" if route.enabled else " (not installed or not enabled: calls go to the fallback)"))
    print(f"fallback:  {route.fallback.label}")
    for name, value in route.settings.items():
        print(f"  {name} = {value}")
    return 0


def cmd_try(args, ctx) -> int:
    keys = args.digits.split(",") if args.digits else []
    if any(k not in "0123456789*#" for k in "".join(keys)):
        raise InvalidInput("--digits", "keys are 0-9, * and #, prompts separated by commas")
    route = app.get_route(ctx.app, args.tenant, args.flow)
    report = simulate.simulate_route(ctx.config, route.tenant, route.id, keys, caller=args.caller,
                                     hangup_at=args.hangup)
    print("\n".join(report.lines()))
    return 0


def cmd_records(args, ctx) -> int:
    rows = app.records_csv(ctx.app, args.tenant, args.flow)
    out = sys.stdout if args.file == "-" else open(args.file, "w", newline="", encoding="utf-8")
    try:
        csv.writer(out).writerows(rows)
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def _settings_text(values) -> str:
    return "".join(f"; {name}={value}" for name, value in values.items())
