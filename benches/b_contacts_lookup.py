"""Benchmark: the caller-name lookup (fs_plugins.contacts.caller_name) with 1,000,000 contacts.

Builds a SQLite database with Centralita's real schema (indexes included): 1,000 tenants, 10 users
each, 1,000,000 contacts (70 % common, 30 % personal) with one number each. Then runs the same
random mix of lookups (personal hits, common hits, user extensions, misses) through
  - raw sqlite3 executing the same SQL (the ceiling),
  - caller_name() through peewee's execute_sql (what the dialplan handler calls),
and prints microseconds per lookup and the ratio. Target: ratio <= 3.0 (B3 in issue 2), and the
lookup is one index probe (query plan printed).

Usage: .venv/bin/python benches/b_contacts_lookup.py [--contacts N] [--lookups N] [--keep PATH]
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time

from fs_plugins import db as dbmod
from fs_plugins.contacts.caller_name import caller_name, lookup_sql

TENANTS = 1000
USERS_PER_TENANT = 10
TARGET_RATIO = 3.0


def populate(path: str, contacts: int) -> None:
    dbmod.connect(f"sqlite:///{path}").close()  # the real schema, created by the real code
    raw = sqlite3.connect(path)
    # Bulk load: no journal, no fsync, a large cache, and the contact indexes built once at the end
    # (building an index from sorted data is far cheaper than a million random index inserts).
    raw.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-100000;")
    indexes = raw.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                          "AND tbl_name IN ('contact', 'contact_number')").fetchall()
    for name, _sql in indexes:
        raw.execute(f'DROP INDEX "{name}"')
    now = "2026-01-01 00:00:00"
    with raw:
        raw.executemany("INSERT INTO tenant (id, name, domain, timezone, language, country, created_at) "
                        "VALUES (?, ?, ?, 'Europe/Madrid', 'es', 'ES', ?)",
                        ((t, f"T{t}", f"t{t}.example", now) for t in range(1, TENANTS + 1)))
        raw.executemany("INSERT INTO user (id, tenant_id, extension, display_name, enabled, a1_hash, created_at, "
                        "updated_at) VALUES (?, ?, ?, ?, 1, 'x', ?, ?)",
                        ((user_id(t, u), t, str(100 + u), f"User {t}-{u}", now, now)
                         for t in range(1, TENANTS + 1) for u in range(USERS_PER_TENANT)))
        raw.executemany("INSERT INTO contact (id, tenant_id, owner_id, name, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        ((c, tenant_of(c), owner_of(c), f"Contact {c}", now, now) for c in range(1, contacts + 1)))
        raw.executemany("INSERT INTO contact_number (contact_id, tenant_id, kind, number, e164) "
                        "VALUES (?, ?, 'work', ?, ?)",
                        ((c, tenant_of(c), number_of(c)[3:], number_of(c)) for c in range(1, contacts + 1)))
        for _name, sql in indexes:
            raw.execute(sql)
    raw.execute("ANALYZE")
    raw.execute("PRAGMA journal_mode=WAL")  # as Centralita runs it
    raw.close()


def user_id(tenant: int, index: int) -> int:
    return (tenant - 1) * USERS_PER_TENANT + index + 1


def tenant_of(contact: int) -> int:
    return contact % TENANTS + 1


def owner_of(contact: int):
    """30 % of contacts are personal, owned by one of the tenant's users."""
    if contact % 10 < 7:
        return None
    return user_id(tenant_of(contact), (contact // TENANTS) % USERS_PER_TENANT)


def number_of(contact: int) -> str:
    return f"+346{contact:08d}"


def workload(contacts: int, lookups: int) -> list[tuple]:
    rng = random.Random(42)
    cases = []
    for i in range(lookups):
        tenant = rng.randint(1, TENANTS)
        callee = user_id(tenant, rng.randrange(USERS_PER_TENANT))
        pick = i % 4
        if pick in (0, 1):  # a contact of this tenant (personal or common)
            contact = rng.randrange(contacts // TENANTS) * TENANTS + tenant - 1 or TENANTS
            caller = number_of(contact)
        elif pick == 2:  # a colleague's extension
            caller = str(100 + rng.randrange(USERS_PER_TENANT))
        else:  # nobody we know
            caller = f"+3491{rng.randrange(10**7):07d}"
        cases.append((tenant, callee, caller))
    return cases


def time_raw(path: str, cases) -> tuple[float, int]:
    raw = sqlite3.connect(path)
    sql = lookup_sql("?")
    hits = 0
    start = time.perf_counter()
    for tenant, callee, caller in cases:
        row = raw.execute(sql, (tenant, caller, callee, tenant, caller, True)).fetchone()
        hits += row is not None
    elapsed = time.perf_counter() - start
    raw.close()
    return elapsed, hits


def time_caller_name(path: str, cases) -> tuple[float, int]:
    db = dbmod.connect(f"sqlite:///{path}", upgrade_schema=False)
    hits = 0
    start = time.perf_counter()
    for tenant, callee, caller in cases:
        hits += caller_name(db, tenant, callee, caller) is not None
    elapsed = time.perf_counter() - start
    db.close()
    return elapsed, hits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=50_000)
    parser.add_argument("--keep", help="keep (and reuse) the database at this path")
    args = parser.parse_args()
    path = args.keep or os.path.join(tempfile.mkdtemp(prefix="b_contacts_"), "bench.db")
    if not os.path.exists(path):
        start = time.perf_counter()
        populate(path, args.contacts)
        print(f"populated {args.contacts:,} contacts in {TENANTS:,} tenants in {time.perf_counter() - start:.1f} s")
    plan = sqlite3.connect(path).execute("EXPLAIN QUERY PLAN " + lookup_sql("?"), (1, "+34600000001", 1, 1, "100", 1))
    print("query plan:", "; ".join(row[-1] for row in plan.fetchall()))
    cases = workload(args.contacts, args.lookups)
    time_raw(path, cases[:2000])  # warm the page cache for both runs
    raw_s, raw_hits = time_raw(path, cases)
    ours_s, our_hits = time_caller_name(path, cases)
    assert raw_hits == our_hits, (raw_hits, our_hits)
    per = lambda s: s / len(cases) * 1e6  # noqa: E731
    ratio = ours_s / raw_s
    print(f"lookups: {len(cases):,} ({our_hits:,} named)")
    print(f"raw sqlite3, same SQL : {per(raw_s):7.1f} us/lookup")
    print(f"caller_name()         : {per(ours_s):7.1f} us/lookup")
    print(f"ratio {ratio:.2f}x (target <= {TARGET_RATIO}x): {'OK' if ratio <= TARGET_RATIO else 'OVER TARGET'}")
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        os.rmdir(os.path.dirname(path))
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
