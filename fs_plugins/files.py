"""Who may read what Centralita writes: its own files are private to the user it runs as.

The program sets its umask (`PRIVATE_UMASK`) first thing, so everything it creates is private
without the operator having to remember: the data dir 0700, the SQLite database and its
-wal/-shm 0600 (SQLite gives them the database file's mode), the credentials 0600, audio files
0600. Files an older version left open (0644, 0755) are closed again on the next start.
FreeSWITCH, when it runs as another user, is given access to the audio folder with an ACL
(freeswitch/conf/README.md), never by opening the data dir to everyone.
"""
from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def set_private_umask() -> None:
    os.umask(PRIVATE_UMASK)


def private_dir(path: str | os.PathLike) -> Path:
    """Create `path` (and its parents) if needed and make it 0700."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder


def close_up(path: str | os.PathLike) -> None:
    """An existing data dir left open by an older version becomes 0700 again (nothing is created)."""
    if Path(path).is_dir():
        os.chmod(path, 0o700)


def private_sqlite(path: str | os.PathLike) -> None:
    """Create the database file 0600 before SQLite opens it (so its -wal and -shm are 0600 too),
    and close up the files of an existing one."""
    database = Path(path)
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))  # an empty file is an empty database
    for suffix in SQLITE_SUFFIXES:
        companion = database.with_name(database.name + suffix)
        if companion.exists():
            os.chmod(companion, 0o600)
