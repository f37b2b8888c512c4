"""`centralita device add|list|remove`: desk phones provisioned by MAC address (docs/provisioning.md)."""
from __future__ import annotations

from fs_plugins.commands.common import print_table, tenant_command
from fs_plugins.provisioning import app
from fs_plugins.provisioning.kinds import VENDORS


def register(subparsers) -> None:
    parser = subparsers.add_parser("device", help="desk phones provisioned by MAC address",
                                   description="Phones that fetch their configuration from Centralita.")
    actions = parser.add_subparsers(dest="device_command", metavar="ACTION", required=True)
    add = tenant_command(actions, "add", cmd_add, "give a phone (by MAC) to a user; prints its secret once")
    add.add_argument("mac", help="80:5e:c0:12:34:56 or 805ec0123456")
    add.add_argument("--vendor", required=True, choices=VENDORS)
    add.add_argument("--user", required=True, metavar="EXT")
    add.add_argument("--blf", default="", metavar="EXT,EXT", help="colleagues whose busy lamps the phone shows")
    tenant_command(actions, "list", cmd_list, "the tenant's phones")
    remove = tenant_command(actions, "remove", cmd_remove, "forget a phone (its user gets a new SIP password)")
    remove.add_argument("mac")


def cmd_add(args, ctx) -> int:
    blf = tuple(item for item in args.blf.split(",") if item.strip())
    done = app.add_device(ctx.app, args.tenant, args.mac, args.vendor, args.user, blf).value
    view = done.device
    print(f"phone {view.mac} ({view.vendor}) for user {view.user}")
    print(f"server path: https://<this server>/provision/{view.vendor}/  (it asks for {view.file})")
    print(f"provisioning user: {view.mac}")
    print(f"provisioning password (shown once): {done.secret}")
    return 0


def cmd_list(args, ctx) -> int:
    print_table(("MAC", "VENDOR", "USER", "BLF", "FILE"),
                [(v.mac, v.vendor, v.user, ",".join(v.blf), v.file) for v in app.list_devices(ctx.app, args.tenant)])
    return 0


def cmd_remove(args, ctx) -> int:
    view = app.remove_device(ctx.app, args.tenant, args.mac).value
    print(f"phone {view.mac} removed; user {view.user} has a new SIP password nobody was shown")
    return 0
