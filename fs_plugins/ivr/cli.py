"""`centralita ivr add|list|show|set|remove`, `ivr option set|remove`, `ivr try`."""
from __future__ import annotations

from fs_plugins.commands.common import bool_option, parse_at, print_table, tenant_command
from fs_plugins.errors import InvalidInput
from fs_plugins.ivr import app, simulate
from fs_plugins.ivr.settings import check_key
from fs_plugins.models.ivr import FORWARD_MODES
from fs_plugins.sim.script import CallerScript

DEST_HELP = "user:EXT, number:NUMBER, ivr:MENU, group:GROUP, voicemail:[EXT], message:AUDIO or hangup[:CAUSE]"


def register(subparsers) -> None:
    parser = subparsers.add_parser("ivr", help="IVR menus: welcome, prompt, keys to destinations",
                                   description="IVR menus of a tenant. Each is reached through DIDs and a "
                                               "short number and runs as an outbound ESL session.")
    commands = parser.add_subparsers(dest="ivr_command", metavar="ACTION", required=True)
    _menu_options(_command(commands, "add", cmd_add, "create a menu"), creating=True)
    _command(commands, "list", cmd_list, "list the tenant's menus", named=False)
    _command(commands, "show", cmd_show, "a menu's settings, options and the numbers that reach it")
    _menu_options(_command(commands, "set", cmd_set, "change a menu (only the options given)"), creating=False)
    _command(commands, "remove", cmd_remove, "delete a menu (refused while numbers or other menus route to it)")
    option = commands.add_parser("option", help="set or remove one key of a menu",
                                 description="Set or remove one key of a menu.")
    actions = option.add_subparsers(dest="option_command", metavar="ACTION", required=True)
    set_key = _command(actions, "set", cmd_option_set, "make KEY send calls to DESTINATION")
    set_key.add_argument("key", help="0-9, * or #")
    set_key.add_argument("destination", help=DEST_HELP)
    remove_key = _command(actions, "remove", cmd_option_remove, "remove KEY from the menu")
    remove_key.add_argument("key", help="0-9, * or #")
    trial = _command(commands, "try", cmd_try, "run an emulated call through the menu and print each step")
    trial.add_argument("--digits", default="", metavar="KEYS,KEYS,…",
                       help="what the caller types at each prompt, comma-separated; empty = no key (e.g. ',7,1')")
    trial.add_argument("--hangup", type=float, metavar="SECONDS", help="the caller hangs up after this long")
    trial.add_argument("--at", metavar="'YYYY-MM-DDTHH:MM+01:00'",
                       help="the moment of the call, ISO with offset (for schedules; default now)")


def _command(commands, name, handler, text, named=True):
    parser = tenant_command(commands, name, handler, text)
    if named:
        parser.add_argument("menu", help="the menu's name (or id)")
    return parser


def _menu_options(parser, creating: bool) -> None:
    if not creating:
        parser.add_argument("--name", help="rename the menu")
    parser.add_argument("--comment", help="free text")
    parser.add_argument("--option", dest="options", action="append", default=[], metavar="KEY=DESTINATION",
                        help=f"a key (0-9, *, #) and where it sends the call: {DEST_HELP}; repeatable"
                             + ("" if creating else "; adds or replaces that key"))
    parser.add_argument("--number", dest="numbers", action="append", default=[], metavar="E164",
                        help="a DID of the tenant that reaches this menu; repeatable")
    parser.add_argument("--move-number", dest="move_numbers", action="store_true",
                        help="let --number take a DID that routes somewhere else now (a user, another menu…)")
    parser.add_argument("--short-number", metavar="DIGITS",
                        help="internal number that reaches the menu (not a user's extension)"
                             + ("" if creating else "; '' removes it"))
    parser.add_argument("--forward", choices=FORWARD_MODES,
                        help="none; schedule (while closed, calls go to --closed); forward (always to --forward-to)")
    parser.add_argument("--schedule", metavar="NAME", help="the schedule for --forward schedule")
    parser.add_argument("--closed", metavar="DESTINATION", help="where calls go while the schedule is closed")
    parser.add_argument("--forward-to", metavar="DESTINATION", help="number, user or group for --forward forward")
    for flag, text in (("--welcome", "played once when the call arrives"), ("--prompt", "the menu (repeated)"),
                       ("--timeout-prompt", "played when nothing was pressed"),
                       ("--invalid-prompt", "played after a key that is not an option")):
        parser.add_argument(flag, metavar="AUDIO", help=f"audio file name: {text}; '' for none")
    parser.add_argument("--timeout", type=int, metavar="SECONDS", help="wait for a key (1-60, default 5)")
    parser.add_argument("--loops", type=int, metavar="N",
                        help="prompts without a valid choice before --exit (1-10, default 3)")
    parser.add_argument("--exit", metavar="DESTINATION",
                        help="after the last loop: hangup, number, user, ivr, group or voicemail (e.g. "
                             "voicemail: for the general box; default hangup)")
    parser.add_argument("--direct-dial", type=bool_option, metavar="yes|no",
                        help="callers may dial the tenant's extensions from the menu")


