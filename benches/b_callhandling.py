"""Call handling on the dialplan hot path: a call to a user with forwards, simultaneous ring,
restrictions and a caller-name probe, vs a bare form parser (same targets as B2: ≥ 0.6× the bare
app's throughput, handler p99 < 1 ms, 2 clients, Connection: close).

Every tenant's users have call-handling rows (no-answer forward, busy forward, a simultaneous-ring
leg, a user restriction), so each request runs the full plan: the router's user lookup, the one
call-handling statement and the caller-name probe (the caller is an external E.164 number).
"""
from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benches.harness import ROOT, measure, populate, report  # noqa: E402

RECORDED = ROOT / "tests" / "fixtures" / "freeswitch" / "xml_curl" / "08_inbound_did_public_then_tenant.json"
TENANTS, USERS = 1000, 100


def add_call_handling(path: Path) -> None:
    conn = sqlite3.connect(path)
    now = "2026-01-01 00:00:00"
    user_ids = [row[0] for row in conn.execute('SELECT id FROM "user" ORDER BY id')]
    conn.executemany(
        "INSERT INTO call_handling (user_id, forward_always, forward_no_answer, no_answer_seconds, forward_busy, "
        "forward_not_registered, dnd, dnd_mode, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        ((uid, None, f"voicemail:{uid}", 25, "number:+34911234567", None, 0, "busy", now) for uid in user_ids))
    conn.executemany(
        "INSERT INTO sim_ring (user_id, destination, delay, confirm, created_at) VALUES (?,?,?,?,?)",
        ((uid, "number:+34600123456", 5, 1, now) for uid in user_ids))
    conn.executemany(
        "INSERT INTO outbound_restriction (tenant_id, user_id, allowed, updated_at) VALUES (?,?,?,?)",
        ((t, None, "national,mobile", now) for t in range(1, TENANTS + 1)))
    conn.commit()
    conn.close()


def add_contacts(path: Path, count: int) -> None:
    """`count` common contacts spread over the tenants (issue [8]: B2 must hold with 1,000,000)."""
    conn = sqlite3.connect(path)
    now = "2026-01-01 00:00:00"
    with conn:
        conn.executemany("INSERT INTO contact (id, tenant_id, owner_id, name, created_at, updated_at) "
                         "VALUES (?, ?, NULL, ?, ?, ?)",
                         ((c, c % TENANTS + 1, f"Contact {c}", now, now) for c in range(1, count + 1)))
        conn.executemany("INSERT INTO contact_number (contact_id, tenant_id, kind, number, e164) "
                         "VALUES (?, ?, 'work', ?, ?)",
                         ((c, c % TENANTS + 1, f"91{c:07d}", f"+3491{c:07d}") for c in range(1, count + 1)))
    conn.execute("ANALYZE")
    conn.close()


def bodies(count: int = 500) -> list[bytes]:
    fields = json.loads(RECORDED.read_text())["exchanges"][1]["request"]["fields"]
    rng = random.Random(6)
    out = []
    for _ in range(count):
        tenant, extension = rng.randint(1, TENANTS), str(1000 + rng.randint(0, USERS - 1))
        context = f"t{tenant}.example"
        # Callers as carriers send them: national digits half the time, +E.164 otherwise.
        caller = rng.choice(("+3491", "91")) + f"{rng.randint(0, 9999999):07d}"
        out.append(urlencode({**fields, "Hunt-Context": context, "Caller-Context": context,
                              "Hunt-Destination-Number": extension, "Caller-Destination-Number": extension,
                              "Caller-Caller-ID-Number": caller, "Hunt-Caller-ID-Number": caller}).encode())
    return out


def check(body: bytes, response: bytes) -> None:
    if b"group_confirm_key=1" not in response or b"transfer_on_fail=" not in response:
        raise AssertionError(f"not the full plan: {response[-600:]!r}")


def main(seconds: float = 5.0, contacts: int = 0) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        populate(db_path, tenants=TENANTS, users_per_tenant=USERS)
        add_call_handling(db_path)
        if contacts:
            add_contacts(db_path, contacts)
            print(f"with {contacts:,} contacts in the database")
        requests = bodies()
        ceiling = measure("bare", db_path, requests, seconds)
        measured = measure("centralita", db_path, requests, seconds, check=check)
        return report("call to a user with call handling", measured, ceiling, min_ratio=0.6, p99_ms=1.0)


if __name__ == "__main__":
    # `--contacts 1000000`: the same measurement with a million contacts behind the caller-name probe.
    wanted = int(sys.argv[sys.argv.index("--contacts") + 1]) if "--contacts" in sys.argv else 0
    sys.exit(0 if main(contacts=wanted) else 1)
