"""Run `centralita …` in-process against the test's database, as a person would type it (the CLI tests' `run`)."""
from __future__ import annotations

import contextlib

from fs_plugins import cli
from fs_plugins import db as dbmod


@contextlib.contextmanager
def cli_runner(db_url: str, capsys):
    """Connected to `db_url` (set up the world inside the block); yields run(*argv) -> (exit code, out, err)."""
    database = dbmod.connect(db_url)

    def run(*argv):
        code = cli.main(["--database", db_url, "--data-dir", "/nonexistent", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    try:
        yield run
    finally:
        database.close()
