"""`centralita schedule add|list|show|set|remove|check` and `schedule closure|opening add|list|remove`."""
from __future__ import annotations

import datetime as dt

from fs_plugins.errors import InvalidInput
from fs_plugins.models.schedule import CLOSURE, HOLIDAYS_NONE, OPENING
from fs_plugins.schedule import app, rules, spec

HOURS_HELP = ('weekly hours, repeatable: "mon-fri 09:00-14:00,16:00-19:00", "sat 10:00-13:00", '
              '"fri 22:00-02:00" (past midnight), "daily 00:00-24:00"; Spanish day names work too')
WHEN = "%Y-%m-%d %H:%M"


def register(subparsers) -> None:
    parser = subparsers.add_parser("schedule", help="time schedules: weekly hours, holidays, closures",
                                   description="Named time schedules of a tenant, used by IVR menus and call groups.")
    commands = parser.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)

    add = _command(commands, "add", cmd_add, "create a schedule")
    _schedule_options(add, creating=True)
    _command(commands, "list", cmd_list, "list the tenant's schedules", named=False)
    show = _command(commands, "show", cmd_show, "a schedule's settings and the coming holidays of the year")
    show.add_argument("--from", dest="from_date", metavar="YYYY-MM-DD",
                      help="list holidays from this date to the end of its year (default: today)")
    change = _command(commands, "set", cmd_set, "change a schedule (only the options given)")
    _schedule_options(change, creating=False)
    _command(commands, "remove", cmd_remove, "delete a schedule (refused while a menu or group uses it)")
    check = _command(commands, "check", cmd_check, "is the schedule open at a time, and why")
    check.add_argument("--at", metavar="'YYYY-MM-DD HH:MM'",
                       help="local time in the schedule's zone, or ISO with an offset (default: now)")
    for kind in (CLOSURE, OPENING):
        _override_commands(commands, kind)


def _command(commands, name, handler, text, named=True):
    parser = commands.add_parser(name, help=text, description=text)
    if named:
        parser.add_argument("schedule", metavar="name", help="the schedule's name")
    parser.add_argument("--tenant", required=True, metavar="DOMAIN", help="the tenant's SIP domain")
    parser.set_defaults(handler=handler)
    return parser


def _schedule_options(parser, creating: bool) -> None:
    if not creating:
        parser.add_argument("--name", help="rename the schedule")
    parser.add_argument("--hours", action="append", metavar="'DAYS HH:MM-HH:MM,…'",
                        help=HOURS_HELP + ("" if creating else "; replaces all weekly hours"))
    if not creating:
        parser.add_argument("--no-hours", action="store_true",
                            help="remove every weekly range (closed except openings)")
    parser.add_argument("--timezone", metavar="ZONE",
                        help="IANA zone for this schedule only (default: the tenant's)"
                        + ("" if creating else "; 'tenant' follows the tenant's again"))
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--holidays", metavar="COUNTRY",
                       help="public holidays of this country (ISO code, e.g. ES), or 'tenant' for the tenant's "
                            "country and region (the default)")
    group.add_argument("--no-holidays", action="store_true", help="ignore public holidays")
    parser.add_argument("--region", metavar="CODE",
                        help="subdivision whose holidays also apply (e.g. MD for Madrid, CT for Catalonia)")
    parser.add_argument("--description", help="free text")


def _override_commands(commands, kind: str) -> None:
    parser = commands.add_parser(kind, help=f"one-off {kind}s of a schedule",
                                 description=f"One-off {kind}s (local times in the schedule's zone).")
    actions = parser.add_subparsers(dest="override_command", metavar="ACTION", required=True)
    add = _command(actions, "add", cmd_override_add, f"add a {kind}")
    add.add_argument("--date", metavar="YYYY-MM-DD", help="the day (alone: the whole day)")
    add.add_argument("--from", dest="start", metavar="WHEN", help="HH:MM with --date, else 'YYYY-MM-DD HH:MM'")
    add.add_argument("--to", dest="ends_at", metavar="WHEN", help="HH:MM with --date, else 'YYYY-MM-DD HH:MM' (exclusive)")
    add.add_argument("--label", help="why (shown by check and to whoever routes the call)")
    _command(actions, "list", cmd_override_list, f"list a schedule's {kind}s")
    remove = _command(actions, "remove", cmd_override_remove, f"delete a {kind} by its id (see list)")
    remove.add_argument("period_id", metavar="id", type=int, help=f"the {kind}'s id")
    for p in (add, remove, actions.choices["list"]):
        p.set_defaults(kind=kind)


# ---- handlers --------------------------------------------------------------------------------

