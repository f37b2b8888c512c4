"""`centralita …`: one entry point; the process commands here, every feature's from its plugin.

A plugin's ``commands(subparsers)`` adds its parsers and sets ``handler=fn`` on each; ``fn(args,
ctx)`` parses what argparse could not, calls the application layer with ``ctx.app`` and prints the
result (returning the exit status). Errors are handled here and nowhere else: InvalidInput and
Conflict exit 2, NotFound and Forbidden 1; the message names the field as the command's option
(an app function's ``destination`` is this command's ``--to``).
"""
from __future__ import annotations

import sys

if __name__ == "__main__":  # `python -m fs_plugins.cli serve`: patched before the imports below
    from fs_plugins.launcher import prepare

    prepare(sys.argv[1:])

import argparse  # noqa: E402 (after the patching above)
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

import peewee

from fs_plugins import db as dbmod
from fs_plugins import logs, plugins
from fs_plugins.access.principal import cli_principal
from fs_plugins.application import AppContext
from fs_plugins.commands import db as db_command
from fs_plugins.commands import credentials, demo, serve, simulate
from fs_plugins.config import Config, load_config
from fs_plugins.errors import CannotStart, Forbidden, InvalidInput, NotFound
from fs_plugins.files import close_up, private_dir, set_private_umask
from fs_plugins.fsapi import FreeswitchDirectory


class Context:
    """What a command needs: the configuration, the database opened on first use, and the
    application context of whoever runs the command (the operator)."""

    def __init__(self, config: Config, serving: bool = False):
        self.config = config
        self.serving = serving  # `serve`: pooled cooperative connections, and it upgrades the schema

    @cached_property
    def db(self):
        url = self.config.effective_database_url
        if not self.config.database_url:  # the default SQLite file lives in the data dir: keep it private
            private_dir(self.config.data_dir)
        try:
            if self.serving:
                return dbmod.connect(url, pool=dbmod.PoolSettings.from_config(self.config))
            database = dbmod.connect(url, upgrade_schema=False)
            dbmod.require_current(database)
            return database
        except peewee.OperationalError as exc:  # server down, wrong credentials, unreadable file
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CannotStart(f"cannot open the database {without_password(url)}: {reason}") from None

    @cached_property
    def app(self) -> AppContext:
        self.db  # the models are bound once connected
        return AppContext(cli_principal(), self.config, freeswitch=FreeswitchDirectory(self.config))


def without_password(url: str) -> str:
    """A database URL fit to print: the password, if any, replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class CommandParser(argparse.ArgumentParser):
    """Remembers which parser a command was declared on, so an error can name that command's option."""

    def set_defaults(self, **kwargs):
        if "handler" in kwargs:
            kwargs.setdefault("command_parser", self)
        super().set_defaults(**kwargs)


def build_parser(registry: plugins.Registry | None = None) -> argparse.ArgumentParser:
    parser = CommandParser(prog="centralita", description="Centralita: a multi-tenant virtual PBX for FreeSWITCH.")
    parser.add_argument("--config", help="TOML configuration file (also CENTRALITA_CONFIG)")
    parser.add_argument("--database", dest="database_url", help="database URL: sqlite:///file.db or postgresql://…")
    parser.add_argument("--data-dir", dest="data_dir", help="where the SQLite file and audio files live (default ./var)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="log what happens on stderr (-v: info, -vv: debug); serve always logs at log_level")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve.register(subparsers)
    db_command.register(subparsers)
    credentials.register(subparsers)
    (registry or plugins.installed()).register_commands(subparsers)
    demo.register(subparsers)
    simulate.register(subparsers)
    return parser


def option_name(parser: argparse.ArgumentParser | None, field: str) -> str:
    """How the command's user knows an app-layer field: its option (``--to``), else the field; an
    entry of a field (``options.1``, key 1 of a menu) reads as the option and the entry (``--option 1``)."""
    head, dot, entry = field.partition(".")
    if dot:
        return f"{option_name(parser, head)} {entry}"
    wanted = field.lstrip("-").replace("-", "_")
    for action in getattr(parser, "_actions", ()):
        names = [option.lstrip("-").replace("-", "_") for option in action.option_strings]
        if action.dest == wanted or wanted in names:
            return max(action.option_strings, key=len) if action.option_strings else field
    return field


def log_level(args, config: Config) -> str:
    """Commands print their results on stdout and log only warnings, on stderr, unless -v asks for
    more; a server (``service_logging``) keeps the configured level, because its log is its output."""
    if args.verbose:
        return "INFO" if args.verbose == 1 and not getattr(args, "service_logging", False) else "DEBUG"
    if getattr(args, "service_logging", False):
        return config.log_level.upper()
    return "WARNING"


def main(argv: list[str] | None = None) -> int:
    set_private_umask()  # before anything is written: the database, audio, credentials (fs_plugins/files.py)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config, overrides={"database_url": args.database_url, "data_dir": args.data_dir})
        close_up(config.data_dir)
        if config.log_format not in logs.FORMATS:
            raise InvalidInput("log_format", f"must be one of {', '.join(logs.FORMATS)}")
        logs.configure(log_level(args, config), config.log_format)
        return args.handler(args, Context(config, serving=getattr(args, "serving", False))) or 0
    except (InvalidInput, NotFound) as exc:
        field = option_name(getattr(args, "command_parser", None), exc.field)
        print(f"centralita: error: {field}: {exc.message}", file=sys.stderr)
        return 2 if isinstance(exc, InvalidInput) else 1
    except Forbidden as exc:
        print(f"centralita: error: {exc.message}", file=sys.stderr)
        return 1
    except CannotStart as exc:
        print(f"centralita: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
