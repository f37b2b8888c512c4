"""`centralita voicemail set|list|remove`: the users' boxes and the tenant's general box."""
from __future__ import annotations

from fs_plugins.commands.common import add_tenant_option, bool_option, print_table, report
from fs_plugins.voicemail import app


def register(subparsers) -> None:
    parser = subparsers.add_parser("voicemail", help="voicemail boxes: per user and the tenant's general box",
                                   description="Boxes are served to FreeSWITCH's mod_voicemail; new messages are "
                                               "e-mailed (audio attached) and light the phone's lamp.")
    actions = parser.add_subparsers(dest="voicemail_command", metavar="ACTION", required=True)
    change = actions.add_parser("set", help="create or change a box", description="create or change a box")
    add_tenant_option(change)
    who = change.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="EXT", help="the user's extension")
    who.add_argument("--general", action="store_true", help="the tenant's general box")
    change.add_argument("--pin", help="4-10 digits (stored only as a hash); empty removes it")
    change.add_argument("--email", help="where new messages are sent (empty: none)")
    change.add_argument("--attach", type=bool_option, help="attach the audio to the e-mail (yes/no)")
    change.add_argument("--keep", type=bool_option, help="keep the message in the box after e-mailing (yes/no)")
    change.add_argument("--enabled", type=bool_option, help="yes/no")
    change.set_defaults(handler=cmd_set)
    listing = actions.add_parser("list", help="the tenant's boxes", description="the tenant's boxes")
    add_tenant_option(listing)
    listing.set_defaults(handler=cmd_list)
    remove = actions.add_parser("remove", help="delete a box", description="delete a box")
    add_tenant_option(remove)
    who = remove.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="EXT", help="the user's extension")
    who.add_argument("--general", action="store_true", help="the tenant's general box")
    remove.set_defaults(handler=cmd_remove)


def cmd_set(args, ctx) -> int:
    report(app.set_box(ctx.app, args.tenant, None if args.general else args.user, pin=args.pin, email=args.email,
                       attach=args.attach, keep=args.keep, enabled=args.enabled))
    return cmd_list(args, ctx)


def cmd_remove(args, ctx) -> int:
    report(app.remove_box(ctx.app, args.tenant, None if args.general else args.user))
    return cmd_list(args, ctx)


def cmd_list(args, ctx) -> int:
    rows = [(b.box, "yes" if b.pin_set else "no", b.email or "-", "yes" if b.attach_audio else "no",
             "yes" if b.enabled else "no") for b in app.list_boxes(ctx.app, args.tenant)]
    print_table(("BOX", "PIN", "EMAIL", "ATTACH", "ENABLED"), rows)
    return 0
