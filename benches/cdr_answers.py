"""The call log B5's posts leave, written out to compare a change of the CDR ingest path before and after.

The recorded mod_json_cdr posts (benches/bodies.py cdr_posts, the same seed and data set as
benches/cdr_instructions.py) go through the web app `serve --only web` builds, in rounds of
`--together` at once (one group commit each), into a fresh copy of the bench's `calls` data set.
Then every leg and entry those posts stored is written out, one line each, in a stable order:
a change meant to cost less must leave the file byte-identical, on both engines and at 1 and 16
together (a leg filed alone and a batch take different paths: store.file_leg, store.file_legs).

    PYTHONHASHSEED=0 python -m benches.cdr_answers [--engine sqlite|postgresql] [--together N] OUT
    diff BEFORE OUT

A leg's `received_at` (the clock) and an entry's `id` (the sequence: on PostgreSQL two filers
interleave) are left out; everything else the call log shows or re-classifies from is in.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from benches import cdr_instructions

ROOT = Path(__file__).resolve().parents[1]
ENTRY_COLUMNS = ("tenant_id, user_id, call_id, kind, status, direction, started_at, caller_name, caller_number,"
                 " callee, answered_by, ring_seconds, talk_seconds, cause")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benches.cdr_answers", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--together", type=int, default=16, help="posts at once: one group commit (default 16)")
    parser.add_argument("--legs", type=int, default=640, help="legs posted (default 640)")
    parser.add_argument("--calls", type=int, default=20_000, help="calls the database holds before (default 20,000)")
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    shape = argparse.Namespace(engine=args.engine, calls=args.calls, tenants=20, users=10)
    subprocess.run([sys.executable, "-m", "benches.cdr_instructions", "--engine", args.engine, "--calls",
                    str(args.calls), "--build"], cwd=ROOT, check=True)
    from fs_plugins.launcher import make_cooperative

    make_cooperative()
    import gevent

    from benches import bodies, datasets
    from fs_plugins.dbpool import release

    scale, url = cdr_instructions._data_set(shape, fresh_copy=True)
    try:
        app, database, stop = cdr_instructions._app(url, cdr_instructions._Counter())
        posts = list(bodies.cdr_posts(scale, args.legs, seed=17))
        answers = []

        def post(path_and_body):
            path, body = path_and_body
            b"".join(app(cdr_instructions._environ(path, body), lambda s, h, e=None: answers.append(s)))

        for start in range(0, len(posts), args.together):
            gevent.joinall([gevent.spawn(post, item) for item in posts[start:start + args.together]],
                           raise_error=True)
        release(database)
        uuids = sorted(path.partition("uuid=")[2] for path, _ in posts)
        lines = [f"answers\t{sorted(set(answers))}\n"]
        lines += _rows(database, "leg", "SELECT uuid, call_id, tenant_domain, facts FROM cdr_leg WHERE uuid IN ({})"
                       " ORDER BY uuid", uuids)
        calls = sorted({row[0] for row in database.execute_sql(
            _in("SELECT call_id FROM cdr_leg WHERE uuid IN ({})", database, len(uuids)), uuids).fetchall()})
        lines += _rows(database, "entry", f"SELECT {ENTRY_COLUMNS} FROM call_entry WHERE call_id IN ({{}})"
                       f" ORDER BY call_id, id", calls)
        release(database)
        stop()
        database.close_all()
    finally:
        datasets.discard(url)
    args.out.write_text("".join(lines))
    print(f"{len(lines)} lines written to {args.out} ({len(uuids)} legs posted, {len(calls)} calls)")
    return 0


def _in(sql: str, database, count: int) -> str:
    marker = "%s" if "Postgres" in type(database).__name__ else "?"
    return sql.format(", ".join([marker] * count))


def _rows(database, name: str, sql: str, keys: list) -> list[str]:
    rows = database.execute_sql(_in(sql, database, len(keys)), keys).fetchall() if keys else []
    return [name + "\t" + "\t".join(repr(value) for value in row) + "\n" for row in rows]


if __name__ == "__main__":
    sys.exit(main())
