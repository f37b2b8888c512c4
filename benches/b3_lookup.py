"""B3: the directory lookup itself (xml_curl.lookups) against raw sqlite3 running the same SQL.

Target: ≤ 3× raw sqlite3 (peewee's query builder measured 30–40× on this lookup).
"""
from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benches.harness import populate  # noqa: E402


def best_of(runs: int, fn) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main(lookups_per_run: int = 20000) -> bool:
    from fs_plugins import db as dbmod
    from fs_plugins.models import Tenant, User
    from xml_curl.lookups import Lookups

    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        populate(db_path)
        keys = [(f"t{random.Random(i).randint(1, 1000)}.example", str(1000 + i % 100)) for i in range(lookups_per_run)]
        lookups = Lookups(dbmod.connect(f"sqlite:///{db_path}"))
        raw = sqlite3.connect(db_path)
        sql = lookups._sql_user

        def ours():
            for domain, ext in keys:
                assert lookups.user(domain, ext) is not None

        def bare():
            for domain, ext in keys:
                assert raw.execute(sql, (domain, ext)).fetchall()

        def query_builder():
            for domain, ext in keys[:2000]:
                User.select(User, Tenant).join(Tenant).where(Tenant.domain == domain, User.extension == ext).get()

        ours_s, bare_s = best_of(5, ours), best_of(5, bare)
        builder_s = best_of(3, query_builder) * lookups_per_run / 2000
    ratio = ours_s / bare_s
    per = 1e6 / lookups_per_run
    print(f"B3 lookup: centralita {ours_s * per:.1f} µs/lookup | raw sqlite3 {bare_s * per:.1f} µs | "
          f"peewee query builder {builder_s * per:.1f} µs ({builder_s / bare_s:.1f}× raw)")
    ok = ratio <= 3.0
    print(f"B3 lookup: ratio {ratio:.2f}× raw sqlite3 (target ≤ 3) → {'PASS' if ok else 'FAIL'}")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
