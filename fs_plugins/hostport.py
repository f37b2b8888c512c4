"""The one reading of a server's address as people write it: `host`, `host:port`, `[IPv6]`,
`[IPv6]:port`, or a bare IPv6 address (two colons or more: all host, since a port after it could
not be told apart). Used for the SIP proxy phones are given (provisioning) and for where Kamailio
and Centralita reach a media server (cluster)."""
from __future__ import annotations

import re

from fs_plugins.errors import InvalidInput

_BRACKETED = re.compile(r"\[([^\]]*)\](?::(.*))?\Z", re.DOTALL)


def split(address: str, field: str) -> tuple[str, int | None]:
    """(host, port or None); an IPv6 host comes back without its brackets (they only set the port
    apart). InvalidInput naming `field` for text after the brackets that is not a port, or a port
    that is not 1 to 65535. The host itself is the caller's to check."""
    if address.startswith("["):
        bracketed = _BRACKETED.match(address)
        if bracketed is None:
            raise InvalidInput(field, f"{address!r}: expected host[:port], an IPv6 address as [address]:port")
        host, port = bracketed.groups()
    elif address.count(":") == 1:
        host, _, port = address.partition(":")
    else:
        host, port = address, None
    return host, None if port is None else _port(port, address, field)


def join(host: str, port: int | None = None) -> str:
    """host[:port], an IPv6 host in brackets (so that its colons are not read as the port's)."""
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


def _port(text: str, address: str, field: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 65536):
        raise InvalidInput(field, f"{address!r}: the port must be 1 to 65535")
    return int(text)
