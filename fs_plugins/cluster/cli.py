"""centralita media-server add|list|set|remove|dispatcher-list, centralita node [list|remove]

The operator registers each FreeSWITCH by its inbound event socket; the password is read from
standard input (or asked for on a terminal) and never printed.
"""
from __future__ import annotations

import os
import tempfile

from fs_plugins.cluster import app, dispatcher
from fs_plugins.commands.common import bool_option, print_table, read_secret
from fs_plugins.errors import InvalidInput


def register(subparsers) -> None:
    _register_media_servers(subparsers.add_parser(
        "media-server", help="the FreeSWITCH servers: every one gets each cache flush"))
    nodes = subparsers.add_parser("node", help="the Centralita nodes (`serve` processes) and their heartbeats")
    sub = nodes.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="every node, alive or not (the default)").set_defaults(handler=_node_list)
    remove = sub.add_parser("remove", help="forget a node that is gone for good")
    remove.add_argument("name")
    remove.set_defaults(handler=_node_remove)
    nodes.set_defaults(handler=_node_list)


def _register_media_servers(parser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="register a FreeSWITCH; its event socket password is read from standard input")
    add.add_argument("name", help="how you call it (fs1, madrid-2…)")
    add.add_argument("--host", required=True, help="its inbound event socket's address")
    add.add_argument("--port", type=int, default=8021, help="its inbound event socket's port (8021)")
    add.add_argument("--socket-address", metavar="HOST:PORT",
                     help="where its `socket` action reaches Centralita's ESL app, if not esl_advertise_host:esl_port")
    add.add_argument("--sip", dest="sip_address", metavar="HOST[:PORT]",
                     help="where Kamailio's dispatcher reaches its SIP profile (default: the event socket's host "
                          "at dispatcher-list's --sip-port)")
    add.add_argument("--enabled", type=bool_option, default=True, help="yes/no (default yes)")
    add.set_defaults(handler=_add)
    sub.add_parser("list", help="the media servers (never their passwords)").set_defaults(handler=_list)
    change = sub.add_parser("set", help="change a media server")
    change.add_argument("name")
    change.add_argument("--host")
    change.add_argument("--port", type=int)
    change.add_argument("--password-stdin", action="store_true", help="read a new password from standard input")
    change.add_argument("--socket-address", metavar="HOST:PORT", help='"" for the configured one')
    change.add_argument("--sip", dest="sip_address", metavar="HOST[:PORT]",
                        help='where Kamailio reaches its SIP profile ("" for the event socket\'s host)')
    change.add_argument("--enabled", type=bool_option, help="yes/no: a disabled server gets no flush")
    change.set_defaults(handler=_set)
    remove = sub.add_parser("remove", help="stop telling this FreeSWITCH about changes")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)
    listing = sub.add_parser("dispatcher-list", help="Kamailio's dispatcher list of the enabled media servers")
    listing.add_argument("--sip-port", type=int, default=dispatcher.DEFAULT_SIP_PORT,
                         help="the port of FreeSWITCH's SIP profile Kamailio sends calls to (5060)")
    listing.add_argument("--set", type=int, default=dispatcher.DEFAULT_SET, dest="set_id",
                         help="the dispatcher set (kamailio.cfg's MEDIA_SET, 1)")
    listing.add_argument("--output", metavar="PATH",
                         help="write this file (replaced whole, never seen half-written) instead of printing")
    listing.set_defaults(handler=_dispatcher_list)


def _add(args, ctx) -> int:
    ctx.app  # opens the database before the password is asked for
    server = app.add_media_server(ctx.app, args.name, args.host, read_secret("event socket password: "), args.port,
                                  args.socket_address, args.enabled, args.sip_address).value
    print(f"media server {server.name} ({server.host}:{server.port}) added")
    return 0


def _list(args, ctx) -> int:
    print_table(("NAME", "EVENT SOCKET", "SOCKET ADDRESS", "SIP", "ENABLED", "ADDED"),
                [(s.name, f"{s.host}:{s.port}", s.socket_address or "(configured)",
                  s.sip_address or f"{s.host} (guessed)", "yes" if s.enabled else "no", s.created_at)
                 for s in app.list_media_servers(ctx.app)])
    return 0


def _set(args, ctx) -> int:
    ctx.app
    password = read_secret("event socket password: ") if args.password_stdin else None
    server = app.set_media_server(ctx.app, args.name, args.host, args.port, password, args.socket_address,
                                  args.enabled, args.sip_address).value
    print(f"media server {server.name} updated")
    return 0


def _remove(args, ctx) -> int:
    print(f"media server {app.remove_media_server(ctx.app, args.name).value.name} removed")
    return 0


def _dispatcher_list(args, ctx) -> int:
    if not 1 <= args.sip_port <= 65535:
        raise InvalidInput("sip_port", f"{args.sip_port} is not a port (1-65535)")
    if args.set_id < 0:
        raise InvalidInput("set", f"{args.set_id} is not a dispatcher set (0 or more)")
    text = dispatcher.dispatcher_list(app.list_media_servers(ctx.app), args.set_id, args.sip_port)
    if not args.output:
        print(text, end="")
        return 0
    folder = os.path.dirname(os.path.abspath(args.output))
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".dispatcher-")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, args.output)  # Kamailio reloading meanwhile reads the old list or the new
    except BaseException:
        os.unlink(temporary)
        raise
    servers = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    print(f"{args.output}: {servers} media servers; run kamcmd dispatcher.reload")
    return 0


def _node_list(args, ctx) -> int:
    print_table(("NAME", "ADDRESS", "STARTED", "LAST HEARD", "STATE"),
                [(n.name, n.address, n.started_at, n.heartbeat_at, "alive" if n.alive else "gone")
                 for n in app.list_nodes(ctx.app)])
    return 0


def _node_remove(args, ctx) -> int:
    print(f"node {app.remove_node(ctx.app, args.name).value} removed")
    return 0
