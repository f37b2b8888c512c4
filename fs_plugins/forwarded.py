"""The client's address behind a reverse proxy: X-Forwarded-For is believed only when it comes from a
configured proxy (`trusted_proxies`: addresses or networks, comma-separated).

Anyone can send X-Forwarded-For, so taken blindly it would let a client choose the address its failed
logins are counted against (and dodge the rate limit) or the "from where" of its audit entries. Each
proxy appends the address it received the request from, so the header is read from the right: while
the address we have is a trusted proxy's, the hop before it is believed; the first address that is
not a trusted proxy is the client. With no proxies configured the header is ignored altogether.
`client_address` is pure; fs_plugins.web applies it to REMOTE_ADDR for every mount (API, portal,
phonebooks, CDR logs alike).
"""
from __future__ import annotations

import ipaddress

from fs_plugins.errors import InvalidInput

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str, field: str = "trusted_proxies") -> tuple[Network, ...]:
    """"10.0.0.1, 192.168.0.0/16, ::1" as networks; InvalidInput naming `field` for anything else."""
    networks = []
    for item in (part.strip() for part in (text or "").split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise InvalidInput(field, f"{item!r} is not an IP address or network (e.g. 10.0.0.1 or "
                                      "10.0.0.0/8)") from None
    return tuple(networks)


def client_address(peer: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The address to count and audit: `peer` unless it is a trusted proxy; then, walking the
    header's hops from the right, the first one that is not a trusted proxy (or the leftmost)."""
    address = peer
    for hop in reversed((forwarded_for or "").split(",")):
        if not _within(address, trusted):
            break
        believed = _address(hop)
        if believed is None:  # garbage from (or passed on by) a proxy: keep the last address we trust
            break
        address = believed
    return address


def _within(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _address(hop: str) -> str | None:
    """A hop as written by proxies: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:5678`."""
    hop = hop.strip()
    candidates = [hop]
    if hop.startswith("["):
        candidates = [hop[1:].split("]", 1)[0]]
    elif hop.count(":") == 1:
        candidates.append(hop.split(":", 1)[0])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
