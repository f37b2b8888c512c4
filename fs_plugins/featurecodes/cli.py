"""`centralita featurecode list|set|off|reset`: the codes a tenant's users dial from their phones;
`centralita pickup list|set`: whose ringing calls each user may take with *8."""
from __future__ import annotations

from fs_plugins.commands.common import print_table, tenant_command
from fs_plugins.featurecodes import app
from fs_plugins.featurecodes.kinds import BY_NAME, NONE


def register(subparsers) -> None:
    parser = subparsers.add_parser("featurecode", help="the codes users dial from their phones (*78, *72 …)",
                                   description="Feature codes: what a user dials to change a setting from the phone.")
    actions = parser.add_subparsers(dest="featurecode_command", metavar="ACTION", required=True)
    tenant_command(actions, "list", cmd_list, "every feature and its code")
    change = tenant_command(actions, "set", cmd_set, "give a feature another code")
    change.add_argument("feature", choices=list(BY_NAME), metavar="FEATURE", help="the feature (see list)")
    change.add_argument("code", help="* or # and then 1 to 7 of 0-9 * # (quote it in the shell: '*78')")
    off = tenant_command(actions, "off", cmd_off, "turn a feature off for the tenant (its code does nothing)")
    off.add_argument("feature", choices=list(BY_NAME), metavar="FEATURE")
    reset = tenant_command(actions, "reset", cmd_reset, "back to the default code")
    reset.add_argument("feature", choices=list(BY_NAME), metavar="FEATURE")
    _pickup(subparsers)


def _pickup(subparsers) -> None:
    parser = subparsers.add_parser("pickup", help="pickup groups: whose ringing calls a user takes with *8",
                                   description="Pickup groups. A user without one is in the tenant's own group "
                                               "(every user without one); **EXT takes any colleague's call.")
    actions = parser.add_subparsers(dest="pickup_command", metavar="ACTION", required=True)
    tenant_command(actions, "list", cmd_pickup_list, "every user and their pickup group")
    change = tenant_command(actions, "set", cmd_pickup_set, "put a user in a pickup group")
    change.add_argument("--user", required=True, metavar="EXT")
    change.add_argument("--group", required=True, help="the group's name; '' puts the user back in the tenant's")


def cmd_list(args, ctx) -> int:
    return _print(app.list_codes(ctx.app, args.tenant))


def cmd_set(args, ctx) -> int:
    return _print(app.set_code(ctx.app, args.tenant, args.feature, args.code).value)


def cmd_off(args, ctx) -> int:
    return _print(app.set_code(ctx.app, args.tenant, args.feature, "").value)


def cmd_reset(args, ctx) -> int:
    return _print(app.reset_code(ctx.app, args.tenant, args.feature).value)


def _print(views: list[app.CodeView]) -> int:
    def dialled(view: app.CodeView) -> str:
        if not view.code:
            return "(off)"
        return view.code if view.argument == NONE else f"{view.code}<{view.argument}>"

    print_table(("FEATURE", "DIAL", "DEFAULT", "WHAT IT DOES"),
                [(v.feature, dialled(v), "yes" if not v.changed else v.default, v.description) for v in views])
    return 0


def cmd_pickup_list(args, ctx) -> int:
    return _print_pickup(app.list_pickup(ctx.app, args.tenant))


def cmd_pickup_set(args, ctx) -> int:
    return _print_pickup([app.set_pickup_group(ctx.app, args.tenant, args.user, args.group).value])


def _print_pickup(views: list[app.PickupView]) -> int:
    print_table(("USER", "NAME", "PICKUP GROUP"), [(v.extension, v.name, v.group or "(the tenant's)") for v in views])
    return 0
