"""The handler keeps what it read until the database changes (xml_curl/cache.py): a change made
through the handler's own connection or committed by another one (another process) is answered
at the next request, never a stale row."""
from __future__ import annotations

import threading
import time

import gevent
import peewee

import pytest
from lxml import etree

from fs_plugins.config import Config
from fs_plugins.core import app as core
from tests import provision
from tests.second_connection import elsewhere  # noqa: F401 (fixture)
from tests.test_xml_curl import RECORDED, exchanges, post  # noqa: F401  (RECORDED: the recordings used)
from xml_curl.app import make_app
from xml_curl import lookups as lookups_module
from xml_curl.cache import Cache
from xml_curl.pgchanges import Changes
from fs_plugins.contacts import service as contacts
from fs_plugins.contacts.records import ContactInput
from tests.contact_directories import operator_directory

NOT_FOUND_XPATH = "/document/section[@name='result']/result[@status='not found']"
REGISTER = exchanges("02_register_sip_auth_ok.json")[0]["request"]["body_raw"].encode()  # 1001@acme.example
DID_CALL = exchanges("08_inbound_did_public_then_tenant.json")[0]["request"]["body_raw"].encode()  # +15550001002


@pytest.fixture
def acme(db):
    acme = provision.tenant("Acme", "acme.example", "Europe/Madrid", "en", "US")
    provision.user(acme, "1001", "Alice Acme", password="acme-1001-pw")
    provision.user(acme, "1002", "Bob Acme", password="acme-1002-pw")
    provision.number(acme, "+15550001002", "user:1002")
    return acme


@pytest.fixture
def app(db, acme):
    return make_app(Config(directory_cache_ms=60000), db)


def _name(doc) -> str:
    return doc.xpath("//variable[@name='effective_caller_id_name']/@value")[0]


def test_a_change_through_the_application_is_answered_at_the_next_request(app):
    assert _name(post(app, REGISTER)) == "Alice Acme"
    core.set_user(provision.OPERATOR, "acme.example", "1001", name="Alice Renamed")
    assert _name(post(app, REGISTER)) == "Alice Renamed"
    core.set_user(provision.OPERATOR, "acme.example", "1001", enabled=False)
    assert post(app, REGISTER).xpath(NOT_FOUND_XPATH)


def test_a_change_committed_by_another_process_is_answered_at_the_next_request(app, elsewhere):
    assert _name(post(app, REGISTER)) == "Alice Acme"
    elsewhere.execute_sql("UPDATE \"user\" SET display_name = 'From Elsewhere' WHERE extension = '1001'")
    assert _name(post(app, REGISTER)) == "From Elsewhere"


def test_a_did_moved_by_another_process_routes_to_its_new_destination(app, elsewhere, acme):
    first = etree.tostring(post(app, DID_CALL))
    assert b'data="1002 XML acme.example"' in first
    elsewhere.execute_sql("UPDATE number SET destination = 'hangup:CALL_REJECTED' WHERE e164 = '+15550001002'")
    second = etree.tostring(post(app, DID_CALL))
    assert b"1002 XML" not in second and b"pbx-hangup-CALL_REJECTED" in second


def test_a_row_read_while_the_database_changed_is_not_kept(db, acme, elsewhere):
    cache = Cache(db)
    if not cache.enabled:
        pytest.skip("PostgreSQL keeps rows only while listening: test_postgresql_keeps_rows_until_a_change_is_notified")
    loads = []

    def load():
        loads.append(1)
        # Meanwhile a change is committed and another request (another greenlet) sees it.
        elsewhere.execute_sql("UPDATE tenant SET name = 'Renamed'")
        other = threading.Thread(target=cache.begin)
        other.start()
        other.join()
        return "read before the change"

    cache.begin()
    assert cache.get("key", load) == "read before the change"
    cache.begin()  # nothing changed since the other request looked
    assert cache.get("key", lambda: "read again") == "read again" and len(loads) == 1


def test_rows_are_kept_while_nothing_changes(db, acme):
    cache = Cache(db)
    if not cache.enabled:
        pytest.skip("PostgreSQL keeps rows only while listening: test_postgresql_keeps_rows_until_a_change_is_notified")
    cache.begin()
    assert cache.get("key", lambda: "first") == "first"
    cache.begin()
    assert cache.get("key", lambda: "second") == "first"
    core.set_user(provision.OPERATOR, "acme.example", "1001", name="Changed")
    cache.begin()
    assert cache.get("key", lambda: "third") == "third"


