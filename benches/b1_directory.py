"""B1: directory sip_auth with 100,000 users in 1,000 tenants vs a bare form-parsing pywsgi app.

Targets: ≥ 0.6× the bare app's throughput; p99 < 1 ms with 2 concurrent clients; Connection:
close on every request, as mod_xml_curl does. The request body is the recorded REGISTER.
"""
from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benches.harness import ROOT, measure, populate, report  # noqa: E402

RECORDED = ROOT / "tests" / "fixtures" / "freeswitch" / "xml_curl" / "02_register_sip_auth_ok.json"


def bodies(count: int = 500) -> list[bytes]:
    fields = json.loads(RECORDED.read_text())["exchanges"][0]["request"]["fields"]
    rng = random.Random(1)
    out = []
    for _ in range(count):
        tenant, user = rng.randint(1, 1000), 1000 + rng.randint(0, 99)
        domain = f"t{tenant}.example"
        out.append(urlencode({**fields, "key_value": domain, "domain": domain, "sip_auth_realm": domain,
                              "user": str(user), "sip_auth_username": str(user)}).encode())
    return out


def check(body: bytes, response: bytes) -> None:
    if b"a1-hash" not in response:
        raise AssertionError("the user was not found: the benchmark would measure misses")


def main(seconds: float = 5.0) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        populate(db_path)
        requests = bodies()
        ceiling = measure("bare", db_path, requests, seconds)
        measured = measure("centralita", db_path, requests, seconds, check=check)
    return report("B1 directory sip_auth", measured, ceiling, min_ratio=0.6, p99_ms=1.0)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
