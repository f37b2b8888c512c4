"""Request bodies for the HTTP benches: the ones a real FreeSWITCH sent, rewritten for the data set.

Each recorded body (tests/fixtures/freeswitch/xml_curl) is kept byte for byte except the values
that name the recorded tenant, users and numbers, which are replaced in one pass (so a new value
is never rewritten again) and URL-encoded as FreeSWITCH does.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path
from urllib.parse import quote, unquote_plus

from benches.datasets import GROUP_DID, IVR_DID, Scale, contact_e164, contact_tenant, did

XML_CURL = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "freeswitch" / "xml_curl"
REGISTER = ("02_register_sip_auth_ok.json", 0)  # sip_auth for 1001@acme.example
USER_CALL = ("05_originate_user_call.json", 0)  # user_call for 1001@acme.example
DID_FETCH = ("08_inbound_did_public_then_tenant.json", 0)  # public context, DID 15550001002
TENANT_FETCH = ("08_inbound_did_public_then_tenant.json", 1)  # acme.example context, 1002
RECORDED_DOMAIN, RECORDED_CALLER = "acme.example", "+14155550100"


def recorded(name: str, index: int) -> str:
    return json.loads((XML_CURL / name).read_text())["exchanges"][index]["request"]["body_raw"]


def rewrite(body: str, replacements: dict[str, str]) -> bytes:
    """Replace, inside every decoded value, each key of `replacements` by its value (longest first,
    one pass); values that hold none of them keep their recorded encoding."""
    pattern = re.compile("|".join(re.escape(old) for old in sorted(replacements, key=len, reverse=True)))
    pairs = []
    for pair in body.split("&"):
        key, _, raw = pair.partition("=")
        value = unquote_plus(raw)
        new = pattern.sub(lambda match: replacements[match.group(0)], value)
        pairs.append(pair if new == value else f"{key}={quote(new, safe='')}")
    return "&".join(pairs).encode()


def sip_auth(scale: Scale, count: int, rng: random.Random) -> list[bytes]:
    return _directory(REGISTER, scale, count, rng)


def user_call(scale: Scale, count: int, rng: random.Random) -> list[bytes]:
    return _directory(USER_CALL, scale, count, rng)


def _directory(recording, scale: Scale, count: int, rng: random.Random) -> list[bytes]:
    body = recorded(*recording)
    out = []
    for _ in range(count):
        tenant, extension = rng.randint(1, scale.tenants), str(1000 + rng.randrange(scale.users))
        out.append(rewrite(body, {RECORDED_DOMAIN: f"t{tenant}.example", "1001": extension}))
    return out


def did_call(scale: Scale, count: int, rng: random.Random, index: int | None, routing: str) -> list[bytes]:
    """The two fetches of a call to a DID: the public context, then the tenant context with the
    routing extension the first answer transferred to (`routing`: "pbx-ivr-{t}", "pbx-group-{t}").
    `index` None: numbers no tenant has (one fetch, answered with a hang-up)."""
    public, tenant_fetch = recorded(*DID_FETCH), recorded(*TENANT_FETCH)
    out = []
    for _ in range(count // (1 if index is None else 2)):
        tenant = rng.randint(1, scale.tenants)
        number = did(tenant, index)[1:] if index is not None else f"3499{tenant:04d}{rng.randrange(1000):03d}"
        out.append(rewrite(public, {"15550001002": number}))
        if index is not None:
            extension = routing.format(t=tenant)
            out.append(rewrite(tenant_fetch, {"15550001002": number, RECORDED_DOMAIN: f"t{tenant}.example",
                                              "1002": extension}))
    return out


def extension_call(scale: Scale, count: int, rng: random.Random) -> list[bytes]:
    """A carrier's caller reaching a tenant's user: half of the callers are the tenant's contacts
    (written +E.164 or in national digits, as carriers send them), half unknown numbers."""
    body = recorded(*TENANT_FETCH)
    out = []
    for i in range(count):
        tenant, extension = rng.randint(1, scale.tenants), str(1000 + rng.randrange(scale.users))
        caller = f"+3491{rng.randrange(10**7):07d}"
        if i % 2 == 0 and scale.contacts >= scale.tenants:
            contact = rng.randrange(scale.contacts // scale.tenants) * scale.tenants + tenant - 1
            contact = contact or scale.tenants
            assert contact_tenant(scale, contact) == tenant
            caller = contact_e164(contact)
        if i % 4 == 0:
            caller = caller[3:]  # national digits: parsed with the tenant's country
        out.append(rewrite(body, {RECORDED_DOMAIN: f"t{tenant}.example", "1002": extension,
                                  RECORDED_CALLER: caller}))
    return out


PATH_DIDS = {"ivr": (IVR_DID, "pbx-ivr-{t}"), "group": (GROUP_DID, "pbx-group-{t}")}


JSON_CDR = XML_CURL.parent / "json_cdr"


def recorded_calls() -> list[list[str]]:
    """Every recorded call's legs, as mod_json_cdr posted them (tests/fixtures/freeswitch/json_cdr)."""
    calls = []
    for path in sorted(JSON_CDR.glob("*.json")):
        if path.name == "manifest.json":
            continue
        legs = json.loads(path.read_text())["legs"]
        calls.append([leg.get("body_raw") or json.dumps(leg["body"], separators=(",", ":"), ensure_ascii=False)
                      for leg in legs])
    return calls


def cdr_posts(scale: Scale, count: int, seed: int):
    """`count` leg posts (url path, body): the recorded calls again and again, each time with new
    uuids and in a random tenant of the data set (the recorded users 1001–1005 exist in each)."""
    rng, templates, sent = random.Random(seed), recorded_calls(), 0
    leg_uuids = [[json.loads(body)["variables"]["uuid"] for body in legs] for legs in templates]
    while True:
        for legs, olds in zip(templates, leg_uuids):
            replacements = {old: _uuid(rng) for old in olds}
            replacements[RECORDED_DOMAIN] = f"t{rng.randint(1, scale.tenants)}.example"
            pattern = re.compile("|".join(re.escape(old) for old in replacements))
            for body, old in zip(legs, olds):
                yield f"/cdr?uuid={replacements[old]}", pattern.sub(lambda m: replacements[m.group(0)], body).encode()
                sent += 1
                if sent == count:
                    return


def _uuid(rng: random.Random) -> str:
    hex_digits = f"{rng.getrandbits(128):032x}"
    return f"{hex_digits[:8]}-{hex_digits[8:12]}-{hex_digits[12:16]}-{hex_digits[16:20]}-{hex_digits[20:]}"
