"""B2: dialplan fetch for a DID and for a number that does not exist, vs a bare form parser.

Same targets as B1: ≥ 0.6× the bare app's throughput, handler p99 < 1 ms, 2 concurrent clients,
Connection: close. The body is the recorded inbound-DID dialplan request (166 fields).
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

RECORDED = ROOT / "tests" / "fixtures" / "freeswitch" / "xml_curl" / "08_inbound_did_public_then_tenant.json"


def bodies(existing: bool, count: int = 500) -> list[bytes]:
    fields = json.loads(RECORDED.read_text())["exchanges"][0]["request"]["fields"]
    rng = random.Random(2)
    out = []
    for _ in range(count):
        tenant, did = rng.randint(1, 1000), rng.randint(0, 9)
        number = f"3491{tenant:04d}{did:03d}" if existing else f"3499{tenant:04d}{did:03d}"
        out.append(urlencode({**fields, "Hunt-Destination-Number": number, "Caller-Destination-Number": number,
                              "variable_sip_req_user": number, "variable_sip_to_user": number}).encode())
    return out


def expect(found: bool):
    def check(body: bytes, response: bytes) -> None:
        if (b'application="transfer"' in response) != found:
            raise AssertionError(f"unexpected answer: {response[-400:]!r}")
    return check


def main(seconds: float = 5.0) -> bool:
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        populate(db_path)
        for label, existing in (("DID", True), ("unknown number", False)):
            requests = bodies(existing)
            ceiling = measure("bare", db_path, requests, seconds)
            measured = measure("centralita", db_path, requests, seconds, check=expect(existing))
            ok &= report(f"B2 dialplan {label}", measured, ceiling, min_ratio=0.6, p99_ms=1.0)
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
