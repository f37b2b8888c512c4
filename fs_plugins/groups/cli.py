"""`centralita group …`: call groups, members, statistics, trying a call.

Destinations are written like everywhere else (fs_plugins.references): user:1002,
number:600123456, ivr:Reception, group:Sales, voicemail:1002, voicemail: (general box), hangup.
"""
from __future__ import annotations

import datetime as dt
import sys

from fs_plugins import dialstrings
from fs_plugins.commands.common import parse_at, print_table, tenant_command
from fs_plugins.errors import InvalidInput
from fs_plugins.groups import app, simulate, stats
from fs_plugins.groups.kinds import ALWAYS_OPEN, BY_SCHEDULE, CONSECUTIVE, GROUP_TYPES, RING_MODES
from fs_plugins.sim.script import CallerScript, parse_leg

DEST_HELP = ("user:EXT, number:NUMBER, ivr:NAME, group:NAME, voicemail:EXT, voicemail: (general box), "
             "message:AUDIO (play it and hang up), hangup")
# (option, column, help, type)
SETTINGS = (
    ("--type", "kind", f"{' or '.join(GROUP_TYPES)} (an advanced group cannot go back to simple)", str),
    ("--comment", "comment", "free text", str),
    ("--melody", "melody", "what callers hear while waiting: ringback, music or audio:NAME (the tenant's "
                           "audio library, uploaded with `centralita audio upload`)", str),
    ("--ring-mode", "ring_mode", f"{' or '.join(RING_MODES)}", str),
    ("--member-seconds", "member_seconds", "consecutive: seconds each member rings (5-300)", str),
    ("--timeout", "total_seconds", "seconds the whole group rings before no-answer (5-3600)", str),
    ("--no-answer", "no_answer_destination", "where unanswered calls go (empty: hang up): " + DEST_HELP, str),
    ("--opening", "opening", "open (always), schedule (by --schedule), closed (always, to --closed-to)", str),
    ("--schedule", "schedule", "the schedule's name (opening 'schedule')", str),
    ("--closed-to", "closed_destination", "where calls go while closed: " + DEST_HELP, str),
    ("--short-number", "short_number", "internal short number (2-6 digits; empty removes it)", str),
    ("--queue-size", "queue_size", "advanced: callers that may wait at once (1-500)", str),
    ("--max-wait", "max_wait", "advanced: seconds a caller waits before overflowing (10-7200)", str),
    ("--overflow", "overflow_destination", "advanced: where callers go after max wait or when full: "
                                            + DEST_HELP, str),
    ("--announce-every", "announce_every", "advanced: seconds between position announcements (0: on change)", str),
    ("--rounds", "rounds", "advanced, consecutive: passes over the members before overflowing (1-20)", str),
    ("--callback-key", "callback_key", "advanced: key a waiting caller presses to be called back", str),
    ("--service-level", "service_level_seconds", "advanced: answered within S seconds counts as served", str),
)


def register(subparsers) -> None:
    parser = subparsers.add_parser("group", help="call groups: members, ringing, opening hours, queues, stats",
                                   description="Call groups ring several people of a service at once or in turn; "
                                               "advanced groups queue callers.")
    actions = parser.add_subparsers(dest="group_command", metavar="ACTION", required=True)
    add = _command(actions, "add", cmd_add, "create a group")
    add.add_argument("--name", required=True, help="the group's name, unique in the tenant")
    _settings(add)
    _command(actions, "list", cmd_list, "list the tenant's groups")
    _command(actions, "show", cmd_show, "a group's settings and members").add_argument("--group", required=True,
                                                                                     help="name or id")
    change = _command(actions, "set", cmd_set, "change a group's settings")
    change.add_argument("--group", required=True, help="name or id")
    change.add_argument("--name", help="a new name")
    _settings(change)
    _command(actions, "remove", cmd_remove, "delete a group").add_argument("--group", required=True, help="name or id")
    _members(actions)
    _stats(actions)
    _try(actions)


_command = tenant_command


def _settings(parser) -> None:
    for flag, column, text, kind in SETTINGS:
        parser.add_argument(flag, dest=column, help=text, type=kind)


