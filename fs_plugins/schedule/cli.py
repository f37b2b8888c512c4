"""`centralita schedule add|list|show|set|remove|check` and `schedule closure|opening add|list|remove`."""
from __future__ import annotations

import datetime as dt

from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.models.core import Tenant
from fs_plugins.models.schedule import CLOSURE, HOLIDAYS_NONE, HOLIDAYS_TENANT, OPENING
from fs_plugins.schedule import loader, rules, service, spec

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
        parser.add_argument("name", help="the schedule's name")
    parser.add_argument("--tenant", required=True, metavar="DOMAIN", help="the tenant's SIP domain")
    parser.set_defaults(handler=handler)
    return parser


def _schedule_options(parser, creating: bool) -> None:
    if not creating:
        parser.add_argument("--name", dest="new_name", help="rename the schedule")
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
    add.add_argument("--to", dest="end", metavar="WHEN", help="HH:MM with --date, else 'YYYY-MM-DD HH:MM' (exclusive)")
    add.add_argument("--label", help="why (shown by check and to whoever routes the call)")
    _command(actions, "list", cmd_override_list, f"list a schedule's {kind}s")
    remove = _command(actions, "remove", cmd_override_remove, f"delete a {kind} by its id (see list)")
    remove.add_argument("id", type=int, help=f"the {kind}'s id")
    for p in (add, remove, actions.choices["list"]):
        p.set_defaults(kind=kind)


# ---- handlers --------------------------------------------------------------------------------

def _tenant(args, ctx) -> Tenant:
    ctx.db  # connect before querying
    found = Tenant.get_or_none(Tenant.domain == (args.tenant or "").strip().lower())
    if found is None:
        raise NotFound("--tenant", f"no tenant with domain {args.tenant!r}")
    return found


def _holidays_choice(args) -> str | None:
    return HOLIDAYS_NONE if args.no_holidays else args.holidays


def cmd_add(args, ctx) -> int:
    tenant = _tenant(args, ctx)
    row = service.create_schedule(tenant, args.name, hours=args.hours or (), timezone=args.timezone,
                                  holidays=_holidays_choice(args), region=args.region,
                                  description=args.description)
    print(f"schedule {row.name!r} created")
    _print_schedule(row, tenant, None)
    return 0


def cmd_set(args, ctx) -> int:
    tenant = _tenant(args, ctx)
    row = service.get_schedule(tenant, args.name)
    if args.no_hours and args.hours:
        raise InvalidInput("--no-hours", "give either --hours or --no-hours")
    hours = [] if args.no_hours else args.hours
    row = service.change_schedule(row, name=args.new_name, hours=hours, timezone=args.timezone,
                                  holidays=_holidays_choice(args), region=args.region,
                                  description=args.description)
    print(f"schedule {row.name!r} changed")
    _print_schedule(row, tenant, None)
    return 0


def cmd_list(args, ctx) -> int:
    tenant = _tenant(args, ctx)
    rows = service.list_schedules(tenant)
    if not rows:
        print(f"no schedules in {tenant.domain}")
    for row in rows:
        sched = loader.load_schedule(tenant.id, row.id)
        hours = "; ".join(spec.format_hours(sched.weekly)) or "no weekly hours"
        print(f"{row.name}  [{sched.timezone}, holidays {sched.holidays or 'none'}]  {hours}")
    return 0


def cmd_show(args, ctx) -> int:
    tenant = _tenant(args, ctx)
    row = service.get_schedule(tenant, args.name)
    first = spec.parse_date(args.from_date, "--from") if args.from_date else None
    _print_schedule(row, tenant, first)
    return 0


def cmd_remove(args, ctx) -> int:
    tenant = _tenant(args, ctx)
    row = service.get_schedule(tenant, args.name)
    service.remove_schedule(row)
    print(f"schedule {row.name!r} removed")
    return 0


def cmd_check(args, ctx) -> int:
    tenant = _tenant(args, ctx)
    sched = loader.load_schedule(tenant.id, service.get_schedule(tenant, args.name).id)
    instant = _instant(args.at, sched) if args.at else dt.datetime.now(dt.timezone.utc)
    state = rules.state_at(sched, instant)
    print(f"{sched.name} at {state.local_time:{WHEN} %Z} ({sched.timezone}): {state}")
    return 0


def _instant(text: str, sched: rules.Schedule) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput("--at", f"bad date-time {text!r}; use 'YYYY-MM-DD HH:MM'") from None
    # A local time in a fall-back night's repeated hour means its first occurrence (fold=0).
    return value if value.tzinfo else value.replace(tzinfo=sched.zone)


def cmd_override_add(args, ctx) -> int:
    tenant = _tenant(args, ctx)
    row = service.get_schedule(tenant, args.name)
    start, end = spec.parse_period(args.date, args.start, args.end)
    added = service.add_override(row, args.kind, start, end, args.label)
    print(f"{args.kind} #{added.id} added to {row.name!r}: {_period(start, end, added.label)}")
    return 0


def cmd_override_list(args, ctx) -> int:
    tenant = _tenant(args, ctx)
    row = service.get_schedule(tenant, args.name)
    found = service.list_overrides(row, args.kind)
    if not found:
        print(f"no {args.kind}s in {row.name!r}")
    for o in found:
        print(f"#{o.id}  {_period(o.starts_at, o.ends_at, o.label)}")
    return 0


def cmd_override_remove(args, ctx) -> int:
    tenant = _tenant(args, ctx)
    row = service.get_schedule(tenant, args.name)
    service.remove_override(row, args.kind, args.id)
    print(f"{args.kind} #{args.id} removed from {row.name!r}")
    return 0


# ---- output ----------------------------------------------------------------------------------

def _period(start: dt.datetime, end: dt.datetime, label: str) -> str:
    return f"{start:{WHEN}} → {end:{WHEN}}" + (f"  {label}" if label else "")


def _print_schedule(row, tenant: Tenant, first: dt.date | None) -> None:
    sched = loader.load_schedule(tenant.id, row.id)
    follows = " (tenant's)"
    print(f"name:        {sched.name}")
    if row.description:
        print(f"description: {row.description}")
    print(f"time zone:   {sched.timezone}{follows if not row.timezone else ''}")
    print(f"holidays:    {sched.holidays or 'none'}{follows if row.holiday_mode == HOLIDAYS_TENANT else ''}")
    hours = spec.format_hours(sched.weekly) or ["none (closed except openings)"]
    print("hours:       " + "\n             ".join(hours))
    for title, periods in (("closures", sched.closures), ("openings", sched.openings)):
        print(f"{title}:" + ("" if periods else " none"))
        for p in periods:
            print(f"  #{p.id}  {_period(p.start, p.end, p.label)}")
    if sched.holidays is None:
        return
    first = first or dt.datetime.now(sched.zone).date()  # the clock is read here, at the edge
    last = dt.date(first.year, 12, 31)
    found = sched.holidays.between(first, last)
    print(f"holidays from {first} to {last}:" + ("" if found else " none"))
    for day, name in found:
        print(f"  {day} {rules.WEEKDAYS[day.weekday()]}  {name}")
