"""The xml_curl handler answering the requests a real FreeSWITCH 1.11 sent (tests/fixtures)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from lxml import etree

from fs_plugins.config import Config
from fs_plugins.core import app as core
from fs_plugins.metrics import XML_CURL_FIELDS
from fs_plugins.models import User
from tests.wsgi import basic, call
from xml_curl.app import make_app
from tests import provision

RECORDED = Path(__file__).parent / "fixtures" / "freeswitch" / "xml_curl"
NOT_FOUND_XPATH = "/document/section[@name='result']/result[@status='not found']"


def exchanges(name: str) -> list[dict]:
    return json.loads((RECORDED / name).read_text())["exchanges"]


@pytest.fixture
def pbx(db):
    """The tenants and users of the recordings, with the recorded passwords."""
    acme = provision.tenant("Acme", "acme.example", "Europe/Madrid", "en", "US")
    globex = provision.tenant("Globex", "globex.example", "America/New_York", "en", "US")
    names = {"1001": "Alice Acme", "1002": "Bob Acme", "1003": "Carol Acme", "1004": "Dan Acme",
             "1005": "Eve Acme", "1999": "Unregistered"}
    for extension, name in names.items():
        provision.user(acme, extension, name, password=f"acme-{extension}-pw")
    provision.user(globex, "1002", "Gina Globex", password="globex-1002-pw")
    provision.number(acme, "+15550001002", "user:1002")
    return acme, globex


@pytest.fixture
def app(db, pbx):
    return make_app(Config(directory_cache_ms=60000), db)


def post(app, fields_or_raw, **kwargs):
    body = fields_or_raw if isinstance(fields_or_raw, bytes) else urlencode(fields_or_raw).encode()
    status, headers, data = call(app, body, **kwargs)
    assert status == 200 and headers["Content-Type"] == "text/xml" and data
    return etree.fromstring(data)


def recorded(app, name: str, index: int):
    return post(app, exchanges(name)[index]["request"]["body_raw"].encode())


def test_register_with_the_recorded_password_gets_the_digest_hash_and_no_clear_password(app):
    doc = recorded(app, "02_register_sip_auth_ok.json", 0)
    user = doc.xpath("/document/section[@name='directory']/domain[@name='acme.example']//user[@id='1001']")[0]
    expected = hashlib.md5(b"1001:acme.example:acme-1001-pw").hexdigest()
    assert user.xpath("params/param[@name='a1-hash']/@value") == [expected]
    assert not user.xpath("params/param[@name='password']")
    assert user.get("cacheable") == "60000"
    variables = dict(zip(user.xpath("variables/variable/@name"), user.xpath("variables/variable/@value")))
    assert variables["user_context"] == "acme.example"
    assert variables["pbx_tenant"] == "acme.example"
    assert variables["pbx_user_id"] == "1001@acme.example"
    assert variables["effective_caller_id_name"] == "Alice Acme"


def test_a_parameter_named_like_mod_xml_curls_own_fields_does_not_change_what_was_asked(app):
    """mod_xml_curl writes hostname, section, tag_name, key_name and key_value first, then the
    request's parameters: a parameter of one of those names does not stand for them."""
    body = exchanges("02_register_sip_auth_ok.json")[0]["request"]["body_raw"]
    doc = post(app, f"{body}&section=dialplan&key_value=globex.example".encode())
    assert doc.xpath("/document/section[@name='directory']/domain[@name='acme.example']//user[@id='1001']")


def test_register_of_an_unknown_user_is_not_found(app):
    assert recorded(app, "03_register_user_not_found.json", 0).xpath(NOT_FOUND_XPATH)


def test_a_disabled_user_is_not_found(app, pbx):
    core.set_user(provision.OPERATOR, "acme.example", "1001", enabled=False)
    assert recorded(app, "02_register_sip_auth_ok.json", 0).xpath(NOT_FOUND_XPATH)


def test_a_suspended_tenants_users_are_not_found_and_find_again_once_resumed(app, pbx):
    """Issue 16 [13]: a suspended customer's phones cannot register (FreeSWITCH answers 403)."""
    core.suspend_tenant(provision.OPERATOR, "acme.example")
    assert recorded(app, "02_register_sip_auth_ok.json", 0).xpath(NOT_FOUND_XPATH)
    core.suspend_tenant(provision.OPERATOR, "acme.example", suspended=False)
    assert not recorded(app, "02_register_sip_auth_ok.json", 0).xpath(NOT_FOUND_XPATH)


def test_mod_voicemail_lookups_get_the_user(app):
    assert recorded(app, "02_register_sip_auth_ok.json", 1).xpath("//user[@id='1001']")
    assert recorded(app, "07_voicemail_lookup.json", 2).xpath("//user[@id='1002']")


