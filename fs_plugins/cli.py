"""`centralita …`: one entry point; each feature registers its own sub-commands.

A command module exposes ``register(subparsers)`` and sets ``handler=fn`` on each parser it
adds; ``fn(args, ctx)`` returns the exit status. Bad input raises InvalidInput (exit 2, the
message names the field), a missing object NotFound (exit 1). Nothing else handles errors.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

from fs_plugins.config import Config, load_config
from fs_plugins.errors import CannotStart, InvalidInput, NotFound

# Order is the order of `centralita --help`.
COMMAND_MODULES = (
    "fs_plugins.commands.serve",
    "fs_plugins.commands.db",
    "fs_plugins.commands.tenants",
    "fs_plugins.commands.users",
    "fs_plugins.commands.numbers",
    "fs_plugins.commands.demo",
    "fs_plugins.contacts.cli",
    "fs_plugins.schedule.cli",
    "fs_plugins.calllog.cli",
    "fs_plugins.callhandling.cli",
    "fs_plugins.audio.cli",
    "fs_plugins.ivr.cli",
    "fs_plugins.billing.cli",
    "fs_plugins.groups.cli",
    "fs_plugins.voicemail.cli",
    "fs_plugins.commands.simulate",
    "fs_plugins.access.cli",
    "fs_plugins.audit.cli",
)


class Context:
    """What a command needs: the configuration, and the database opened on first use."""

    def __init__(self, config: Config):
        self.config = config

    @cached_property
    def db(self):
        import peewee

        from fs_plugins import db as dbmod

        url = self.config.effective_database_url
        try:
            return dbmod.connect(url)
        except peewee.OperationalError as exc:  # server down, wrong credentials, unreadable file
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CannotStart(f"cannot open the database {without_password(url)}: {reason}") from None


def without_password(url: str) -> str:
    """A database URL fit to print: the password, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="centralita", description="Centralita: a multi-tenant virtual PBX for FreeSWITCH."
    )
    parser.add_argument("--config", help="TOML configuration file (also CENTRALITA_CONFIG)")
    parser.add_argument("--database", dest="database_url", help="database URL: sqlite:///file.db or postgresql://…")
    parser.add_argument("--data-dir", dest="data_dir", help="where the SQLite file and audio files live (default ./var)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log what happens on stderr (-v: info, -vv: debug); serve always logs at log_level")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def log_level(args, config: Config) -> str:
    """Commands print their results on stdout and log only warnings, on stderr, unless -v asks for
    more; a server (``service_logging``) keeps the configured level, because its log is its output."""
    if args.verbose:
        return "INFO" if args.verbose == 1 and not getattr(args, "service_logging", False) else "DEBUG"
    if getattr(args, "service_logging", False):
        return config.log_level.upper()
    return "WARNING"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, overrides={"database_url": args.database_url, "data_dir": args.data_dir})
        logging.basicConfig(level=log_level(args, config), stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return args.handler(args, Context(config)) or 0
    except InvalidInput as exc:
        print(f"centralita: error: {exc}", file=sys.stderr)
        return 2
    except (NotFound, CannotStart) as exc:
        print(f"centralita: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