def _members(actions) -> None:
    parser = actions.add_parser("member", help="add or remove a group's members",
                                description="Members are users of the tenant or external numbers.")
    sub = parser.add_subparsers(dest="member_command", metavar="ACTION", required=True)
    for name, handler, text in (("add", cmd_member_add, "add a member (rung in the order added)"),
                                ("remove", cmd_member_remove, "remove a member")):
        member = _command(sub, name, handler, text)
        member.add_argument("--group", required=True, help="name or id")
        who = member.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", metavar="EXT", help="a user's extension")
        who.add_argument("--number", help="an external number (under the tenant's outbound restrictions)")


def _stats(actions) -> None:
    parser = _command(actions, "stats", cmd_stats, "calls offered, answered, abandoned, overflowed; waits, "
                                                    "service level; answered calls and talk time per member")
    parser.add_argument("--group", required=True, help="name or id")
    period = parser.add_mutually_exclusive_group()
    period.add_argument("--day", metavar="DATE", help="that day (YYYY-MM-DD, tenant's time zone; default today)")
    period.add_argument("--week", metavar="DATE", help="the week (Monday-Sunday) containing DATE")
    period.add_argument("--month", metavar="DATE", help="the month containing DATE")
    period.add_argument("--range", nargs=2, metavar=("FROM", "TO"), help="from FROM to TO inclusive (dates)")
    parser.add_argument("--csv", metavar="FILE", help="write the figures as CSV to FILE ('-' for standard output)")


def _try(actions) -> None:
    parser = _command(actions, "try", cmd_try, "run emulated calls through a group and print each step "
                                                "(no FreeSWITCH needed; statistics are not written)")
    parser.add_argument("--group", required=True, help="name or id")
    parser.add_argument("--leg", action="append", default=[], metavar="EXT=OUTCOME[:RING[:TALK]]",
                        help="how a member's phone behaves, e.g. 1002=answer:3:20 or 1001=busy "
                             "(answer, busy, decline, no_answer, not_registered); default: rings out")
    parser.add_argument("--busy", action="append", default=[], metavar="EXT",
                        help="a member already on another call (advanced groups skip them)")
    parser.add_argument("--callers", type=int, default=1, help="callers arriving at once (1-10)")
    parser.add_argument("--hangup", type=float, help="the caller(s) hang up after this many seconds")
    parser.add_argument("--at", help="the moment of the call, ISO with offset (for opening hours)")


def cmd_try(args, ctx) -> int:
    group = app.get_group(ctx.app, args.tenant, args.group)
    if not 1 <= args.callers <= 10:
        raise InvalidInput("--callers", "must be between 1 and 10")
    legs = {}
    for text in args.leg:
        extension, _, spec = text.partition("=")
        if not (extension.isascii() and extension.isdigit()):
            raise InvalidInput("--leg", f"expected EXT=OUTCOME[:RING[:TALK]], got {text!r}")
        legs.update([parse_leg(f"{dialstrings.user(extension, group.tenant)}={spec}")])
    at = parse_at(args.at)
    scripts = [CallerScript(legs=dict(legs), hangup_at=args.hangup) for _ in range(args.callers)]
    reports, records = simulate.simulate_group(ctx.config, group.tenant, group.id, scripts, at, frozenset(args.busy))
    print("\n".join(simulate.describe(reports, records)))
    return 0


def _changes(args) -> dict:
    return {column: getattr(args, column) for _flag, column, _text, _kind in SETTINGS}


def cmd_add(args, ctx) -> int:
    group = app.add_group(ctx.app, args.tenant, args.name, **_changes(args)).value
    print(f"group {group.name!r} created (id {group.id})")
    return 0


def cmd_set(args, ctx) -> int:
    return _show(app.change_group(ctx.app, args.tenant, args.group, name=args.name, **_changes(args)).value)


def cmd_remove(args, ctx) -> int:
    group = app.remove_group(ctx.app, args.tenant, args.group).value
    print(f"group {group.name!r} removed")
    return 0


def cmd_list(args, ctx) -> int:
    rows = [(g.id, g.name, g.kind, g.ring_mode, g.opening, g.short_number or "-", len(g.members))
            for g in app.list_groups(ctx.app, args.tenant)]
    print_table(("ID", "NAME", "TYPE", "RINGING", "OPENING", "SHORT", "MEMBERS"), rows)
    return 0