def option(text: str) -> tuple[str, str]:
    """``KEY=DESTINATION`` as typed after --option."""
    key, sep, destination = (text or "").partition("=")
    if not sep:
        raise InvalidInput("--option", f"expected KEY=DESTINATION (e.g. 1=user:1001), got {text!r}")
    return check_key(key), destination


def _settings(args) -> dict:
    return dict(
        comment=args.comment, forward=args.forward, schedule=args.schedule, closed=args.closed,
        forward_to=args.forward_to, welcome=args.welcome, prompt=args.prompt, timeout_prompt=args.timeout_prompt,
        invalid_prompt=args.invalid_prompt, timeout=args.timeout, loops=args.loops, exit=args.exit,
        direct_dial=args.direct_dial, options=dict(option(text) for text in args.options),
        short_number=args.short_number, numbers=args.numbers, move_numbers=args.move_numbers)


def cmd_add(args, ctx) -> int:
    menu = app.add_menu(ctx.app, args.tenant, args.menu, **_settings(args)).value
    print(f"IVR menu {menu.name!r} created (id {menu.id})")
    _print_menu(menu)
    return 0


def cmd_set(args, ctx) -> int:
    menu = app.change_menu(ctx.app, args.tenant, args.menu, name=args.name, **_settings(args)).value
    print(f"IVR menu {menu.name!r} changed")
    _print_menu(menu)
    return 0


def cmd_list(args, ctx) -> int:
    rows = [(m.id, m.name, ",".join(m.short_numbers), ",".join(m.numbers), len(m.options), m.forward, m.comment)
            for m in app.list_menus(ctx.app, args.tenant)]
    print_table(("ID", "NAME", "SHORT", "NUMBERS", "OPTIONS", "FORWARD", "COMMENT"), rows)
    return 0


def cmd_show(args, ctx) -> int:
    _print_menu(app.get_menu(ctx.app, args.tenant, args.menu))
    return 0


def cmd_remove(args, ctx) -> int:
    menu = app.remove_menu(ctx.app, args.tenant, args.menu).value
    print(f"IVR menu {menu.name!r} removed")
    return 0


def cmd_option_set(args, ctx) -> int:
    menu = app.set_option(ctx.app, args.tenant, args.menu, args.key, args.destination).value
    chosen = next(o for o in menu.options if o.key == args.key)
    print(f"key {args.key} of {menu.name!r}: {chosen.destination.label}")
    return 0


def cmd_option_remove(args, ctx) -> int:
    menu = app.remove_option(ctx.app, args.tenant, args.menu, args.key).value
    print(f"key {args.key} removed from {menu.name!r}")
    return 0


def cmd_try(args, ctx) -> int:
    menu = app.get_menu(ctx.app, args.tenant, args.menu)
    at = parse_at(args.at)
    keys = args.digits.split(",") if args.digits else []
    if any(k not in "0123456789*#" for k in "".join(keys)):
        raise InvalidInput("--digits", "keys are 0-9, * and #, prompts separated by commas")
    report = simulate.simulate_menu(ctx.config, menu.tenant, menu.id, CallerScript(digits=keys, hangup_at=args.hangup),
                                    at)
    print("\n".join(report.lines()))
    return 0


def _print_menu(menu: app.MenuView) -> None:
    def label(destination) -> str:
        return destination.label if destination else "-"

    print(f"name:          {menu.name} (id {menu.id})")
    print(f"comment:       {menu.comment or '-'}")
    print(f"numbers:       {', '.join(menu.numbers) or '-'}")
    print(f"short number:  {', '.join(menu.short_numbers) or '-'}")
    forward = menu.forward
    if forward == "schedule":
        forward += f" {menu.schedule!r}; closed -> {label(menu.closed)}"
    elif forward == "forward":
        forward += f" -> {label(menu.forward_to)}"
    print(f"forward:       {forward}")
    print(f"welcome:       {menu.welcome or '-'}")
    print(f"prompt:        {menu.prompt or '-'} (timeout: {menu.timeout_prompt or '-'}, "
          f"invalid: {menu.invalid_prompt or '-'})")
    print(f"timeout:       {menu.timeout} s, {menu.loops} loops, then {label(menu.exit)}")
    print(f"direct dial:   {'yes' if menu.direct_dial else 'no'}")
    for choice in menu.options:
        print(f"  key {choice.key}:       {choice.destination.label}")
