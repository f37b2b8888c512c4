"""`centralita billing report`: per tenant, the IVR menus that existed in a month."""
from __future__ import annotations

from fs_plugins.billing import app
from fs_plugins.commands.common import print_table


def register(subparsers) -> None:
    parser = subparsers.add_parser("billing", help="billing reports", description="What each tenant is billed for.")
    reports = parser.add_subparsers(dest="billing_command", metavar="ACTION", required=True)
    report = reports.add_parser("report", help="IVR menus that existed in a month, per tenant",
                                description="Per tenant, the IVR menus that existed during the month, "
                                            "with their creation and deletion dates (UTC).")
    report.add_argument("--month", required=True, metavar="YYYY-MM", help="the month to report")
    report.add_argument("--tenant", metavar="DOMAIN", help="only this tenant (default: all)")
    report.set_defaults(handler=cmd_billing)


def cmd_billing(args, ctx) -> int:
    lines = [(m.tenant, m.menu, m.created, m.deleted) for m in app.billing_report(ctx.app, args.month, args.tenant)]
    scope = f"tenant {args.tenant}" if args.tenant else "all tenants"
    recorded = app.recordings_report(ctx.app, args.month, args.tenant)
    if recorded:
        print(f"Call recordings kept of the calls of {args.month.strip()}, {scope}:")
        print_table(("TENANT", "RECORDINGS", "BYTES"), [(r.tenant, r.recordings, r.size) for r in recorded])
    if not lines:
        print(f"no IVR menu existed in {args.month.strip()} ({scope}): nothing to bill")
        return 0
    print(f"IVR menus billed for {args.month.strip()}, {scope}: every menu that existed at some moment of the "
          f"month, with when it was created and deleted (UTC); one line is one menu to bill")
    print_table(("TENANT", "MENU", "CREATED", "DELETED"), lines)
    return 0
