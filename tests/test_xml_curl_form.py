"""The xml_curl form finds each field when it is read: every read must give what decoding every
pair would (the last pair of a name, URL-decoded), for the recorded bodies and tricky ones."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote_plus

import pytest

from xml_curl.dialplan import MARKER_PREFIX
from xml_curl.form import LEADING, Form, Names, NotUtf8

RECORDED = Path(__file__).parent / "fixtures" / "freeswitch" / "xml_curl"
# Names no recorded body holds, but readers ask for (absent: get gives the default).
ABSENT = ("purpose", "variable_sound_prefix", "variable_pbx_hops", "Hunt-Context", "hunt-context", "section=x")


def _every_pair(text: str) -> dict[str, str]:
    """The reference: every pair decoded, the last one of a name kept (the first of the names
    mod_xml_curl writes first: LEADING); a pair without "=" has no value."""
    fields = {}
    for pair in text.split("&"):
        key, equals, value = pair.partition("=")
        if equals and not (key in LEADING and key in fields):
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


def _reads_as_every_pair(body: str) -> None:
    expected = _every_pair(body)
    form = Form(body.encode())
    for name, value in expected.items():
        assert form.get(name) == value, name
        assert form[name] == value and name in form
    for name in ABSENT:
        if name not in expected:
            assert form.get(name) is None and form.get(name, "") == "" and name not in form
            with pytest.raises(KeyError):
                form[name]  # noqa: B018
    markers = {k: v for k, v in expected.items() if k.startswith(MARKER_PREFIX)}
    fresh = Form(body.encode())
    assert fresh.prefixed(MARKER_PREFIX) == markers
    for name in (*markers, "variable_pbx_absent"):  # read after the prefix's pass: from it
        assert fresh.get(name) == markers.get(name)
    names = (*expected, *ABSENT)
    at_once = Form(body.encode())
    assert at_once.values(names) == [expected.get(name, "") for name in names]
    assert at_once.values(names[::-1]) == [expected.get(name, "") for name in names[::-1]]  # read: kept
    assert [at_once.get(name) for name in names] == [expected.get(name) for name in names]
    # As sent (the dialplan's answer key): each decodes to what `values` reads, absent reads as empty.
    assert [unquote_plus(value.decode()) for value in Form(body.encode()).encoded(Names(*names))] == [
        expected.get(name, "") for name in names]
    pairs = Form(body.encode()).encoded_pairs(MARKER_PREFIX, frozenset(name.encode() for name in markers))
    assert dict(unquote_plus(pair.decode()).split("=", 1) for pair in pairs) == markers
    after_prefix = Form(body.encode())
    after_prefix.prefixed(MARKER_PREFIX)
    assert after_prefix.values((*markers, "variable_pbx_absent", *names)) == [
        expected.get(name, "") for name in (*markers, "variable_pbx_absent", *names)]


def test_every_recorded_body_reads_as_a_decoding_of_every_pair():
    bodies = _recorded_bodies()
    assert len(bodies) > 10
    assert any(MARKER_PREFIX in body for body in bodies)
    for body in bodies:
        _reads_as_every_pair(body)


@pytest.mark.parametrize("body", [
    "section=dialplan&Hunt-Context=a&Hunt-Context=b",  # twice: the last, as a dict of every pair
    "Hunt-Context=x%26section%3Ddirectory&section=dialplan",  # a value holding an encoded field
    "Hunt-Context=first&x=1&Hunt-Context=last",  # the first pair's name again later
    "section=first&x=1&section=mid&section=last",  # thrice: mod_xml_curl's own is the first
    "hostname=vm&section=directory&tag_name=&key_name=&key_value=a.example&key_value=b.example&section=dialplan",
    "variable_pbx_hops=2&variable_pbx_chain=1001%40t1.example&variable_pbx_hops=3",
    "variable_pbx_hops&variable_pbx_chain=a&variable_pbx_=b&variable_pbx_x=c=d",  # no value; empty rest; "=" in value
    "user=1000&domain=t1.example&section=directory&action=sip_auth&key_value=t1.example",
    "Caller-Caller-ID-Name=Jos%C3%A9+P%C3%A9rez&Hunt-Caller-ID-Name=",  # encoded, and empty
    "Caller-Caller-ID-Name=Jos\u00e9&section=dialplan",  # raw UTF-8 (not what FreeSWITCH sends)
    "xsection=dialplan&section_x=1&Xsection=1&section",  # look-alike names; a name without a value
    "&&section=dialplan&",  # empty pairs
])
def test_tricky_bodies_read_as_a_decoding_of_every_pair(body):
    _reads_as_every_pair(body)


def test_what_mod_xml_curl_asked_is_read_from_its_own_pairs_not_a_parameter_of_the_same_name():
    form = Form(b"hostname=vm&section=directory&tag_name=domain&key_name=name&key_value=a.example"
                b"&Event-Name=REQUEST_PARAMS&section=dialplan&key_value=b.example&hostname=x&Hunt-Context=c&Hunt-Context=d")
    assert form.values(("section", "key_value", "hostname", "Hunt-Context")) == ["directory", "a.example", "vm", "d"]
    assert form.get("tag_name") == "domain" and form.get("key_name") == "name"


def test_a_name_without_a_value_reads_as_absent():
    assert Form(b"section&action=sip_auth").get("section", "") == ""


def test_a_field_that_is_not_utf8_is_refused_when_read_and_the_others_still_read():
    form = Form(b"section=dialplan&Hunt-Context=\xff\xfe&variable_pbx_hops=\xc3&variable_pbx_\xff=1&Unread=\xff")
    assert form.get("section") == "dialplan" and form.values(("section",)) == ["dialplan"]
    for read in (lambda: form.get("Hunt-Context"), lambda: form["Hunt-Context"], lambda: "Hunt-Context" in form,
                 lambda: form.values(("section", "Hunt-Context")), lambda: form.prefixed("variable_pbx_"),
                 lambda: Form(b"variable_pbx_hops=1&variable_pbx_\xff=1").prefixed("variable_pbx_")):
        with pytest.raises(NotUtf8) as refused:
            read()
        assert isinstance(refused.value, ValueError) and "not UTF-8" in str(refused.value)
    # As sent, for a key: nothing decoded, nothing refused.
    assert form.encoded(Names("Hunt-Context", "Unread")) == [b"\xff\xfe", b"\xff"]


def _key(**fields) -> tuple:
    from xml_curl.dialplan import routing_key
    names = {name: name if name.startswith("variable_") else name.replace("_", "-") for name in fields}
    return routing_key(Form("&".join(f"{names[name]}={value}" for name, value in fields.items()).encode()))


def test_routing_reads_each_hunt_field_else_its_caller_field():
    assert _key(Hunt_Context="a.example", Hunt_Destination_Number="1002", Hunt_Caller_ID_Number="1001",
                Hunt_Caller_ID_Name="Ann")[:4] == ("a.example", "1002", "1001", "Ann")
    # One Hunt-* field empty (an anonymous caller's name): that one alone from its Caller-* field.
    assert _key(Caller_Context="c.example", Caller_Destination_Number="9", Caller_Caller_ID_Number="8",
                Caller_Caller_ID_Name="Bob", Hunt_Context="a.example", Hunt_Destination_Number="1002",
                Hunt_Caller_ID_Number="1001", Hunt_Caller_ID_Name="")[:4] == ("a.example", "1002", "1001", "Bob")
    assert _key(Caller_Context="c.example", Caller_Destination_Number="9")[:4] == ("c.example", "9", "", "")
    assert _key()[:4] == ("", "", "", "")


def test_routing_reads_a_mangled_hop_counter_as_a_loop():
    from xml_curl.dialplan import MAX_HOPS
    assert _key(variable_pbx_hops="3")[6] == 3
    assert _key(variable_pbx_hops="x")[6] == MAX_HOPS + 1
    assert _key()[6] == 0
