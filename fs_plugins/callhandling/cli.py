"""`centralita forward|dnd|simring|restrict …`: a user's call handling and outbound restrictions.

Targets are written like everywhere else (fs_plugins.references): user:1002, number:600123456,
ivr:Reception, group:Sales, voicemail:1002.
"""
from __future__ import annotations

from fs_plugins.callhandling import app, numbers
from fs_plugins.commands.common import print_table, tenant_command
from fs_plugins.models.callhandling import DND_MODES, MAX_NO_ANSWER_SECONDS, MIN_NO_ANSWER_SECONDS

TARGET_HELP = "where to: user:EXT, number:NUMBER, ivr:NAME, group:NAME or voicemail:EXT"


def register(subparsers) -> None:
    _forward(subparsers)
    _dnd(subparsers)
    _simring(subparsers)
    _restrict(subparsers)


def _command(actions, name, handler, text, user_required=True):
    parser = tenant_command(actions, name, handler, text)
    parser.add_argument("--user", required=user_required, metavar="EXT", help="the user's extension")
    return parser


def _forward(subparsers) -> None:
    parser = subparsers.add_parser("forward", help="a user's call forwards",
                                   description="Where a user's calls go instead of (or after) ringing them.")
    actions = parser.add_subparsers(dest="forward_command", metavar="ACTION", required=True)
    change = _command(actions, "set", cmd_forward_set, "set a forward (and the ring time before no-answer)")
    change.add_argument("--when", required=True, choices=list(app.FORWARDS),
                        help="always; on no-answer; when busy; when not-registered (phone offline)")
    change.add_argument("--to", help=TARGET_HELP)
    change.add_argument("--seconds", type=int, help=f"ring time before the no-answer forward, "
                                                    f"{MIN_NO_ANSWER_SECONDS}-{MAX_NO_ANSWER_SECONDS} (default 20)")
    clear = _command(actions, "clear", cmd_forward_clear, "remove a forward")
    clear.add_argument("--when", required=True, choices=list(app.FORWARDS) + ["all"], help="which forward")
    _command(actions, "show", cmd_show, "a user's forwards, do-not-disturb and simultaneous ring")


def _dnd(subparsers) -> None:
    parser = subparsers.add_parser("dnd", help="a user's do-not-disturb",
                                   description="Do not disturb: the user's phones do not ring.")
    actions = parser.add_subparsers(dest="dnd_command", metavar="ACTION", required=True)
    on = _command(actions, "on", cmd_dnd_on, "turn do-not-disturb on")
    on.add_argument("--mode", help=f"what callers get: {', '.join(DND_MODES)} (busy tone; the forward-on-busy "
                                   "target; the user's voicemail). Default: keep the current mode (busy)")
    _command(actions, "off", cmd_dnd_off, "turn do-not-disturb off")


def _simring(subparsers) -> None:
    parser = subparsers.add_parser("simring", help="phones that ring together with a user",
                                   description="Other users or external numbers ringing with the user's phones.")
    actions = parser.add_subparsers(dest="simring_command", metavar="ACTION", required=True)
    add = _command(actions, "add", cmd_simring_add, "ring another user or an external number too")
    add.add_argument("--to", required=True, help="user:EXT or number:NUMBER")
    add.add_argument("--delay", type=int, default=0,
                     help=f"seconds before it starts ringing (0-{app.MAX_RING_DELAY})")
    add.add_argument("--confirm", action="store_true",
                     help="the answerer must press 1 to take the call (so a mobile's voicemail cannot)")
    remove = _command(actions, "remove", cmd_simring_remove, "stop ringing a user or number with this user")
    remove.add_argument("--to", required=True, help="the entry, as added")
    _command(actions, "list", cmd_simring_list, "list the entries")