def test_nothing_is_kept_outside_a_request(db, acme):
    cache = Cache(db)
    values = iter(["first", "second"])
    assert cache.get("key", lambda: next(values)) == "first"
    assert cache.get("key", lambda: next(values)) == "second"


@pytest.mark.postgres
def test_postgresql_keeps_rows_until_a_change_is_notified(db, acme, elsewhere):
    if not isinstance(db, peewee.PostgresqlDatabase):
        pytest.skip("SQLite is watched through its WAL-index header or PRAGMA data_version (the tests above)")
    cache = Cache(db, listen=True)  # as under `serve`: triggers installed, a greenlet listening
    try:
        _wait_for(lambda: cache._watch.version() is not None)
        cache.begin()
        assert cache.get("key", lambda: "first") == "first"
        cache.begin()
        assert cache.get("key", lambda: "second") == "first"
        before = cache._watch.version()
        elsewhere.execute_sql("UPDATE number SET destination = 'hangup:CALL_REJECTED'")  # committed elsewhere
        _wait_for(lambda: cache._watch.version() != before)
        cache.begin()
        assert cache.get("key", lambda: "third") == "third"
        # A busy table no lookup reads notifies nothing.
        quiet = cache._watch.version()
        elsewhere.execute_sql("DELETE FROM audit_entry")
        gevent.sleep(0.3)
        assert cache._watch.version() == quiet
    finally:
        cache._watch._greenlet.kill()


@pytest.fixture
def keeping_app(db, acme, monkeypatch):
    """The handler keeping rows as under `serve` on either engine (PostgreSQL: listening), and a way
    to wait until a change made elsewhere has reached it (at once on SQLite)."""
    caches = []

    def listening(database):
        caches.append(Cache(database, listen=True))
        return caches[-1]

    monkeypatch.setattr(lookups_module, "Cache", listening)
    app = make_app(Config(), db)
    cache = caches[0]
    if isinstance(db, peewee.PostgresqlDatabase):
        _wait_for(lambda: cache._watch.version() is not None)

    def changed_since(version):
        if isinstance(db, peewee.PostgresqlDatabase):
            _wait_for(lambda: cache._watch.version() != version)

    yield app, cache, changed_since
    if isinstance(cache._watch, Changes) and cache._watch._greenlet is not None:
        cache._watch._greenlet.kill()


TENANT_CALL = exchanges("08_inbound_did_public_then_tenant.json")[1]["request"]["body_raw"].encode()  # to 1002
CALLER = "+14155550100"  # the recorded caller of TENANT_CALL


def _caller_name(doc) -> str | None:
    names = doc.xpath("//action[@application='set'][starts-with(@data, 'effective_caller_id_name=')]/@data")
    return names[0].split("=", 1)[1] if names else None


def test_a_contact_renamed_elsewhere_names_the_next_call(keeping_app, elsewhere, acme):
    app, cache, changed_since = keeping_app
    contacts.add_contact(operator_directory("acme.example"), ContactInput("Supplier", numbers=(("work", CALLER),)))
    assert _caller_name(post(app, TENANT_CALL)) == "Supplier"
    assert _caller_name(post(app, TENANT_CALL)) == "Supplier"  # kept: no query over the contacts
    version = cache._watch.version()
    elsewhere.execute_sql("UPDATE contact SET name = 'Supplier Renamed'")
    changed_since(version)
    assert _caller_name(post(app, TENANT_CALL)) == "Supplier Renamed"
    version = cache._watch.version()
    elsewhere.execute_sql("DELETE FROM contact_number")
    changed_since(version)
    assert _caller_name(post(app, TENANT_CALL)) is None  # the name the caller sent is kept