def cmd_show(args, ctx) -> int:
    return _show(app.get_group(ctx.app, args.tenant, args.group))


def _show(group: app.GroupView) -> int:
    print(f"group {group.name} (id {group.id}, {group.kind})" + (f": {group.comment}" if group.comment else ""))
    print(f"  short number: {group.short_number or '-'}   melody: {group.melody}")
    per_member = f"{group.member_seconds}s per member, " if group.ring_mode == CONSECUTIVE else ""
    print(f"  ringing: {group.ring_mode}, {per_member}{group.total_seconds}s in all")
    print(f"  no answer: {_label(group.no_answer_destination)}")
    print(f"  opening: {_opening(group)}")
    if group.kind == "advanced":
        print(f"  queue: {group.queue_size} callers, max wait {group.max_wait}s, overflow "
              f"{_label(group.overflow_destination)}, position every {group.announce_every}s, "
              f"{group.rounds} round(s), callback key {group.callback_key or '-'}, "
              f"service level {group.service_level_seconds}s")
    for position, member in enumerate(group.members, 1):
        who = f"{member.user} ({member.name})" if member.user else member.number
        print(f"  member {position}: {who}{' (logged out)' if member.paused else ''}")
    return 0


def _label(destination) -> str:
    return destination.label if destination else "-"


def _opening(group: app.GroupView) -> str:
    """Only what applies: an open group has no schedule nor closed destination in use."""
    if group.opening == ALWAYS_OPEN:
        return "open"
    if group.opening == BY_SCHEDULE:
        return f"by schedule {group.schedule or '?'!r}; while closed: {_label(group.closed_destination)}"
    return f"closed; calls go to {_label(group.closed_destination)}"


def cmd_member_add(args, ctx) -> int:
    return _show(app.add_member(ctx.app, args.tenant, args.group, args.user, args.number).value)


def cmd_member_remove(args, ctx) -> int:
    return _show(app.remove_member(ctx.app, args.tenant, args.group, args.user, args.number).value)


def cmd_stats(args, ctx) -> int:
    first, last = period_days(args)
    done = app.group_stats(ctx.app, args.tenant, args.group, first, last)
    group, figures, start, end = done.group, done.figures, done.start, done.end
    if args.csv:
        text = stats.to_csv(group.name, figures)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            with open(args.csv, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)
            print(f"group {group.name}: {figures.offered} calls offered from {start:%Y-%m-%d} to "
                  f"{end:%Y-%m-%d} (UTC), figures written to {args.csv}")
        return 0
    level = "-" if figures.service_level is None else f"{figures.service_level * 100:.0f}%"
    print(f"group {group.name}: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC")
    print(f"  offered {figures.offered}, answered {figures.answered}, abandoned {figures.abandoned} "
          f"(after {figures.abandoned_average_wait:.0f}s on average), overflowed {figures.overflowed}, "
          f"unanswered {figures.unanswered}, while closed {figures.closed}")
    print(f"  wait: average {figures.average_wait:.0f}s, longest {figures.longest_wait:.0f}s; "
          f"service level ({group.service_level_seconds}s): {level}")
    print_table(("MEMBER", "ANSWERED", "TALK"), [(m, f.answered, f"{f.talk_seconds:.0f}s")
                                                 for m, f in sorted(figures.members.items())])
    return 0


def period_days(args) -> tuple[dt.date | None, dt.date | None]:
    """The first and last local day of --day/--week/--month/--range; (None, None): today."""
    if args.range:
        first, last = (_date("--range", v) for v in args.range)
        if last < first:
            raise InvalidInput("--range", "TO is before FROM")
        return first, last
    if args.week:
        first = _date("--week", args.week)
        first -= dt.timedelta(days=first.weekday())
        return first, first + dt.timedelta(days=6)
    if args.month:
        text = args.month if len(args.month) != 7 else args.month + "-01"
        first = _date("--month", text).replace(day=1)
        return first, (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return (_date("--day", args.day),) * 2 if args.day else (None, None)


def _date(option: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(option, f"expected a date YYYY-MM-DD, got {text!r}") from None