def _restrict(subparsers) -> None:
    parser = subparsers.add_parser("restrict", help="which external numbers a tenant or user may call",
                                   description="Outbound restrictions. Categories: " + ", ".join(numbers.CATEGORIES)
                                               + "; toll-free numbers are always allowed. A user may call what both "
                                               "the tenant and the user allow. Tenant default: national,mobile,special.")
    actions = parser.add_subparsers(dest="restrict_command", metavar="ACTION", required=True)
    change = _command(actions, "set", cmd_restrict_set, "set what may be called (tenant-wide without --user)",
                      user_required=False)
    change.add_argument("--allow", required=True, metavar="LIST",
                        help="comma-separated categories, or 'all' or 'none'")
    _command(actions, "clear", cmd_restrict_clear, "back to the defaults (tenant) or the tenant's (user)",
             user_required=False)
    _command(actions, "show", cmd_restrict_show, "what is allowed, and why", user_required=False)


def _who(args, ctx) -> tuple:
    return ctx.app, args.tenant, args.user


def cmd_forward_set(args, ctx) -> int:
    return _print_settings(app.set_forward(*_who(args, ctx), args.when, args.to, args.seconds).value)


def cmd_forward_clear(args, ctx) -> int:
    return _print_settings(app.clear_forward(*_who(args, ctx), args.when).value)


def cmd_show(args, ctx) -> int:
    return _print_settings(app.show(*_who(args, ctx)))


def cmd_dnd_on(args, ctx) -> int:
    return _print_settings(app.set_dnd(*_who(args, ctx), True, args.mode).value)


def cmd_dnd_off(args, ctx) -> int:
    return _print_settings(app.set_dnd(*_who(args, ctx), False).value)


def cmd_simring_add(args, ctx) -> int:
    return _print_rings(app.add_ring(*_who(args, ctx), args.to, args.delay, args.confirm).value)


def cmd_simring_remove(args, ctx) -> int:
    return _print_rings(app.remove_ring(*_who(args, ctx), args.to).value)


def cmd_simring_list(args, ctx) -> int:
    return _print_rings(app.show(*_who(args, ctx)))


def cmd_restrict_set(args, ctx) -> int:
    return _print_restriction(args, app.set_restriction(*_who(args, ctx), args.allow).value)


def cmd_restrict_clear(args, ctx) -> int:
    return _print_restriction(args, app.clear_restriction(*_who(args, ctx)).value)


def cmd_restrict_show(args, ctx) -> int:
    return _print_restriction(args, app.restriction(*_who(args, ctx)))


def _print_restriction(args, view: app.RestrictionView) -> int:
    default = "default (" + numbers.format_allowed(numbers.DEFAULT_ALLOWED) + ")"
    print(f"tenant {args.tenant}: {default if view.tenant is None else numbers.format_allowed(view.tenant)}")
    if args.user is not None:
        print(f"user {args.user}: {'as the tenant' if view.user is None else numbers.format_allowed(view.user)}")
        print(f"effective: {numbers.format_allowed(view.effective)} (toll-free always)")
    return 0


def _print_rings(view: app.CallHandlingView) -> int:
    print_table(("TARGET", "DELAY", "CONFIRM"), [(r.target.label, f"{r.delay}s", "press 1" if r.confirm else "-")
                                                 for r in view.rings])
    return 0


def _print_settings(view: app.CallHandlingView) -> int:
    label = lambda target: target.label if target else "-"  # noqa: E731
    print(f"user {view.extension}@{view.tenant}")
    print(f"  forward always:         {label(view.forward_always)}")
    print(f"  forward no answer:      {label(view.forward_no_answer)} after {view.no_answer_seconds}s")
    print(f"  forward busy:           {label(view.forward_busy)}")
    print(f"  forward not registered: {label(view.forward_not_registered)}")
    print(f"  do not disturb:         {'on' if view.dnd else 'off'} ({view.dnd_mode})")
    for ring in view.rings:
        confirm = ", press 1" if ring.confirm else ""
        print(f"  rings with:             {ring.target.label} after {ring.delay}s{confirm}")
    return 0
