"""The xml_curl form decoder finds the used fields by name: it must read every recorded body
exactly as decoding every pair and keeping the used ones would."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from xml_curl.app import USED_FIELDS, USED_PREFIX, decode_fields

RECORDED = Path(__file__).parent / "fixtures" / "freeswitch" / "xml_curl"


def _every_pair(text: str) -> dict[str, str]:
    fields = {}
    for pair in text.split("&"):
        key, _, value = pair.partition("=")
        if key in USED_FIELDS or key.startswith(USED_PREFIX):
            fields[key] = unquote_plus(value)
    return fields


def _recorded_bodies() -> list[str]:
    bodies = []
    for path in sorted(RECORDED.glob("[0-9]*.json")):
        for exchange in json.loads(path.read_text()).get("exchanges", []):
            body = exchange.get("request", {}).get("body_raw")
            if body:
                bodies.append(body)
    return bodies


def test_every_recorded_body_reads_as_a_decoding_of_every_pair():
    bodies = _recorded_bodies()
    assert len(bodies) > 10
    for body in bodies:
        assert decode_fields(body) == _every_pair(body)


@pytest.mark.parametrize("body", [
    "section=dialplan&Hunt-Context=a&Hunt-Context=b",  # twice: the last, as a dict of every pair
    "Hunt-Context=x%26section%3Ddirectory&section=dialplan",  # a value holding an encoded field
    "variable_pbx_hops=2&variable_pbx_chain=1001%40t1.example&variable_pbx_hops=3",
    "user=1000&domain=t1.example&section=directory&action=sip_auth&key_value=t1.example",
    "Caller-Caller-ID-Name=Jos%C3%A9+P%C3%A9rez&Hunt-Caller-ID-Name=",  # encoded, and empty
    "xsection=dialplan&section_x=1&Xsection=1",  # look-alike names
])
def test_tricky_bodies_read_as_a_decoding_of_every_pair(body):
    assert decode_fields(body) == _every_pair(body)


def test_a_name_without_a_value_reads_as_empty():
    # Absent rather than "": every reader takes a missing field as "" (fields.get(name) or "").
    assert decode_fields("section&action=sip_auth").get("section", "") == ""