def _holidays_choice(args) -> str | None:
    return HOLIDAYS_NONE if args.no_holidays else args.holidays


def cmd_add(args, ctx) -> int:
    view = app.add_schedule(ctx.app, args.tenant, args.schedule, hours=args.hours or (), timezone=args.timezone,
                            holidays=_holidays_choice(args), region=args.region, description=args.description).value
    print(f"schedule {view.name!r} created")
    _print_schedule(view, None)
    return 0


def cmd_set(args, ctx) -> int:
    if args.no_hours and args.hours:
        raise InvalidInput("--no-hours", "give either --hours or --no-hours")
    hours = [] if args.no_hours else args.hours
    view = app.change_schedule(ctx.app, args.tenant, args.schedule, name=args.name, hours=hours,
                               timezone=args.timezone, holidays=_holidays_choice(args), region=args.region,
                               description=args.description).value
    print(f"schedule {view.name!r} changed")
    _print_schedule(view, None)
    return 0


def cmd_list(args, ctx) -> int:
    views = app.list_schedules(ctx.app, args.tenant)
    if not views:
        print(f"no schedules in {args.tenant.strip().lower()}")
    for view in views:
        hours = "; ".join(view.hours) or "no weekly hours"
        print(f"{view.name}  [{view.timezone}, holidays {view.holidays or 'none'}]  {hours}")
    return 0


def cmd_show(args, ctx) -> int:
    first = spec.parse_date(args.from_date, "--from") if args.from_date else None
    _print_schedule(app.get_schedule(ctx.app, args.tenant, args.schedule), first)
    return 0


def cmd_remove(args, ctx) -> int:
    view = app.remove_schedule(ctx.app, args.tenant, args.schedule).value
    print(f"schedule {view.name!r} removed")
    return 0


def cmd_check(args, ctx) -> int:
    view, state = app.state_at(ctx.app, args.tenant, args.schedule, _instant(args.at) if args.at else None)
    print(f"{view.name} at {state.local_time:{WHEN} %Z} ({view.timezone}): {state}")
    return 0


def _instant(text: str) -> dt.datetime:
    """An ISO time with an offset, or a local time of the schedule (naive)."""
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("--at", f"bad date-time {text!r}; use 'YYYY-MM-DD HH:MM'") from None


def cmd_override_add(args, ctx) -> int:
    start, end = spec.parse_period(args.date, args.start, args.ends_at)
    added = app.add_period(ctx.app, args.tenant, args.schedule, args.kind, start, end, args.label).value
    print(f"{args.kind} #{added.id} added to {args.schedule!r}: {_period(added)}")
    return 0


def cmd_override_list(args, ctx) -> int:
    found = app.list_periods(ctx.app, args.tenant, args.schedule, args.kind)
    if not found:
        print(f"no {args.kind}s in {args.schedule!r}")
    for period in found:
        print(f"#{period.id}  {_period(period)}")
    return 0


def cmd_override_remove(args, ctx) -> int:
    app.remove_period(ctx.app, args.tenant, args.schedule, args.kind, args.period_id)
    print(f"{args.kind} #{args.period_id} removed from {args.schedule!r}")
    return 0


# ---- output ----------------------------------------------------------------------------------

def _period(period: app.PeriodView) -> str:
    start, end = (dt.datetime.fromisoformat(t) for t in (period.starts_at, period.ends_at))
    return f"{start:{WHEN}} → {end:{WHEN}}" + (f"  {period.label}" if period.label else "")


def _print_schedule(view: app.ScheduleView, first: dt.date | None) -> None:
    sched = view.rules
    follows = " (tenant's)"
    print(f"name:        {view.name}")
    if view.description:
        print(f"description: {view.description}")
    print(f"time zone:   {view.timezone}{follows if view.follows_tenant_timezone else ''}")
    print(f"holidays:    {view.holidays or 'none'}{follows if view.follows_tenant_holidays else ''}")
    hours = view.hours or ["none (closed except openings)"]
    print("hours:       " + "\n             ".join(hours))
    for title, periods in (("closures", view.closures), ("openings", view.openings)):
        print(f"{title}:" + ("" if periods else " none"))
        for p in periods:
            print(f"  #{p.id}  {_period(p)}")
    if sched.holidays is None:
        return
    first = first or dt.datetime.now(sched.zone).date()  # the clock is read here, at the edge
    last = dt.date(first.year, 12, 31)
    found = sched.holidays.between(first, last)
    print(f"holidays from {first} to {last}:" + ("" if found else " none"))
    for day, name in found:
        print(f"  {day} {rules.WEEKDAYS[day.weekday()]}  {name}")
