"""B1: every xml_curl path FreeSWITCH waits on, against a server that does nothing, with wrk.

Paths (recorded FreeSWITCH bodies rewritten for the data set, benches/bodies.py):
  sip_auth          REGISTER/INVITE authentication (the user and its voicemail box)
  user_call         `bridge user/…` looking the callee up
  DID → IVR         a carrier's call to a DID routed to an IVR menu: the public-context fetch,
                    then the tenant-context fetch of the menu's routing extension (both, alternately)
  DID → group       the same for a call group
  extension → user  a call to a tenant's user with the full call-handling plan (forwards,
                    simultaneous ring, restrictions) and the caller named from the contacts
  DID not found     a number no tenant has
Scale (full): 100,000 users in 1,000 tenants, 1,000,000 contacts; SQLite and PostgreSQL.
Target per path, at 2 and 16 connections: ≥ 0.85× the ceiling's req/s, client p99 ≤ 1.5× its p99.

Run: .venv/bin/python -m benches.b1_xml_curl [--quick] [--engine sqlite|postgresql] [--path NAME]
(or all benches: python -m benches).
"""
from __future__ import annotations

import random
import sys

from benches import bodies, datasets
from benches.httpbench import HttpPath, compare

BENCH = "B1 xml_curl"
COUNT = 1000  # distinct bodies per path


def _has(*markers: bytes):
    def check(answer: bytes) -> str | None:
        missing = [m.decode() for m in markers if m not in answer]
        return f"missing {missing}" if missing else None
    return check


def _any_of(*markers: bytes):
    def check(answer: bytes) -> str | None:
        return None if any(m in answer for m in markers) else f"none of {[m.decode() for m in markers]}"
    return check


def paths(scale: datasets.Scale) -> list[HttpPath]:
    rng = random.Random(17)
    return [
        HttpPath(BENCH, "sip_auth", bodies.sip_auth(scale, COUNT, rng), _has(b'name="a1-hash"', b"vm-")),
        HttpPath(BENCH, "user_call", bodies.user_call(scale, COUNT, rng), _has(b'name="a1-hash"')),
        HttpPath(BENCH, "DID → IVR", bodies.did_call(scale, COUNT, rng, *bodies.PATH_DIDS["ivr"]),
                 _any_of(b'data="pbx-ivr-', b'data="pbx_flow=ivr"')),
        HttpPath(BENCH, "DID → group", bodies.did_call(scale, COUNT, rng, *bodies.PATH_DIDS["group"]),
                 _any_of(b'data="pbx-group-', b'data="pbx_flow=group"')),
        HttpPath(BENCH, "extension → user", bodies.extension_call(scale, COUNT, rng),
                 _has(b"group_confirm_key=1", b"transfer_on_fail=")),
        HttpPath(BENCH, "DID not found", bodies.did_call(scale, COUNT, rng, None, ""), _has(b"UNALLOCATED_NUMBER")),
    ]


def run(options, scale: datasets.Scale, engines, only: str | None = None, report=print) -> list:
    lines = []
    for engine in engines:
        url = datasets.database_url(engine, "pbx", scale)
        for path in paths(scale):
            if only and only.lower() not in path.name.lower():
                continue
            for line in compare(path, url, engine, options):
                report(line.text())
                lines.append(line)
    return lines


if __name__ == "__main__":
    from benches.__main__ import main

    sys.exit(main(["--bench", "b1", *sys.argv[1:]]))
