"""What PostgreSQL's backends spend on an in-process app's requests: their CPU and the round trips.

B6's and B7's loaded windows on PostgreSQL slow sip_auth mostly through the API's backends running on
the handler's core (docs/benchmarks.md: ~1 ms of backend CPU per API request). Wall clock cannot say
which request costs what on a shared machine; the backends' own CPU counters can:
/proc/<pid>/schedstat's first field is the nanoseconds a process ran. `Backends(url)` sums it over
every backend connected to the database (its own watching connection left out) before and after a
loop; `RoundTrips` counts what psycopg2 sends, so a change that saves statements shows as a number
a test can hold.

Used by benches/api_instructions.py and benches/portal_instructions.py (`--backends`). The CPU
figure is per process and so not disturbed by what else runs, but a backend's work varies a
little (caches, autovacuum next door): repeat and take the median.
"""
from __future__ import annotations

from pathlib import Path


def _ran_ns(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (FileNotFoundError, ProcessLookupError):
        return None  # it ended between the listing and the read


class Backends:
    """The CPU of the backends connected to `url`'s database, read on this machine's /proc."""

    def __init__(self, url: str):
        import psycopg2

        self.conn = psycopg2.connect(url)
        self.conn.autocommit = True

    def _pids(self) -> list[int]:
        with self.conn.cursor() as cursor:
            # client backends only: an autovacuum worker analysing the grown tables is no request's
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
            return [pid for (pid,) in cursor.fetchall()]

    def ran(self) -> dict[int, int]:
        """Nanoseconds on a CPU so far, by backend."""
        return {pid: ns for pid in self._pids() if (ns := _ran_ns(pid)) is not None}

    @staticmethod
    def spent(before: dict[int, int], after: dict[int, int]) -> int:
        """Nanoseconds the backends ran between two `ran()` (a backend born meanwhile: all of its)."""
        return sum(ns - before.get(pid, 0) for pid, ns in after.items())

    def close(self) -> None:
        self.conn.close()


class RoundTrips:
    """Every text psycopg2 sends on any connection opened from now on (one round trip each; a text
    may carry several statements separated by "; ", as prepared statements and few_trips send)."""

    def __init__(self):
        import psycopg2.extensions

        self.texts: list[str] = []
        self.prepared: dict[str, str] = {}  # name → SQL, of every PREPARE seen (for a listing)
        texts, prepared = self.texts, self.prepared

        class Counted(psycopg2.extensions.cursor):
            def execute(self, query, vars=None):
                text = query if isinstance(query, str) else str(query)
                texts.append(text)
                for part in text.split("; "):
                    if part.startswith("PREPARE "):
                        name, _, sql = part[len("PREPARE "):].partition(" AS ")
                        prepared[name] = sql
                return super().execute(query, vars)

        connect = psycopg2.connect

        def counted(*args, **kwargs):
            conn = connect(*args, **kwargs)
            conn.cursor_factory = Counted
            return conn

        psycopg2.connect = counted

    def statements(self) -> int:
        return sum(len(text.split("; ")) for text in self.texts)

    def shown(self, text: str) -> str:
        """`text` with each EXECUTE followed by the SQL it runs."""
        return "; ".join(f"{part}  -- {self.prepared.get(part.split()[1].split('(')[0], '?')}"
                         if part.startswith("EXECUTE ") else part for part in text.split("; "))
