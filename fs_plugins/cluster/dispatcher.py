"""Kamailio's dispatcher list written from the media_server table (issue 17 [14] item 1).

kamailio/kamailio.cfg spreads calls over dispatcher set MEDIA_SET (1); its list file has one line
per destination, "<set> <SIP URI> <flags> <priority>" (Kamailio's dispatcher module, list_file).
Each enabled media server's SIP profile is reached at its sip_address (`media-server add|set --sip
HOST[:PORT]`; without a port, at the list's SIP port). A server without one is reached on the host
of its event socket, which is only right when its SIP profile listens on the same address (a
FreeSWITCH on its own machine). Pure: the command in cli.py writes the text.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from fs_plugins import hostport

DEFAULT_SET = 1
DEFAULT_SIP_PORT = 5060
HEADER = ("# Written by `centralita media-server dispatcher-list` from the enabled media servers;\n"
          "# changes here are lost the next time it runs. After writing: kamcmd dispatcher.reload\n")


def sip_uri(host: str, port: int) -> str:
    """sip:host:port, an IPv6 address in brackets (RFC 3261's hostport)."""
    try:
        if ipaddress.ip_address(host).version == 6:
            host = f"[{host}]"
    except ValueError:
        pass  # a host name: as it is (validated when the server was added)
    return f"sip:{host}:{port}"


def destination(server, sip_port: int = DEFAULT_SIP_PORT) -> str:
    """The server's SIP URI: its sip_address (validated host[:port], IPv6 in brackets), else its
    event socket's host; at `sip_port` unless the address gives a port."""
    address = getattr(server, "sip_address", None)
    if not address:
        return sip_uri(server.host, sip_port)
    host, port = hostport.split(address, "sip_address")
    return f"sip:{hostport.join(host, sip_port if port is None else port)}"


def dispatcher_list(servers: Iterable, set_id: int = DEFAULT_SET, sip_port: int = DEFAULT_SIP_PORT) -> str:
    """The list file's text: one line per enabled server, in name order (attributes `name`,
    `host`, `sip_address` and `enabled` per server), each destination once."""
    lines, seen = [HEADER], set()
    for server in sorted(servers, key=lambda server: server.name):
        uri = destination(server, sip_port)
        if not server.enabled or uri in seen:
            continue
        seen.add(uri)
        lines.append(f"# {server.name}\n{set_id} {uri} 0 0\n")
    return "".join(lines)
