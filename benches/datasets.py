"""The bench data sets: built once with bulk inserts, kept between runs outside git.

Folder: $CENTRALITA_BENCH_DATA, default ~/.cache/centralita-bench (SQLite files); PostgreSQL data
sets are databases named centralita_bench_<set>_<scale> on $CENTRALITA_BENCH_PG_URL's server. A set is
rebuilt when its scale, the schema versions or this code change (the key below).

`pbx` (the xml_curl paths): T tenants (domain t<N>.example, Spain) × U users (extensions 1000…),
every user with a voicemail box and full call handling (no answer → voicemail, busy → a number,
a simultaneous-ring leg), a restriction per tenant, one IVR menu (option 1 → a user, 2 → the
group) and one call group (5 members) per tenant, both also on short numbers, 10 DIDs per tenant
(+3491<tenant:04><n:03>: 0–7 → users 1000–1007, 8 → the IVR, 9 → the group), and C contacts
(70 % common, 30 % a user's own) with one mobile number each (+346<contact:08>).
`calls` (B5): the same tenants and users and R call-log entries, each with its CDR leg.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(os.environ.get("CENTRALITA_BENCH_DATA") or Path.home() / ".cache" / "centralita-bench")
PG_URL = os.environ.get("CENTRALITA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_PREFIX = "centralita_bench"  # data set databases are <prefix>_<set>_<scale>
NOW = "2026-01-01 00:00:00"
YEAR_START = 1767225600  # 2026-01-01T00:00:00Z
DIDS_PER_TENANT, IVR_DID, GROUP_DID = 10, 8, 9
GROUP_MEMBERS = 5


@dataclass(frozen=True)
class Scale:
    label: str
    tenants: int
    users: int  # per tenant
    contacts: int
    calls: int


FULL = Scale("full", 1000, 100, 1_000_000, 1_000_000)
QUICK = Scale("quick", 100, 100, 100_000, 100_000)
TINY = Scale("tiny", 3, 10, 60, 200)


def user_id(scale: Scale, tenant: int, index: int) -> int:
    return (tenant - 1) * scale.users + index + 1


def did(tenant: int, index: int) -> str:
    return f"+3491{tenant:04d}{index:03d}"


def contact_e164(contact: int) -> str:
    return f"+346{contact:08d}"


def contact_tenant(scale: Scale, contact: int) -> int:
    return contact % scale.tenants + 1


def database_url(engine: str, kind: str, scale: Scale, fresh_copy: bool = False) -> str:
    """The URL of the data set `kind` on `engine` (sqlite or postgresql), built if needed.
    `fresh_copy`: a copy a bench may write into (the cached set stays as built)."""
    key = _key(kind, scale)
    name = f"{kind}_{scale.label}"
    if engine == "sqlite":
        path = _sqlite_set(name, key, kind, scale)
        if fresh_copy:
            copy = path.with_name(f"run-{os.getpid()}-{path.name}")
            shutil.copyfile(path, copy)
            path = copy
        return f"sqlite:///{path}"
    database = _postgres_set(name, key, kind, scale)
    if fresh_copy:
        database = _postgres_copy(database)
    return _pg_url(database)


def discard(url: str) -> None:
    """Remove a fresh copy made by database_url(…, fresh_copy=True)."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        _admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _key(kind: str, scale: Scale) -> str:
    from fs_plugins.db import latest_version
    from fs_plugins.plugins import installed

    here = Path(__file__).parent
    components = installed().components
    parts = [kind, repr(scale), repr([(name, latest_version(steps)) for name, _, steps in components]),
             *((here / f).read_text() for f in ("datasets.py", "bulk.py", "populate.py"))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _sqlite_set(name: str, key: str, kind: str, scale: Scale) -> Path:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"{name}-{key}.db"
    if path.exists():
        return path
    for stale in DATA_DIR.glob(f"{name}-*.db"):
        stale.unlink()
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    _build(f"sqlite:///{building}", kind, scale)
    building.rename(path)
    return path


def _postgres_set(name: str, key: str, kind: str, scale: Scale) -> str:
    database = f"{PG_PREFIX}_{name}"
    if _postgres_key(database) == key:
        return database
    _admin(f'DROP DATABASE IF EXISTS "{database}"')
    _admin(f'CREATE DATABASE "{database}"')
    _build(_pg_url(database), kind, scale)
    from fs_plugins import db as dbmod

    db = dbmod.open_database(_pg_url(database))
    db.execute_sql("CREATE TABLE bench_dataset (key TEXT NOT NULL)")
    db.execute_sql("INSERT INTO bench_dataset VALUES (%s)", (key,))
    db.close()
    return database


def _postgres_key(database: str) -> str | None:
    import psycopg2

    try:
        conn = psycopg2.connect(_pg_url(database))
    except psycopg2.OperationalError:
        return None
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT key FROM bench_dataset")
            return cursor.fetchone()[0]
    except psycopg2.Error:
        return None
    finally:
        conn.close()


def _postgres_copy(database: str) -> str:
    copy = f"{database}_run_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{copy}"')
    _admin(f'CREATE DATABASE "{copy}" TEMPLATE "{database}"')
    return copy


def _pg_url(database: str) -> str:
    return PG_URL.rsplit("/", 1)[0] + "/" + database


def _admin(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(PG_URL)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql)
    finally:
        conn.close()


def _build(url: str, kind: str, scale: Scale) -> None:
    from benches import populate
    from benches.bulk import Loader
    from fs_plugins import db as dbmod

    db = dbmod.connect(url)
    loader = Loader(db)
    if not loader.postgres:
        db.execute_sql("PRAGMA journal_mode=OFF")
        db.execute_sql("PRAGMA synchronous=OFF")
    indexes = loader.drop_indexes()
    with db.atomic():
        tables = populate.BUILDERS[kind](loader, scale)
    loader.finish(indexes, tables)
    if not loader.postgres:
        db.execute_sql("PRAGMA journal_mode=WAL")  # as Centralita runs it
    db.close()
