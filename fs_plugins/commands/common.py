"""Helpers every command module shares: tenant option, table printing, FreeSWITCH warnings."""
from __future__ import annotations

import datetime as dt
import getpass
import sys
from typing import Iterable, Sequence

from fs_plugins.application import Changed
from fs_plugins.errors import InvalidInput


def add_tenant_option(parser) -> None:
    parser.add_argument("--tenant", required=True, metavar="DOMAIN", help="the tenant's SIP domain")


def tenant_command(subparsers, name: str, handler, text: str):
    """A sub-command of a tenant's data: --tenant, its help text and its handler."""
    parser = subparsers.add_parser(name, help=text, description=text)
    add_tenant_option(parser)
    parser.set_defaults(handler=handler)
    return parser


def bool_option(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("yes", "true", "on", "1"):
        return True
    if lowered in ("no", "false", "off", "0"):
        return False
    raise ValueError(value)


bool_option.__name__ = "yes/no"  # argparse names the type in its error message


def parse_at(text: str | None, field: str = "--at") -> dt.datetime | None:
    """An instant with its UTC offset (2026-03-04T10:00+01:00), for commands that try a call then."""
    if not text:
        return None
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise InvalidInput(field, f"expected an ISO time with offset like 2026-03-04T10:00+01:00, got {text!r}")
    return at


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]], out=None) -> None:
    out = out or sys.stdout
    rows = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(), file=out)
    for row in rows:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip(), file=out)


def report(done: Changed) -> None:
    """Warn the person who made a change when a FreeSWITCH server did not drop its stale entries."""
    for warning in done.freeswitch.warnings:
        print(warning, file=sys.stderr)


def read_secret(prompt: str) -> str:
    """A password from standard input: one line when piped, asked without echo on a terminal."""
    return sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass(prompt)