def test_a_kept_answer_is_only_given_to_the_same_call_from_the_same_caller(keeping_app, acme):
    """Dialplan documents are kept per everything routing reads (all but the call's uuid)."""
    app, _cache, _changed_since = keeping_app
    contacts.add_contact(operator_directory("acme.example"), ContactInput("Supplier", numbers=(("work", CALLER),)))
    assert _caller_name(post(app, TENANT_CALL)) == "Supplier"
    another_call = TENANT_CALL.replace(b"fec27e7c-ed18-4450-a7a1-4fd4ef309cb1", b"0aa27e7c-ed18-4450-a7a1-4fd4ef309cb2")
    assert _caller_name(post(app, another_call)) == "Supplier"
    stranger = TENANT_CALL.replace(b"Caller-ID-Number=%2B14155550100", b"Caller-ID-Number=%2B14155550177")
    assert _caller_name(post(app, stranger)) is None
    forwarded = TENANT_CALL.replace(b"Hunt-Destination-Number=1002", b"Hunt-Destination-Number=1001")
    assert b"1001@acme.example" in etree.tostring(post(app, forwarded))


def _routing_counted(monkeypatch) -> list:
    from xml_curl import app as app_module

    routed = []
    real = app_module._dialplan_document
    monkeypatch.setattr(app_module, "_dialplan_document", lambda *args: routed.append(1) or real(*args))
    return routed


def test_a_kept_call_is_answered_without_decoding_the_fields_routing_reads(keeping_app, acme, monkeypatch):
    """A kept answer is found by the fields as sent (dialplan.answer_key): none is decoded, nor
    left in Form.known, until the call is routed."""
    from fs_plugins.metrics import XML_CURL_FIELDS

    app, _cache, _changed_since = keeping_app
    routed, environs = _routing_counted(monkeypatch), []

    def keeping(environ, start_response):
        environs.append(environ)
        return app(environ, start_response)

    first = etree.tostring(post(keeping, TENANT_CALL))
    assert etree.tostring(post(keeping, TENANT_CALL)) == first and len(routed) == 1
    assert b"bridge" in first
    assert not {"Hunt-Context", "Hunt-Destination-Number", "Hunt-Caller-ID-Number", "Unique-ID"} & set(
        environs[1][XML_CURL_FIELDS].known)


def test_a_call_kept_by_its_fields_as_sent_is_routed_by_their_decoded_values(keeping_app, acme, monkeypatch):
    """Another spelling of the same values routes to the same place; a marker routing reads is
    part of the key, one it does not read (a recording's name, per call) is not."""
    app, _cache, _changed_since = keeping_app
    routed = _routing_counted(monkeypatch)
    first = etree.tostring(post(app, TENANT_CALL))
    spelled = TENANT_CALL.replace(b"Hunt-Context=acme.example", b"Hunt-Context=acme%2Eexampl%65")
    assert spelled != TENANT_CALL and etree.tostring(post(app, spelled)) == first
    routes = len(routed)
    recorded = TENANT_CALL + b"&variable_pbx_recording=1%2Fa1.wav&variable_pbx_tenant=acme.example"
    assert etree.tostring(post(app, recorded)) == first and len(routed) == routes  # the kept answer
    looping = TENANT_CALL + b"&variable_pbx_hops=9"
    assert b"EXCHANGE_ROUTING_ERROR" in etree.tostring(post(app, looping))
    assert b"EXCHANGE_ROUTING_ERROR" in etree.tostring(post(app, looping.replace(b"pbx_hops=9", b"pbx_hops=%39")))
    assert b"EXCHANGE_ROUTING_ERROR" not in etree.tostring(post(app, looping.replace(b"pbx_hops=9", b"pbx_hops=1")))
    typed = etree.tostring(post(app, TENANT_CALL + b"&variable_pbx_call_type=outbound"))
    assert b"pbx_call_type=" in first and b"pbx_call_type=" not in typed  # set once, by the first step
    elsewhere_tenant = provision.tenant("Globex", "globex.example", "Europe/Madrid", "en", "US")
    provision.user(elsewhere_tenant, "1002", "Bob Globex")
    other = etree.tostring(post(app, TENANT_CALL.replace(b"=acme.example", b"=globex.example")))
    assert b"globex.example" in other and b"acme.example" not in other


