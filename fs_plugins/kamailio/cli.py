"""`centralita kamailio install-view`: the view Kamailio authenticates REGISTERs against."""
from __future__ import annotations

from fs_plugins.kamailio import app


def register(subparsers) -> None:
    parser = subparsers.add_parser("kamailio", help="Kamailio in front of several FreeSWITCH servers")
    commands = parser.add_subparsers(dest="kamailio_command", required=True, metavar="COMMAND")
    install = commands.add_parser(
        "install-view", help="create or replace the view of SIP credentials Kamailio reads (PostgreSQL only)")
    install.add_argument("--schema", default=app.DEFAULT_SCHEMA,
                         help=f"PostgreSQL schema of Kamailio's tables, where the view goes "
                              f"(default {app.DEFAULT_SCHEMA})")
    install.add_argument("--grant-to", dest="grant_to", metavar="ROLE",
                         help="Kamailio's PostgreSQL role: gets SELECT on the view "
                              "(and nothing of Centralita's tables)")
    install.add_argument("--print-sql", action="store_true",
                         help="print the statements instead of running them (to run them as another role)")
    install.set_defaults(handler=_install_view)


def _install_view(args, ctx) -> int:
    if args.print_sql:
        for statement in app.view_sql(args.schema, args.grant_to):
            print(statement + ";")
        return 0
    done = app.install_view(ctx.app, ctx.db, args.schema, args.grant_to)
    granted = f", readable by role {done.granted_to}" if done.granted_to else ""
    print(f"view {done.schema}.{done.view} installed{granted}: {done.rows} users may register")
    return 0
