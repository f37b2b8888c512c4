"""Import the CDR files mod_json_cdr leaves in its err-log-dir when a post failed.

FreeSWITCH never re-sends those `<uuid>.cdr.json` files, so `centralita cdr sweep DIR` files them.
Each file is committed first and moved to DIR/imported/ only afterwards: a crash in between leaves
the file in place, and the next run files it again as a no-op (legs are unique on their uuid), so
running the sweep any number of times imports nothing twice.

One entry never stops the others:
* a file modified less than `min_age` seconds ago may still be being written: it is left for the
  next sweep (a half-written CDR must not be judged, let alone rejected);
* a file that is not a CDR is moved to DIR/rejected/ with a log line (kept, never deleted);
* anything else named like a CDR that is not a regular file (a directory) is skipped with a warning;
* a file that cannot be read or stored (the database is down, a bug) stays where it is, with one
  log line, and is tried again by the next sweep.
A CDR of a call that matched no tenant is stored like any other: the operator sees it with
`centralita calls unassigned` (fs_plugins.calllog.unassigned).
"""
from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import peewee

from fs_plugins.calllog.parse import BadCdr, parse_body
from fs_plugins.calllog.store import store_leg
from fs_plugins.errors import InvalidInput

log = logging.getLogger(__name__)

PATTERN = "*.cdr.json"
IMPORTED, REJECTED = "imported", "rejected"
MIN_AGE_SECONDS = 5.0  # mod_json_cdr writes a file in one go; seconds are plenty to see it finished


@dataclass(frozen=True)
class SweepResult:
    imported: int
    duplicates: int
    rejected: int
    waiting: int = 0  # too young, or failed this time: the next sweep tries them again
    skipped: int = 0  # named like a CDR but not a file

    def __str__(self) -> str:
        return (f"imported {self.imported}, already stored {self.duplicates}, rejected {self.rejected}, "
                f"left for the next sweep {self.waiting}, skipped {self.skipped}")


def sweep(db: peewee.Database, directory: str | os.PathLike, min_age: float = MIN_AGE_SECONDS,
          now: float | None = None, progress=iter) -> SweepResult:
    folder = Path(directory)
    if not folder.is_dir():
        raise InvalidInput("DIR", f"{folder} is not a directory")
    newest_allowed = (time.time() if now is None else now) - min_age
    counts = {"imported": 0, "duplicates": 0, "rejected": 0, "waiting": 0, "skipped": 0}
    for path in progress(sorted(folder.glob(PATTERN))):  # the CLI's bar on a terminal; serve passes nothing
        counts[_sweep_one(db, folder, path, newest_allowed)] += 1
    return SweepResult(**counts)


def _sweep_one(db: peewee.Database, folder: Path, path: Path, newest_allowed: float) -> str:
    """File one entry; returns which SweepResult count it adds to. Never raises for one entry."""
    try:
        if not path.is_file():
            log.warning("CDR sweep: %s is not a file; skipped", path)
            return "skipped"
        if path.stat().st_mtime > newest_allowed:
            return "waiting"
        raw = path.read_bytes()
    except OSError as exc:
        log.warning("CDR sweep: cannot read %s (%s); tried again next time", path, exc.strerror or exc)
        return "waiting"
    try:
        facts = parse_body(raw)
    except BadCdr as exc:
        log.warning("CDR file %s rejected: %s", path.name, exc)
        _move(path, folder / REJECTED)
        return "rejected"
    try:
        stored = store_leg(db, facts)
    except Exception:  # the database is down, or a bug: keep the file, go on with the others
        log.exception("CDR sweep: %s could not be stored; tried again next time", path.name)
        return "waiting"
    _move(path, folder / IMPORTED)  # only after the commit above
    return "imported" if stored else "duplicates"


def _move(path: Path, target_dir: Path) -> None:
    target_dir.mkdir(exist_ok=True)
    os.replace(path, target_dir / path.name)
