"""The WAL-index header of an SQLite database, mapped for reading without ever closing the -shm.

POSIX advisory locks belong to a process, not to a descriptor: closing any descriptor of a file
drops every lock the process holds on that file (sqlite.org/howtocorrupt.html, 2.2), SQLite's own
included: the DMS lock that tells other processes this one uses the WAL-index, a writer's WAL
write lock, a reader's read mark. Python's mmap keeps a duplicate of the descriptor and closes it
with the map. Until 2026-12 the Checkpointer (fs_plugins/walcheckpoint.py) and
xml_curl/sqlitechanges.py each opened the -shm, mapped its header and closed the file: serve's
processes lost their locks on it at once (/proc/locks: the DMS lock, byte 128, gone). The next
process to open the database then took the WAL-index for unused, truncated the -shm and rebuilt it
under them: in B8's SQLite line with serve's connections at wal_autocheckpoint=0 (a WAL past 4,096
pages, so a second region of the -shm mapped), `serve --only web` died of SIGBUS and 25,882 of
27,933 CDR posts went unanswered.

So the -shm of each database file (by inode) is opened and mapped once per process, and both are
kept until the process ends: two descriptors (ours and the map's duplicate) and a page of memory per
-shm file. serve keeps its connections open, so its -shm files are never recreated and this stays
one pair per database; a process that deletes and recreates databases (the tests) keeps one pair per
file it ever looked at.
"""
from __future__ import annotations

import mmap
import os

MAPPED = 136  # bytes: the WAL-index header's two copies and the checkpoint information after them

_maps: dict[tuple[int, int], mmap.mmap] = {}  # (device, inode) of a -shm -> its first MAPPED bytes
_descriptors: dict[tuple[int, int], int] = {}
_kept: list = []  # every descriptor and map ever made here, never closed (see the module's docstring)


def header(database_path: str) -> mmap.mmap:
    """The first MAPPED bytes of the -shm of the database at `database_path`, read-only; the same
    map for every caller of this process: never close it. OSError: no -shm; ValueError: a -shm
    shorter than that (being created): ask again later."""
    shm = f"{database_path}-shm"
    status = os.stat(shm)  # a stat opens nothing
    key = (status.st_dev, status.st_ino)
    mapped = _maps.get(key)
    if mapped is not None:
        return mapped
    descriptor = _descriptors.get(key)
    if descriptor is None:
        descriptor = os.open(shm, os.O_RDONLY | os.O_CLOEXEC)
        _kept.append(descriptor)  # two threads at once: one of the two goes unused, still open
        opened = os.fstat(descriptor)  # the file opened, should the -shm have been replaced since the stat
        key = (opened.st_dev, opened.st_ino)
        descriptor = _descriptors.setdefault(key, descriptor)
    mapped = mmap.mmap(descriptor, MAPPED, access=mmap.ACCESS_READ)
    _kept.append(mapped)
    return _maps.setdefault(key, mapped)