def test_a_forward_set_elsewhere_routes_the_next_call(keeping_app, elsewhere, acme):
    app, cache, changed_since = keeping_app
    assert b"bridge" in etree.tostring(post(app, TENANT_CALL))
    assert b"bridge" in etree.tostring(post(app, TENANT_CALL))
    version = cache._watch.version()
    user = provision.find_user(acme, "1002")
    elsewhere.execute_sql("INSERT INTO call_handling (user_id, forward_always, no_answer_seconds, dnd, dnd_mode, "
                          "updated_at) VALUES (%s, 'hangup:CALL_REJECTED', 20, %s, 'busy', '2026-01-01')"
                          .replace("%s", elsewhere.param), (user.id, False))
    changed_since(version)
    routed = etree.tostring(post(app, TENANT_CALL))
    assert b"bridge" not in routed and b"CALL_REJECTED" in routed


def _wait_for(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not within 5 s"
        gevent.sleep(0.02)


def test_a_did_s_answer_is_kept_for_every_caller_until_its_target_changes(keeping_app, elsewhere, acme, monkeypatch):
    """In `public` only the dialled number routes (a DID): one answer per number, whoever calls."""
    from xml_curl import app as app_module

    app, cache, changed_since = keeping_app
    routed = []
    real = app_module._dialplan_document
    monkeypatch.setattr(app_module, "_dialplan_document", lambda *args: routed.append(1) or real(*args))

    def call_from(number: bytes, uuid: bytes) -> bytes:
        body = DID_CALL.replace(b"%2B14155550100", number).replace(b"fec27e7c-ed18-4450-a7a1-4fd4ef309cb1", uuid)
        return etree.tostring(post(app, body))

    first = call_from(b"%2B14155550100", b"a1")
    assert b'data="1002 XML acme.example"' in first
    assert call_from(b"%2B34911234567", b"a2") == first  # another caller, another call: the kept answer
    assert call_from(b"Anonymous", b"a3") == first
    assert len(routed) == 1
    version = cache._watch.version()
    elsewhere.execute_sql("UPDATE number SET destination = 'hangup:CALL_REJECTED' WHERE e164 = '+15550001002'")
    changed_since(version)
    moved = call_from(b"%2B34911234567", b"a4")
    assert b"1002 XML" not in moved and b"pbx-hangup-CALL_REJECTED" in moved
    assert len(routed) == 2
    other_number = DID_CALL.replace(b"Destination-Number=15550001002", b"Destination-Number=15550009999")
    assert b"UNALLOCATED_NUMBER" in etree.tostring(post(app, other_number))


def test_a_did_s_kept_answer_outlives_another_tenant_s_change_but_not_its_own(keeping_app, elsewhere, acme, monkeypatch):
    """A DID's answer is read from its number's tenant alone: an admin busy in another tenant does
    not send every DID back to routing; a change in the number's tenant does."""
    from xml_curl import app as app_module

    app, cache, changed_since = keeping_app
    version = cache._watch.version()
    bravo = provision.tenant("Bravo", "bravo.example", "Europe/Madrid", "en", "US")
    bravo_one = provision.user(bravo, "2001", "Bravo One", password="bravo-2001-pw")
    changed_since(version)  # PostgreSQL: both notified before the answers below are kept
    if isinstance(cache._watch, Changes):
        _wait_for(lambda: (bravo.id, bravo_one.id) in cache._watch.version().log)  # the user's scope
    routed = []
    real = app_module._dialplan_document
    monkeypatch.setattr(app_module, "_dialplan_document", lambda *args: routed.append(1) or real(*args))
    missing = DID_CALL.replace(b"Destination-Number=15550001002", b"Destination-Number=15550009999")
    assert b"1002 XML acme.example" in etree.tostring(post(app, DID_CALL))
    assert b"UNALLOCATED_NUMBER" in etree.tostring(post(app, missing))
    assert b"bridge" in etree.tostring(post(app, TENANT_CALL))
    assert len(routed) == 3
    version = cache._watch.version()
    elsewhere.execute_sql("UPDATE \"user\" SET display_name = 'Renamed' WHERE extension = '2001'")
    changed_since(version)
    assert b"1002 XML acme.example" in etree.tostring(post(app, DID_CALL))  # kept
    assert len(routed) == 3
    post(app, missing), post(app, TENANT_CALL)  # of no one tenant: routed again
    assert len(routed) == 5
    version = cache._watch.version()
    elsewhere.execute_sql("UPDATE \"user\" SET display_name = 'Bob Renamed' WHERE extension = '1002'")
    changed_since(version)
    assert b"1002 XML acme.example" in etree.tostring(post(app, DID_CALL))
    assert len(routed) == 6
