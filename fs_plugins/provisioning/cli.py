"""`centralita device add|list|set|remove`: desk phones provisioned by MAC address (docs/provisioning.md)."""
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
    add.add_argument("--general-voicemail", choices=("on", "off"), default="off",
                     help="a key showing the general voicemail box's lamp (Cisco only)")
    tenant_command(actions, "list", cmd_list, "the tenant's phones")
    change = tenant_command(actions, "set", cmd_set, "change a phone's keys, vendor or user (another user: a new "
                            "secret, printed once; the previous user gets a new SIP password)")
    change.add_argument("mac")
    change.add_argument("--user", metavar="EXT", help="give the phone to this user")
    change.add_argument("--vendor", choices=VENDORS)
    change.add_argument("--blf", metavar="EXT,EXT", help="the busy-lamp keys, in order ('' for none)")
    change.add_argument("--general-voicemail", choices=("on", "off"),
                        help="a key showing the general voicemail box's lamp (Cisco only)")
    remove = tenant_command(actions, "remove", cmd_remove, "forget a phone (its user gets a new SIP password)")
    remove.add_argument("mac")


def cmd_add(args, ctx) -> int:
    done = app.add_device(ctx.app, args.tenant, args.mac, args.vendor, args.user, _extensions(args.blf),
                          args.general_voicemail == "on").value
    view = done.device
    print(f"phone {view.mac} ({view.vendor}) for user {view.user}")
    print(f"server path: https://<this server>/provision/{view.vendor}/  (it asks for {view.file})")
    print(f"provisioning user: {view.mac}")
    print(f"provisioning password (shown once): {done.secret}")
    return 0


def cmd_list(args, ctx) -> int:
    print_table(("MAC", "VENDOR", "USER", "BLF", "GENERAL VM", "FILE"),
                [(v.mac, v.vendor, v.user, ",".join(v.blf), "on" if v.general_mwi else "off", v.file)
                 for v in app.list_devices(ctx.app, args.tenant)])
    return 0


def cmd_set(args, ctx) -> int:
    general = None if args.general_voicemail is None else args.general_voicemail == "on"
    done = app.change_device(ctx.app, args.tenant, args.mac, None if args.blf is None else _extensions(args.blf), general,
                          user=args.user, vendor=args.vendor).value
    view = done.device
    print(f"phone {view.mac} ({view.vendor}) for user {view.user}: busy lamps {','.join(view.blf) or '(none)'}; "
          f"general voicemail lamp {'on' if view.general_mwi else 'off'} (the phone gets them at its next fetch, "
          f"{view.file})")
    if done.secret:
        print("the previous user has a new SIP password nobody was shown")
        print(f"provisioning password (shown once; give it to the phone): {done.secret}")
    return 0


def _extensions(text: str) -> tuple[str, ...]:
    return tuple(item for item in text.split(",") if item.strip())


def cmd_remove(args, ctx) -> int:
    view = app.remove_device(ctx.app, args.tenant, args.mac).value
    print(f"phone {view.mac} removed; user {view.user} has a new SIP password nobody was shown")
    return 0