def test_user_call_lookups_get_the_user(app):
    assert recorded(app, "04_invite_sip_auth_dialplan_user_call.json", 2).xpath("//user[@id='1002']")
    assert recorded(app, "05_originate_user_call.json", 0).xpath("//user[@id='1001']")


def test_sofia_gateways_fetch_lists_every_tenant_domain_and_acls_are_not_ours(app):
    doc = recorded(app, "01_startup_fetches.json", 0)
    assert doc.xpath("//domain/@name") == ["acme.example", "globex.example"]
    assert not doc.xpath("//user")
    assert recorded(app, "01_startup_fetches.json", 2).xpath(NOT_FOUND_XPATH)


@pytest.mark.parametrize("name, index", [("02_register_sip_auth_ok.json", 0), ("02_register_sip_auth_ok.json", 1),
                                         ("04_invite_sip_auth_dialplan_user_call.json", 2)])
def test_a_users_directory_fetch_is_answered_without_searching_its_body_for_purpose(app, name, index):
    """FreeSWITCH sends `purpose` only on fetches without an action (gateways, network-list: the
    recordings); a REGISTER's, a call's or mod_voicemail's fetch is answered without looking for
    it, a search of the whole body when it is absent (xml_curl/directory.py)."""
    environs = []

    def keeping(environ, start_response):
        environs.append(environ)
        return app(environ, start_response)

    assert recorded(keeping, name, index).xpath("//user")
    assert "purpose" not in environs[0][XML_CURL_FIELDS].known


def test_an_originate_with_a_purpose_variable_still_gets_its_user(app):
    """mod_dptools merges an originate's `{purpose=…}` into its user_call fetch (mod_dptools.c): the
    user's action decides; the gateways list is for fetches without one."""
    body = exchanges("04_invite_sip_auth_dialplan_user_call.json")[2]["request"]["body_raw"] + "&purpose=gateways"
    doc = post(app, body.encode())
    assert doc.xpath("//user/@id") and not doc.xpath("//domain[@name='globex.example']")


def actions(doc) -> list[tuple[str, str]]:
    return [(a.get("application"), a.get("data") or "") for a in doc.xpath("//action")]


def test_a_user_calling_an_extension_is_bridged_to_that_user_of_the_same_tenant(app):
    doc = recorded(app, "04_invite_sip_auth_dialplan_user_call.json", 1)
    assert doc.xpath("/document/section[@name='dialplan']/context/@name") == ["acme.example"]
    steps = actions(doc)
    assert ("bridge", "user/1002@acme.example") in steps
    assert ("set", "pbx_call_type=internal") in steps
    assert ("set", "pbx_target_user=1002@acme.example") in steps


def test_a_did_from_the_carrier_enters_its_tenant_at_the_users_extension(app):
    doc = recorded(app, "08_inbound_did_public_then_tenant.json", 0)
    assert doc.xpath("//context/@name") == ["public"]
    assert actions(doc) == [("set", "pbx_tenant=acme.example"), ("set", "pbx_call_type=inbound"),
                            ("transfer", "1002 XML acme.example")]
    then = actions(recorded(app, "08_inbound_did_public_then_tenant.json", 1))
    assert ("bridge", "user/1002@acme.example") in then
    assert ("set", "pbx_call_type=internal") not in then  # the carrier is no user of ours


def test_an_unknown_did_and_an_unknown_number_hang_up_unallocated(app):
    fields = dict(exchanges("08_inbound_did_public_then_tenant.json")[0]["request"]["fields"])
    fields["Hunt-Destination-Number"] = "15559999999"
    assert actions(post(app, fields)) == [("hangup", "UNALLOCATED_NUMBER")]
    loopback = actions(recorded(app, "06_loopback_dialplan.json", 0))
    assert loopback[-1] == ("hangup", "UNALLOCATED_NUMBER")


def dialplan_fields(context="acme.example", destination="1002", **extra):
    fields = dict(exchanges("04_invite_sip_auth_dialplan_user_call.json")[1]["request"]["fields"])
    fields.update({"Hunt-Context": context, "Caller-Context": context, "Hunt-Destination-Number": destination,
                   "Caller-Destination-Number": destination})
    fields.update(extra)
    return fields


@pytest.mark.parametrize("forgery", [
    {"variable_sip_to_host": "globex.example", "variable_sip_req_host": "globex.example"},
    {"variable_pbx_tenant": "globex.example", "variable_domain_name": "globex.example"},
])
def test_a_user_of_one_tenant_never_reaches_another_tenants_user(app, forgery):
    steps = actions(post(app, dialplan_fields(**forgery)))
    assert ("bridge", "user/1002@acme.example") in steps
    assert not any("globex" in data for _, data in steps)


