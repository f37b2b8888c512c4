"""`centralita backup` and `restore`: the database and the audio library in one .tar.gz.

The archive holds ``manifest.json`` (when, which database kind, the data_dir and schema versions it
was taken from), the database and ``audio/<tenant domain>/…`` (the library, data_dir/audio):

* SQLite: ``database.sqlite3``, a consistent copy taken with SQLite's online backup API while
  the servers keep running (they may write meanwhile; the copy is one instant of the file);
* PostgreSQL: ``database.pgdump`` from `pg_dump --format=custom` when pg_dump is installed (only
  Centralita's schema when the URL sets a search_path, else the whole database);
  without it the command says how to take the dump by hand (the audio is archived either way).

A restore writes the database back (SQLite: through the backup API again, so a database file in
WAL mode is replaced whole; PostgreSQL: `pg_restore --clean --if-exists`), upgrades its schema
if the archive is older than the code, unpacks the audio into this data_dir and, when that is
another folder than the one backed up, points the library's rows at their new place. It refuses
to overwrite a database that holds tenants unless told `--force`. Stop the servers first.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from fs_plugins import db as dbmod
from fs_plugins.errors import CannotStart, InvalidInput
from fs_plugins.models.audio import AudioFile
from fs_plugins.progress import track

FORMAT = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Done:
    archive: Path
    database: str  # "sqlite" or "postgresql"
    audio_files: int


def _kind(url: str) -> str:
    scheme = urlsplit(url).scheme
    return "sqlite" if scheme == "sqlite" else "postgresql"


def _sqlite_path(url: str) -> Path:
    parts = urlsplit(url)
    return Path(unquote(parts.path[1:] if parts.path.startswith("/") else parts.path))


def _libpq_url(url: str) -> str:
    parts = urlsplit(url)
    return parts._replace(scheme="postgresql").geturl()


def _own_schema(url: str) -> str | None:
    """The schema a URL confines Centralita to (``?options=-csearch_path%3Dx``), if any: then only
    that schema is dumped and restored, never the database's other schemas (another application's,
    or another installation's sharing the database)."""
    for name, value in parse_qsl(urlsplit(url).query):
        found = re.search(r"-c\s*search_path\s*=\s*([A-Za-z_][A-Za-z0-9_]*)", value) if name == "options" else None
        if found:
            return found.group(1)
    return None


def backup(config, output: str | os.PathLike) -> Done:
    url, data_dir = config.effective_database_url, Path(config.data_dir).resolve()
    output = Path(output)
    if output.exists():
        raise InvalidInput("--output", f"{output} exists already: choose a new file")
    kind = _kind(url)
    database = dbmod.connect(url, upgrade_schema=False)
    versions = dbmod.schema_versions(database)
    audio = sorted(p for p in (data_dir / "audio").rglob("*") if p.is_file() and p.suffix != ".part")
    with tempfile.TemporaryDirectory(prefix="centralita-backup-") as scratch:
        dumped = Path(scratch) / ("database.sqlite3" if kind == "sqlite" else "database.pgdump")
        if kind == "sqlite":
            target = sqlite3.connect(dumped)
            with target:
                database.connection().backup(target)
            target.close()
        else:
            _pg_dump(url, dumped)
        manifest = {"format": FORMAT, "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                    "database": kind, "data_dir": str(data_dir), "schema": versions, "audio_files": len(audio)}
        partial = output.with_name(output.name + ".part")
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, MANIFEST, json.dumps(manifest, indent=1).encode())
            archive.add(dumped, arcname=dumped.name)
            for path in track(audio, "audio library"):
                archive.add(path, arcname=str(Path("audio") / path.relative_to(data_dir / "audio")))
        os.replace(partial, output)  # a backup cut short never looks like a finished one
    return Done(output, kind, len(audio))


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(dt.datetime.now().timestamp()), 0o640
    archive.addfile(info, io.BytesIO(data))


