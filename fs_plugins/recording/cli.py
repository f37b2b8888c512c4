"""`centralita recording policy|policies|options|list|remove|sweep`: who is recorded, the tenant's
announcement and retention, and the recordings themselves (docs/recording.md)."""
from __future__ import annotations

from fs_plugins.commands.common import print_table, tenant_command
from fs_plugins.recording import app
from fs_plugins.recording.kinds import MODES
from fs_plugins.recording.rules import recordings_dir
from fs_plugins.recording.sweep import sweep


def register(subparsers) -> None:
    parser = subparsers.add_parser("recording", help="call recording: policies, options, recordings",
                                   description="Call recording: who is recorded, the announcement, retention.")
    actions = parser.add_subparsers(dest="recording_command", metavar="ACTION", required=True)
    policy = tenant_command(actions, "policy", cmd_policy, "set a user's or a call group's policy")
    policy.add_argument("mode", choices=MODES, metavar="MODE", help=" | ".join(MODES))
    whom = policy.add_mutually_exclusive_group(required=True)
    whom.add_argument("--user", metavar="EXT")
    whom.add_argument("--group", metavar="NAME")
    tenant_command(actions, "policies", cmd_policies, "every policy that records")
    options = tenant_command(actions, "options", cmd_options, "show or change the announcement and retention")
    options.add_argument("--announce", choices=("on", "off"))
    options.add_argument("--retention-days", type=int, metavar="DAYS")
    listing = tenant_command(actions, "list", cmd_list, "the tenant's recordings, newest first")
    listing.add_argument("--user", default="", metavar="EXT", help="only the calls in this user's log")
    show = tenant_command(actions, "show", cmd_show, "one recording: its call, parties and file")
    show.add_argument("id", type=int)
    remove = tenant_command(actions, "remove", cmd_remove, "delete a recording (row and file)")
    remove.add_argument("id", type=int)
    run = actions.add_parser("sweep", help="file new recordings and delete expired ones now")
    run.set_defaults(handler=cmd_sweep)


def cmd_policy(args, ctx) -> int:
    view = app.set_policy(ctx.app, args.tenant, args.mode, user=args.user or "", group=args.group or "").value
    print(f"{'user ' + view.user if view.user else 'group ' + view.group}: {view.mode}")
    return 0


def cmd_policies(args, ctx) -> int:
    print_table(("USER", "GROUP", "MODE"), [(v.user, v.group, v.mode) for v in app.list_policies(ctx.app, args.tenant)])
    return 0


def cmd_options(args, ctx) -> int:
    if args.announce is None and args.retention_days is None:
        view = app.settings(ctx.app, args.tenant)
    else:
        announce = None if args.announce is None else args.announce == "on"
        view = app.set_settings(ctx.app, args.tenant, announce=announce, retention_days=args.retention_days).value
    print(f"announcement: {'on' if view.announce else 'off'}\nkept for: {view.retention_days} days")
    return 0


def cmd_list(args, ctx) -> int:
    views = app.list_recordings(ctx.app, args.tenant, user=args.user)
    print_table(("ID", "STARTED (UTC)", "CALL", "PARTIES", "BYTES"),
                [(v.id, v.started.strftime("%Y-%m-%d %H:%M:%S"), v.call_id, " ".join(v.parties), v.size)
                 for v in views])
    return 0


def cmd_show(args, ctx) -> int:
    view = app.get_recording(ctx.app, args.tenant, args.id)
    print(f"recording {view.id}: call {view.call_id}, started {view.started:%Y-%m-%d %H:%M:%S} UTC, "
          f"parties {' '.join(view.parties) or '-'}, {view.size} bytes")
    print(f"file: {app.recording_path(ctx.app, args.tenant, args.id)[1]}")
    return 0


def cmd_remove(args, ctx) -> int:
    view = app.remove_recording(ctx.app, args.tenant, args.id).value
    print(f"recording {view.id} of call {view.call_id} deleted")
    return 0


def cmd_sweep(args, ctx) -> int:
    ctx.db  # the sweep reads the models: open and bind the database first (nothing else here does)
    result = sweep(recordings_dir(ctx.config))
    print(f"filed {result.filed}, deleted {result.expired} past retention, {result.waiting} waiting for their call")
    return 0
