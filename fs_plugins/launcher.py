"""The `centralita` console entry point: `serve` becomes cooperative before anything else is imported.

`centralita serve` runs every server in one process on gevent. Whatever blocks the process blocks
every call, so before any other module is imported (socket, threading, ssl and psycopg2 must be
the patched ones everywhere) it gets gevent's monkey-patching and psycogreen's wait callback,
which makes psycopg2 wait on its socket like any other greenlet. Every other command is a
short-lived program run by a person or a script: it stays unpatched and uses plain connections.
`python -m fs_plugins.cli …` (how the tests and benches start servers) goes through `prepare` too.
"""
from __future__ import annotations

import os

import sys

OPTIONS_WITH_A_VALUE = ("--config", "--database", "--data-dir")  # fs_plugins.cli.build_parser's own


def command_of(argv: list[str]) -> str | None:
    """The command named by the arguments (the first word that is not a global option or its value)."""
    words = iter(argv)
    for word in words:
        if word in OPTIONS_WITH_A_VALUE:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def make_cooperative() -> None:
    import gevent
    from gevent import monkey

    # pywsgi spawns a greenlet per connection (FreeSWITCH's posts: one a request), and gevent by
    # default records each one's parent and spawning stack (a walk of up to ten frames with their
    # line numbers) for debugging tools nothing here uses: 970,100 -> 932,650 instructions a CDR post
    # (benches/cdr_instructions.py --callgrind, 16 at once). gevent documents turning it off as
    # the way to spawn faster. An operator who sets GEVENT_TRACK_GREENLET_TREE (to debug) keeps it.
    if "GEVENT_TRACK_GREENLET_TREE" not in os.environ:
        gevent.config.track_greenlet_tree = False
    monkey.patch_all()
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()


def prepare(argv: list[str]) -> None:
    if command_of(argv) == "serve":
        make_cooperative()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    prepare(argv)
    from fs_plugins.cli import main as cli_main

    return cli_main(argv)
