"""centralita calls list|export|unassigned, centralita cdr sweep|reclassify"""
from __future__ import annotations

import sys

from fs_plugins.calllog import app as calllog
from fs_plugins.calllog import log as logmod
from fs_plugins.calllog.classify import KINDS
from fs_plugins.calllog.store import reclassify
from fs_plugins.errors import InvalidInput
from fs_plugins.calllog.sweep import MIN_AGE_SECONDS, sweep
from fs_plugins.calllog.unassigned import unassigned_calls
from fs_plugins.progress import track

LIST_HEADERS = ("started", "user", "type", "status", "caller", "callee", "answered_by", "ring", "talk", "note")


def register(subparsers) -> None:
    calls = subparsers.add_parser("calls", help="the call log: list or export a user's or a tenant's calls")
    sub = calls.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="one page of the call log, newest first")
    _query_options(listing)
    listing.add_argument("--page", type=int, default=1, help="page number, 1 = newest (default 1)")
    listing.set_defaults(handler=_list)
    dump = sub.add_parser("export", help="the whole call log matching the filters as CSV")
    _query_options(dump)
    dump.add_argument("--output", "-o", metavar="FILE",
                      help="write to FILE instead of standard output ('-': standard output, as the other exports)")
    dump.set_defaults(handler=_export)
    orphans = sub.add_parser("unassigned", help="calls stored but in no one's log (no tenant matched them), newest first")
    orphans.add_argument("--limit", type=int, default=100, help="how many calls at most (default 100)")
    orphans.set_defaults(handler=_unassigned)

    cdr = subparsers.add_parser("cdr", help="CDR ingest maintenance")
    cdr_sub = cdr.add_subparsers(dest="action", metavar="ACTION", required=True)
    swept = cdr_sub.add_parser(
        "sweep", help="import the *.cdr.json files mod_json_cdr left in its err-log-dir (moved to DIR/imported)")
    swept.add_argument("directory", metavar="DIR", help="mod_json_cdr's err-log-dir")
    swept.add_argument("--min-age", type=float, default=MIN_AGE_SECONDS, metavar="SECONDS",
                       help=f"leave files younger than this for the next sweep (default {MIN_AGE_SECONDS:g})")
    swept.set_defaults(handler=_sweep)
    again = cdr_sub.add_parser(
        "reclassify", help="rebuild the call log from the stored legs (after creating a tenant or a rule change)")
    again.add_argument("--tenant", metavar="DOMAIN", help="only calls with a leg of this tenant")
    again.set_defaults(handler=_reclassify)


def _query_options(parser) -> None:
    parser.add_argument("--tenant", required=True, metavar="DOMAIN", help="the tenant's SIP domain")
    parser.add_argument("--user", metavar="EXT", help="one user's log (default: all the tenant's users)")
    parser.add_argument("--type", choices=KINDS, help="made, received (answered) or missed calls")
    period = parser.add_mutually_exclusive_group()
    period.add_argument("--day", metavar="DATE", help="calls of that day (YYYY-MM-DD, tenant's time zone)")
    period.add_argument("--week", metavar="DATE", help="calls of the week (Monday-Sunday) containing DATE")
    period.add_argument("--month", metavar="DATE", help="calls of the month: YYYY-MM or a date in it")


def query_from(args) -> logmod.LogQuery:
    period, day = None, None
    for name in logmod.PERIODS:
        value = getattr(args, name)
        if value is not None:
            period, day = name, logmod.period_date(name, value, f"--{name}")
    return logmod.LogQuery(
        tenant=args.tenant, user=args.user, kind=args.type, period=period, day=day,
        page=getattr(args, "page", 1),
    )


def _list(args, ctx) -> int:
    query = query_from(args)
    result = calllog.call_page(ctx.app, query)
    rows = [
        (e.started.strftime("%Y-%m-%d %H:%M:%S"), e.user, e.kind, e.status.label,
         " ".join(p for p in (e.caller_name, e.caller_number) if p), e.callee, e.answered_by,
         _duration(e.ring_seconds), _duration(e.talk_seconds), e.note)
        for e in result.entries
    ]
    _print_table(LIST_HEADERS, rows)
    more = f"; more: --page {query.page + 1}" if result.has_more else ""
    print(f"page {query.page}, {len(rows)} calls{more}")
    return 0


def _export(args, ctx) -> int:
    chunks = calllog.calls_csv(ctx.app, query_from(args))
    if args.output and args.output != "-":
        lines = 0
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            for chunk in track(chunks, f"exporting to {args.output}"):  # a bar on a terminal only
                out.write(chunk)
                lines += chunk.count("\r\n")  # one CSV record a line: values carry no line breaks
        print(f"{max(lines - 1, 0)} calls written to {args.output}")
    else:
        sys.stdout.writelines(chunks)
    return 0


def _sweep(args, ctx) -> int:
    print(sweep(ctx.db, args.directory, min_age=args.min_age,
                progress=lambda paths: track(paths, f"sweeping {args.directory}", total=len(paths))))
    return 0


def _unassigned(args, ctx) -> int:
    if args.limit < 1:
        raise InvalidInput("limit", "must be at least 1")
    calls = unassigned_calls(ctx.db, args.limit)
    rows = [(str(c.received_at)[:19], c.call_id, c.tenant or "-", c.caller, c.dialled, c.legs, c.reason)
            for c in calls]
    _print_table(("received", "call", "tenant", "caller", "dialled", "legs", "why"), rows)
    print(f"{len(rows)} unassigned calls")
    return 0


def _reclassify(args, ctx) -> int:
    print(f"reclassified {reclassify(ctx.db, args.tenant)} calls")
    return 0


def _duration(seconds: int) -> str:
    minutes, secs = divmod(seconds, 60)
    return f"{minutes}:{secs:02d}"


def _print_table(headers, rows) -> None:
    widths = [max([len(h)] + [len(str(r[i])) for r in rows]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip())
    for row in rows:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