def test_ext_at_domain_dialling_does_not_cross_tenants(app):
    steps = actions(post(app, dialplan_fields(destination="1002@globex.example")))
    assert steps[-1] == ("hangup", "INVALID_NUMBER_FORMAT")


def test_an_unknown_context_hangs_up_and_never_falls_back_to_static_xml(app):
    doc = post(app, dialplan_fields(context="evil.example"))
    assert doc.xpath("//context/@name") == ["evil.example"]
    assert actions(doc) == [("hangup", "UNALLOCATED_NUMBER")]


def test_a_routing_loop_ends_after_the_hop_limit(app):
    steps = actions(post(app, dialplan_fields(variable_pbx_hops="9")))
    assert steps[-1] == ("hangup", "EXCHANGE_ROUTING_ERROR")
    assert {application for application, _ in steps} == {"set", "hangup"}  # the voice, then the end


def test_a_short_unknown_internal_number_is_unallocated(app):
    assert actions(post(app, dialplan_fields(destination="999")))[-1] == ("hangup", "UNALLOCATED_NUMBER")


@pytest.mark.parametrize("body,method", [
    (b"", "POST"),
    (b"section=directory", "GET"),
    (b"\xff\xfe\x00garbage", "POST"),
    (b"section=nonsense&x=1", "POST"),
    (b"section=directory&action=sip_auth&user=1001%0A&domain=acme.example", "POST"),
    (b"section=directory&action=sip_auth&user=1001&domain=acme.example&key_value=globex.example", "POST"),
    (b"section=configuration&key_value=sofia.conf", "POST"),
])
def test_malformed_or_unexpected_requests_get_the_not_found_document(app, body, method, caplog):
    status, _, data = call(app, body, method=method)
    assert status == 200
    assert etree.fromstring(data).xpath(NOT_FOUND_XPATH)


def _not_found(data: bytes) -> bool:
    return bool(etree.fromstring(data).xpath(NOT_FOUND_XPATH))


SIP_AUTH = exchanges("02_register_sip_auth_ok.json")[0]["request"]["body_raw"].encode()


@pytest.mark.parametrize("body", [
    SIP_AUTH + b"&user=10\xff01",  # the directory's user (the last pair of a name is the one read)
    SIP_AUTH.replace(b"section=directory", b"section=direc\xfftory"),
    urlencode(dialplan_fields()).encode() + b"&Hunt-Destination-Number=10\xff02",  # what routing reads
    urlencode(dialplan_fields()).encode() + b"&variable_pbx_hops=\xc3",  # a marker routing reads
    urlencode(dialplan_fields()).encode() + b"&variable_pbx_\xff=1",  # a marker's name
])
def test_a_field_read_that_is_not_utf8_is_refused_as_a_malformed_request_through_the_server(app, body, caplog):
    """The body is not checked whole (xml_curl/form.py): the refusal comes at the read, through the
    answer's error handling, the same as a malformed body's: `not found`, a warning, no error."""
    status, data = _served(app, body)
    assert status == 200 and _not_found(data)
    assert any("malformed xml_curl request" in r.getMessage() and "not UTF-8" in r.getMessage()
               for r in caplog.records if r.levelname == "WARNING")
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_field_nobody_reads_may_hold_bytes_that_are_not_utf8(app):
    """FreeSWITCH never sends them, but a field the answer does not read does not decide it."""
    doc = post(app, SIP_AUTH + b"&variable_sip_user_agent=caf\xe9")
    assert doc.xpath("//user[@id='1001']")
    steps = actions(post(app, urlencode(dialplan_fields()).encode() + b"&variable_sip_user_agent=caf\xe9"))
    assert ("bridge", "user/1002@acme.example") in steps


def test_a_failure_before_routing_with_a_context_that_is_not_utf8_still_answers_a_hangup(db, pbx, monkeypatch):
    """The error path reads the asked context itself: one that is not UTF-8 is not echoed either."""
    from xml_curl import app as handler

    monkeypatch.setattr(handler, "routing_key", lambda fields: 1 / 0)
    body = urlencode(dialplan_fields()).encode() + b"&Hunt-Context=acme\xff.example&Caller-Context=x\xff"
    doc = post(make_app(Config(), db), body)
    assert doc.xpath("//context/@name") == ["global"] and actions(doc) == [("hangup", "NORMAL_TEMPORARY_FAILURE")]


