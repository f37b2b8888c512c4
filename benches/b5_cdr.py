"""B5: CDR ingest rate, one user's month page over 1,000,000 call-log rows, CSV export rate and memory.

Run: .venv/bin/python benches/b5_cdr.py [--rows 1000000] [--posts 3000] [--csv-rows 200000]

Each figure is printed with its target and with a ceiling measured in the same run on the same
machine, so the ratio says how much our code costs over the bare minimum:

1. ingest: recorded mod_json_cdr bodies (fresh uuids) posted through the receiver WSGI app, one
   transaction per post as in production. Ceiling: `json.loads` of the same bodies plus one
   batched raw INSERT of the legs (what the database alone can absorb). Target >= 1,000 posts/s.
2. month page: `calllog.log.page` (tenant + user lookup, filtered query, rows -> entries in the
   tenant's zone) for random users and months. The table is filled with batched raw inserts
   (indexes rebuilt after; about 20 s for 1M rows). Ceiling: the page's bare SQL on the cursor. Target p99 < 20 ms.
3. CSV: `calllog.export.export` of a tenant-wide query to a null sink. Ceiling: the raw cursor
   rows through csv.writer. Target >= 50,000 rows/s; memory: tracemalloc peak for the full export
   vs. one tenth of it (flat = same peak, whatever the size).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid as uuidlib
from pathlib import Path
from wsgiref.util import setup_testing_defaults

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fs_plugins import db as dbmod  # noqa: E402
from fs_plugins.calllog import export as exportmod  # noqa: E402
from fs_plugins.calllog import log as logmod  # noqa: E402
from fs_plugins.calllog.receiver import make_cdr_app  # noqa: E402
from fs_plugins.config import Config  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "freeswitch" / "json_cdr"
TENANTS, USERS_PER_TENANT = 10, 100
YEAR_START = int(dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc).timestamp())


def recorded_calls() -> list[list[str]]:
    calls = []
    for path in sorted(FIXTURES.glob("*.json")):
        if path.name == "manifest.json":
            continue
        data = json.loads(path.read_text())
        calls.append([leg.get("body_raw") or json.dumps(leg["body"], separators=(",", ":"), ensure_ascii=False)
                      for leg in data["legs"]])
    return calls


def fresh_bodies(count: int) -> list[bytes]:
    """`count` leg bodies: the recorded calls again and again, each time with new uuids."""
    templates, bodies, rng = recorded_calls(), [], random.Random(5)
    while len(bodies) < count:
        for legs in templates:
            text = legs
            for old in {json.loads(body)["variables"]["uuid"] for body in legs}:
                new = str(uuidlib.UUID(int=rng.getrandbits(128)))
                text = [body.replace(old, new) for body in text]
            bodies.extend(body.encode() for body in text)
    return bodies[:count]


def environ_for(body: bytes) -> dict:
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(REQUEST_METHOD="POST", PATH_INFO="/cdr", CONTENT_TYPE="application/json",
                   CONTENT_LENGTH=str(len(body)), QUERY_STRING="")
    environ["wsgi.input"] = io.BytesIO(body)
    return environ


def bench_ingest(db, posts: int) -> None:
    db.execute_sql("INSERT INTO tenant (name, domain, timezone, language, country, created_at)"
                   " VALUES ('Acme', 'acme.example', 'Europe/Madrid', 'es', 'ES', '2026-01-01')")
    acme = db.execute_sql("SELECT id FROM tenant WHERE domain = 'acme.example'").fetchone()[0]
    db.cursor().executemany(  # the recorded calls' users, so every post also writes its entries
        'INSERT INTO "user" (tenant_id, extension, display_name, enabled, a1_hash, created_at, updated_at)'
        " VALUES (?, ?, ?, 1, ?, '2026-01-01', '2026-01-01')",
        [(acme, ext, ext, "0" * 32) for ext in ("1001", "1002", "1003", "1004", "1005")])
    bodies = fresh_bodies(posts * 2)
    ours, ceiling_bodies = bodies[:posts], bodies[posts:]
    app, statuses = make_cdr_app(Config(), db), []
    environs = [environ_for(body) for body in ours]  # what the HTTP server hands over
    started = time.perf_counter()
    for environ in environs:
        app(environ, lambda status, headers: statuses.append(status))
    ingest = posts / (time.perf_counter() - started)
    assert all(s.startswith("200") for s in statuses), set(statuses)
    started = time.perf_counter()
    rows = []
    for body in ceiling_bodies:
        doc = json.loads(body)
        rows.append((doc["variables"]["uuid"] + "-c", doc["variables"]["uuid"], None, "2026-01-01", "{}"))
    with db.atomic():
        db.cursor().executemany("INSERT INTO cdr_leg (uuid, call_id, tenant_domain, received_at, facts)"
                                " VALUES (?, ?, ?, ?, ?)", rows)
    ceiling = posts / (time.perf_counter() - started)
    report("ingest", f"{ingest:,.0f} posts/s", ingest / ceiling, "ceiling json.loads+batched insert",
           f"{ceiling:,.0f}/s", ingest >= 1000, ">= 1,000 posts/s")


def fill(db, rows: int) -> list[tuple[int, int]]:
    """`rows` call-log rows over TENANTS x USERS_PER_TENANT users and one year, by batched raw inserts."""
    tenants = []
    for t in range(TENANTS):
        db.execute_sql("INSERT INTO tenant (name, domain, timezone, language, country, created_at)"
                       " VALUES (?, ?, 'Europe/Madrid', 'es', 'ES', '2026-01-01')", (f"T{t}", f"t{t}.example"))
        tenant_id = db.execute_sql("SELECT id FROM tenant WHERE domain = ?", (f"t{t}.example",)).fetchone()[0]
        db.cursor().executemany(
            'INSERT INTO "user" (tenant_id, extension, display_name, enabled, a1_hash, created_at, updated_at)'
            " VALUES (?, ?, ?, 1, ?, '2026-01-01', '2026-01-01')",
            [(tenant_id, str(1000 + u), f"User {u}", "0" * 32) for u in range(USERS_PER_TENANT)])
        tenants.append(tenant_id)
    users = db.execute_sql('SELECT u.tenant_id, u.id FROM "user" u JOIN tenant t ON t.id = u.tenant_id'
                           " WHERE t.domain LIKE 't%.example'").fetchall()
    rng, kinds = random.Random(1), [("made", "made"), ("received", "received"), ("missed", "missed")]
    sql = ("INSERT INTO call_entry (tenant_id, user_id, call_id, kind, status, direction, started_at, caller_name,"
           " caller_number, callee, answered_by, ring_seconds, talk_seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
    # Bulk load as a database restore would: indexes dropped, rows in big batches, indexes rebuilt.
    indexes = db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                             " AND tbl_name = 'call_entry' AND sql IS NOT NULL").fetchall()
    for name, _ in indexes:
        db.execute_sql(f'DROP INDEX "{name}"')
    db.execute_sql("PRAGMA synchronous = OFF")
    batch = 100_000
    for offset in range(0, rows, batch):
        chunk = []
        picks = rng.choices(users, k=min(rows, offset + batch) - offset)
        moments = [YEAR_START + int(rng.random() * 365 * 86400) for _ in picks]
        for i, (tenant_id, user_id), started in zip(range(offset, rows), picks, moments):
            kind, status = kinds[i % 3]
            chunk.append((tenant_id, user_id, f"call-{i}", kind, status, "inbound", started,
                          "Ana", "+34911000111", "1002", "", 3, 42))
        with db.atomic():
            db.cursor().executemany(sql, chunk)
    for _, create in indexes:
        db.execute_sql(create)
    db.execute_sql("PRAGMA synchronous = NORMAL")
    db.execute_sql("ANALYZE")
    return users


def bench_month_page(db, users, samples: int = 1000) -> None:
    domains = dict(db.execute_sql("SELECT id, domain FROM tenant").fetchall())
    extensions = dict(db.execute_sql('SELECT id, extension FROM "user"').fetchall())
    rng, ours, bare = random.Random(2), [], []
    for _ in range(samples):
        tenant_id, user_id = users[rng.randrange(len(users))]
        day = dt.date(2026, rng.randrange(1, 13), 15)
        query = logmod.LogQuery(tenant=domains[tenant_id], user=extensions[user_id], period="month", day=day)
        started = time.perf_counter()
        page = logmod.page(db, query)
        ours.append(time.perf_counter() - started)
        assert page.entries
        start, end = logmod.period_bounds("month", day, logmod.tenant_zone("Europe/Madrid"))
        started = time.perf_counter()
        db.execute_sql(f"SELECT {logmod.COLUMNS} FROM call_entry e LEFT JOIN \"user\" u ON u.id = e.user_id"
                       " WHERE e.tenant_id = ? AND e.user_id = ? AND e.started_at >= ? AND e.started_at < ?"
                       " ORDER BY e.started_at DESC, e.id DESC LIMIT 51", (tenant_id, user_id, start, end)).fetchall()
        bare.append(time.perf_counter() - started)
    p99, bare99 = percentile(ours, 99) * 1000, percentile(bare, 99) * 1000
    report("month page", f"p99 {p99:.2f} ms (median {statistics.median(ours) * 1000:.2f} ms)", bare99 / p99,
           "ceiling bare SQL p99", f"{bare99:.2f} ms", p99 < 20, "p99 < 20 ms")


def bench_csv(db, csv_rows: int) -> None:
    tenant_id = db.execute_sql("SELECT id FROM tenant WHERE domain = 't0.example'").fetchone()[0]
    available = db.execute_sql("SELECT count(*) FROM call_entry WHERE tenant_id = ?", (tenant_id,)).fetchone()[0]
    query = logmod.LogQuery(tenant="t0.example")
    rates, ceilings = [], []
    for _ in range(2):  # alternated, best of two: the machine is shared
        started = time.perf_counter()
        raw = raw_csv(db, tenant_id, csv_rows)
        ceilings.append(raw / (time.perf_counter() - started))
        started = time.perf_counter()
        count = export_to(db, query, NullSink(), csv_rows)
        rates.append(count / (time.perf_counter() - started))
    rate, ceiling = max(rates), max(ceilings)
    # tracemalloc slows Python down ~3x: the memory check uses half the rows, and a tenth of that.
    small_peak = traced_peak(lambda: export_to(db, query, NullSink(), count // 20))
    full_peak = traced_peak(lambda: export_to(db, query, NullSink(), count // 2))
    report("csv export", f"{rate:,.0f} rows/s ({count:,} of {available:,} rows)", rate / ceiling,
           "ceiling raw cursor+csv.writer", f"{ceiling:,.0f} rows/s", rate >= 50_000, ">= 50,000 rows/s")
    flat = full_peak < small_peak * 1.5 + 256 * 1024
    report("csv memory", f"peak {full_peak / 1024:,.0f} KiB for {count // 2:,} rows", small_peak / full_peak,
           f"peak for {count // 20:,} rows", f"{small_peak / 1024:,.0f} KiB", flat, "flat (same peak)")


def raw_csv(db, tenant_id: int, limit: int) -> int:
    """The floor: one query's raw rows through csv.writer into a buffer, flushed every 500 rows."""
    cursor = db.execute_sql(f"SELECT {logmod.COLUMNS} FROM call_entry e LEFT JOIN \"user\" u ON u.id = e.user_id"
                            " WHERE e.tenant_id = ? ORDER BY e.started_at DESC, e.id DESC LIMIT ?", (tenant_id, limit))
    buffer, sink, count = io.StringIO(), NullSink(), 0
    write = csv.writer(buffer).writerow
    for row in cursor:
        write(row)
        count += 1
        if count % 500 == 0:
            sink.write(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    sink.write(buffer.getvalue())
    return count


class NullSink:
    def write(self, text):
        return len(text)


def export_to(db, query, sink, limit: int) -> int:
    """Stream the export into `sink`, stopping after about `limit` rows (the header excluded)."""
    rows = 0
    for chunk in exportmod.export(db, query):
        sink.write(chunk)
        rows += chunk.count("\n")
        if rows > limit:
            break
    return rows - 1


def traced_peak(action) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def percentile(values, pct) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


def report(name, figure, ratio, ceiling_name, ceiling, ok, target) -> None:
    print(f"B5 {name:11s} {figure:45s} {ceiling_name}: {ceiling:>14s}  ratio {ratio:5.2f}  "
          f"target {target}: {'PASS' if ok else 'FAIL'}", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="call-log rows for the page query")
    parser.add_argument("--posts", type=int, default=2000, help="CDR legs posted for the ingest rate")
    parser.add_argument("--csv-rows", type=int, default=100_000, help="rows exported for the CSV rate")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        db = dbmod.connect(f"sqlite:///{folder}/b5.db")
        began = time.perf_counter()
        bench_ingest(db, args.posts)
        started = time.perf_counter()
        users = fill(db, args.rows)
        print(f"B5 filled {args.rows:,} call-log rows in {time.perf_counter() - started:.1f} s", flush=True)
        bench_month_page(db, users)
        bench_csv(db, args.csv_rows)
        print(f"B5 total {time.perf_counter() - began:.1f} s")
        db.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