def _pg_dump(url: str, target: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise CannotStart("pg_dump is not installed: install PostgreSQL's client tools (apt install "
                          "postgresql-client) or take the dump yourself with "
                          "`pg_dump --format=custom --file=centralita.pgdump <database>` next to this archive")
    schema = _own_schema(url)
    _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", f"--dbname={_libpq_url(url)}",
          *([f"--schema={schema}"] if schema else [])], "pg_dump")


def _run(command: list[str], name: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or ["failed"])[0]
        raise CannotStart(f"{name} failed: {first}")


def restore(config, archive_path: str | os.PathLike, force: bool = False) -> Done:
    url, data_dir = config.effective_database_url, Path(config.data_dir).resolve()
    with tarfile.open(archive_path, "r:gz") as archive:
        manifest = _manifest(archive)
        kind = _kind(url)
        if manifest["database"] != kind:
            raise InvalidInput("ARCHIVE", f"holds a {manifest['database']} database; this installation uses {kind}")
        _refuse_to_overwrite(url, force)
        with tempfile.TemporaryDirectory(prefix="centralita-restore-") as scratch:
            members = [m for m in archive.getmembers() if m.name.startswith(("database.", "audio/")) and m.isfile()]
            for member in track(members, "unpacking"):
                archive.extract(member, scratch, filter="data")
            if kind == "sqlite":
                _restore_sqlite(Path(scratch) / "database.sqlite3", _sqlite_path(url))
            else:
                _pg_restore(url, Path(scratch) / "database.pgdump")
            audio_files = _move_audio(Path(scratch) / "audio", data_dir / "audio")
    database = dbmod.connect(url)  # an archive older than the code gets its schema upgraded here
    _repoint_audio(database, Path(manifest["data_dir"]), data_dir)
    database.close()
    return Done(Path(archive_path), kind, audio_files)


def _manifest(archive: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(archive.extractfile(MANIFEST))
    except (KeyError, ValueError, TypeError):
        raise InvalidInput("ARCHIVE", "is not a Centralita backup (no manifest.json)") from None
    if manifest.get("format") != FORMAT:
        raise InvalidInput("ARCHIVE", f"is a backup of format {manifest.get('format')!r}; this version reads {FORMAT}")
    return manifest


def _refuse_to_overwrite(url: str, force: bool) -> None:
    if force or (_kind(url) == "sqlite" and not _sqlite_path(url).exists()):
        return
    database = dbmod.open_database(url)
    try:
        holds = database.table_exists("tenant") and database.execute_sql("SELECT COUNT(*) FROM tenant").fetchone()[0]
    finally:
        database.close()
    if holds:
        raise InvalidInput("--force", f"the database already holds {holds} tenant(s); restoring replaces them all: "
                                      "say --force if that is what you want")


def _restore_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)
    finally:
        src.close()
        dst.close()


def _pg_restore(url: str, dump: Path) -> None:
    if shutil.which("pg_restore") is None:
        raise CannotStart(f"pg_restore is not installed: install postgresql-client, or restore {dump.name} "
                          "by hand with `pg_restore --clean --if-exists --no-owner --dbname=<database>`")
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={_libpq_url(url)}", str(dump)], "pg_restore")


def _move_audio(unpacked: Path, library: Path) -> int:
    count = 0
    for path in sorted(p for p in unpacked.rglob("*") if p.is_file()):
        target = library / path.relative_to(unpacked)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)
        count += 1
    return count


def _repoint_audio(database, old_data_dir: Path, new_data_dir: Path) -> None:
    """The library's rows keep absolute paths: move them from the backed-up data_dir to this one."""
    if old_data_dir == new_data_dir:
        return
    old_prefix, new_prefix = str(old_data_dir / "audio") + os.sep, str(new_data_dir / "audio") + os.sep
    with database.atomic():
        for row in AudioFile.select().where(AudioFile.path.startswith(old_prefix)):
            AudioFile.update(path=new_prefix + row.path[len(old_prefix):]).where(AudioFile.id == row.id).execute()