def test_basic_auth_is_required_when_configured(db, pbx):
    app = make_app(Config(xml_curl_user="fs", xml_curl_password="s3cret"), db)
    body = exchanges("02_register_sip_auth_ok.json")[0]["request"]["body_raw"].encode()
    assert call(app, body)[0] == 401
    assert call(app, body, headers=basic("fs", "wrong"))[0] == 401
    assert call(app, body, headers=basic("someone", "s3cret"))[0] == 401
    status, _, data = call(app, body, headers=basic("fs", "s3cret"))
    assert status == 200 and b"a1-hash" in data
    # Other spellings of the same credentials are decoded and accepted; nothing else is.
    token = basic("fs", "s3cret")["Authorization"].split(" ", 1)[1]
    for header in (f"basic {token}", f"BASIC  {token} "):
        assert call(app, body, headers={"Authorization": header})[0] == 200
    for header in (f"Basic {token}x", f"Bearer {token}", "Basic \u00e9t\u00e9", token, f"Basic {token[:-1]}"):
        assert call(app, body, headers={"Authorization": header})[0] == 401


def test_a_name_changed_directly_in_the_database_cannot_inject_into_freeswitch(app):
    User.update(display_name='Eve ${system(rm -rf /)} $${hostname}"\r\n<X-PRE-PROCESS cmd="set"/>').where(
        User.extension == "1001").execute()
    data = call(app, exchanges("02_register_sip_auth_ok.json")[0]["request"]["body_raw"].encode())[2]
    assert b"${system" not in data and b"$${" not in data and b"<X-PRE-PROCESS" not in data
    name = etree.fromstring(data).xpath("//variable[@name='effective_caller_id_name']/@value")[0]
    assert "\n" not in name and "\r" not in name and "$" not in name


def test_a_bug_in_routing_still_answers_with_a_hangup(db, pbx, monkeypatch):
    app = make_app(Config(), db)
    from xml_curl import dialplan
    monkeypatch.setattr(dialplan.Router, "route", lambda self, request: 1 / 0)
    steps = actions(post(app, dialplan_fields()))
    assert steps == [("hangup", "NORMAL_TEMPORARY_FAILURE")]


def test_socket_actions_name_the_advertised_esl_address_when_one_is_set(db, pbx):
    from fs_plugins.models import ShortNumber

    ShortNumber.create(tenant=pbx[0], number="5000", destination="message:1")
    wildcard = make_app(Config(esl_host="0.0.0.0", esl_port=18084, esl_advertise_host="10.0.0.5"), db)
    local = make_app(Config(), db)
    assert ("socket", "10.0.0.5:18084 async full") in actions(post(wildcard, dialplan_fields(destination="5000")))
    assert ("socket", "127.0.0.1:18084 async full") in actions(post(local, dialplan_fields(destination="5000")))


def _served(app, body: bytes) -> tuple[int, bytes]:
    """`body` posted to `app` run by the real HTTP server `serve` uses."""
    from gevent import socket as gsocket  # cooperative: the server runs in this process

    from fs_plugins.commands.serve import http_server

    server = http_server("127.0.0.1", 0, app, "tests.xml_curl")
    server.start()
    try:
        with gsocket.create_connection(("127.0.0.1", server.address[1]), timeout=5) as sock:
            sock.sendall(b"POST /xml_curl HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         b"Content-Type: application/x-www-form-urlencoded\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    finally:
        server.stop()
    head, _, payload = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


@pytest.mark.parametrize("context", ["acme.example\x01", "\x1b[31m", "acme.example\x7f"])
def test_a_control_character_in_hunt_context_is_answered_with_a_clean_hangup_not_a_500(app, context):
    status, data = _served(app, urlencode(dialplan_fields(context=context)).encode())
    assert status == 200
    doc = etree.fromstring(data)
    assert doc.xpath("//context/@name") == ["global"] and actions(doc) == [("hangup", "UNALLOCATED_NUMBER")]


def test_a_failing_route_with_a_control_character_in_the_context_still_answers_a_hangup(db, pbx, monkeypatch):
    from xml_curl import dialplan
    monkeypatch.setattr(dialplan.Router, "route", lambda self, request: 1 / 0)
    status, data = _served(make_app(Config(), db), urlencode(dialplan_fields(context="x\x01")).encode())
    assert status == 200 and actions(etree.fromstring(data)) == [("hangup", "NORMAL_TEMPORARY_FAILURE")]


@pytest.mark.parametrize("fields", [
    dialplan_fields(destination="$${hostname}"),
    dialplan_fields(destination="1002$${hostname}"),
    dialplan_fields(context="$${domain}"),
    dialplan_fields(context="public", destination="$${hostname}"),
    dialplan_fields(destination="${system(id)}"),
])
def test_expansions_in_the_dialled_number_or_context_are_never_echoed_into_the_served_xml(app, fields):
    status, _, data = call(app, urlencode(fields).encode())
    assert status == 200 and b"${" not in data and b"$$" not in data
    assert actions(etree.fromstring(data))[-1][0] == "hangup"


def test_a_plain_dialled_number_still_names_the_extension(app):
    assert post(app, dialplan_fields()).xpath("//extension/@name") == ["call-1002"]
