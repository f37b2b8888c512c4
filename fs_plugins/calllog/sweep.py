"""Import the CDR files mod_json_cdr leaves in its err-log-dir when a post failed.

FreeSWITCH never re-sends those `<uuid>.cdr.json` files, so `centralita cdr sweep DIR` files them.
Each file is committed first and moved to DIR/imported/ only afterwards: a crash in between leaves
the file in place, and the next run files it again as a no-op (legs are unique on their uuid), so
running the sweep any number of times imports nothing twice. A file that is not a CDR is moved to
DIR/rejected/ with a log line, and the sweep goes on.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import peewee

from fs_plugins.calllog.parse import BadCdr, parse_body
from fs_plugins.calllog.store import store_leg
from fs_plugins.errors import InvalidInput

log = logging.getLogger(__name__)

PATTERN = "*.cdr.json"
IMPORTED, REJECTED = "imported", "rejected"


@dataclass(frozen=True)
class SweepResult:
    imported: int
    duplicates: int
    rejected: int


def sweep(db: peewee.Database, directory: str | os.PathLike) -> SweepResult:
    folder = Path(directory)
    if not folder.is_dir():
        raise InvalidInput("DIR", f"{folder} is not a directory")
    imported = duplicates = rejected = 0
    for path in sorted(folder.glob(PATTERN)):
        raw = path.read_bytes()
        try:
            facts = parse_body(raw)
        except BadCdr as exc:
            log.warning("CDR file %s rejected: %s", path.name, exc)
            _move(path, folder / REJECTED)
            rejected += 1
            continue
        if store_leg(db, facts):
            imported += 1
        else:
            duplicates += 1
        _move(path, folder / IMPORTED)  # only after the commit above
    return SweepResult(imported, duplicates, rejected)


def _move(path: Path, target_dir: Path) -> None:
    target_dir.mkdir(exist_ok=True)
    os.replace(path, target_dir / path.name)
