"""A user's own space through the portal: forwarding, do not disturb and simultaneous ring, the call
log, contacts (with the CSV import shown line by line first), voicemail, the phonebook page; and
that nothing of another user or tenant can be reached through it."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from fs_plugins.application import AppContext
from fs_plugins.callhandling import app as callhandling
from fs_plugins.calllog.classify import Status
from fs_plugins.models import Tenant, User
from fs_plugins.models.audit import AuditEntry
from fs_plugins.models.calllog import CallEntry
from fs_plugins.models.contacts import Contact
from tests.api_world import cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, RIVAL, USER, Browser, browser, portal_app, world  # noqa: F401
from tests.test_callhandling_dialplan import fields, serve, steps
from xml_curl.app import make_app as make_xml_curl_app
from fs_plugins.config import Config
from fs_plugins.portal.app import make_portal_app


def _settings(extension="1001"):
    return callhandling.show(AppContext.operator(), "acme.example.com", extension)


def test_a_no_answer_forward_set_in_the_portal_is_what_the_dialplan_does(browser, db):
    browser.sign_in()
    response = browser.submit("/me/forwards", {"kind": "user", "target": "1002", "seconds": "15"},
                              action="/me/forwards/no-answer")
    assert response.status_code == 200
    html = response.data.decode()
    assert 'role="status"' in html and "1002" in re.search(r'<p class="notice">(.*?)</p>', html, re.S).group(1)
    settings = _settings()
    assert settings.forward_no_answer.label.startswith("user:1002") and settings.no_answer_seconds == 15
    # What FreeSWITCH is told for a call to 1001: ring 15 s, then on to Bruno (1002).
    run = steps(serve(make_xml_curl_app(Config(), db), fields("acme.example.com", "1001")))
    assert ("set", "call_timeout=15") in run
    bruno = User.get(User.extension == "1002", User.tenant == _ana().tenant)
    assert run[-4:] == [("set", "pbx_forwarded=no_answer"), ("set", "pbx_hops=1"),
                        ("set", "pbx_chain=1001@acme.example.com:no_answer"),
                        ("transfer", f"pbx-user-{bruno.id} XML acme.example.com")]
    assert AuditEntry.select().where(AuditEntry.action == "forward.update").count() == 1


@pytest.mark.parametrize("form, field", [
    ({"kind": "user", "target": "9999", "seconds": "20"}, "to"),
    ({"kind": "user", "target": "1002", "seconds": "500"}, "seconds"),
    ({"kind": "user", "target": "1002", "seconds": "soon"}, "seconds"),
    ({"kind": "user", "target": "1001", "seconds": "20"}, "to"),
])
def test_a_bad_forward_is_refused_next_to_its_field_and_nothing_changes(browser, form, field):
    browser.sign_in()
    response = browser.submit("/me/forwards", form, action="/me/forwards/no-answer")
    assert response.status_code == 422
    html = response.data.decode()
    assert f'id="e-no-answer-{"target" if field == "to" else field}"' in html or f'id="e-no-answer-seconds"' in html
    assert _settings().forward_no_answer is None


def test_dnd_and_simultaneous_ring_are_set_and_removed(browser):
    browser.sign_in()
    assert browser.submit("/me/forwards", {"on": "yes", "mode": "voicemail"}, action="/me/dnd").status_code == 200
    assert _settings().dnd and _settings().dnd_mode == "voicemail"
    added = browser.submit("/me/forwards", {"kind": "number", "target": "600123456", "delay": "5", "confirm": "yes"},
                           action="/me/simring")
    assert added.status_code == 200
    [ring] = [r for r in _settings().rings if "600123456" in r.target.label]
    assert ring.delay == 5 and ring.confirm
    assert browser.submit("/me/forwards", {"to": ring.target.destination}, action="/me/simring/remove").status_code == 200
    assert ring not in _settings().rings


def test_a_tenant_admin_who_is_no_user_has_no_personal_pages(browser):
    browser.sign_in(ADMIN)
    for path in ("/me/forwards", "/me/calls", "/me/contacts", "/me/voicemail", "/me/phonebook"):
        assert browser.get(path).status_code == 404


# --- call log ------------------------------------------------------------------------------------



def _ana():
    return User.get(User.extension == "1001", User.tenant == Tenant.get(Tenant.domain == "acme.example.com"))


def _at(text: str) -> int:
    return int(dt.datetime.fromisoformat(text).timestamp())


def test_the_call_log_shows_each_status_in_its_colour_and_the_tenants_time(browser):
    ana = _ana()
    CallEntry.create(tenant=ana.tenant, user=ana, call_id="c1", kind="missed", status=Status.MISSED.code,
                     direction="inbound", started_at=_at("2026-11-24T09:05:00+00:00"), caller_name="Proveedor S.A.",
                     caller_number="+34911234567", callee="1001", answered_by="", ring_seconds=18, talk_seconds=0)
    CallEntry.create(tenant=ana.tenant, user=ana, call_id="c2", kind="made", status=Status.MADE.code,
                     direction="outbound", started_at=_at("2026-11-24T10:00:00+00:00"), caller_name="Ana",
                     caller_number="1001", callee="+34600111222", answered_by="", ring_seconds=4, talk_seconds=125)
    browser.sign_in()
    html = browser.get("/me/calls?period=day&day=2026-11-24").data.decode()
    rows = re.findall(r'<tr class="status-(\w+)">(.*?)</tr>', html, re.S)
    assert [code for code, _ in rows] == ["made", "missed"]  # newest first
    made, missed = rows[0][1], rows[1][1]
    assert Status.MISSED.colour in missed and "Perdido" in missed and "Proveedor S.A." in missed
    assert "10:05" in missed  # 09:05 UTC is 10:05 in Madrid
    assert "+34600111222" in made and "2:05" in made and "Emitido" in made
    only_missed = browser.get("/me/calls?type=missed").data.decode()
    assert "status-missed" in only_missed and "status-made" not in only_missed
    other_day = browser.get("/me/calls?period=day&day=2026-11-25").data.decode()
    assert "status-" not in other_day.split('<div id="calls">')[1]


def test_the_call_log_says_why_a_made_call_was_cancelled_in_the_tenants_language(browser):
    """Issue 13 [10]: the cause column, e.g. busy, or a call a mailbox took (answered by voicemail)."""
    ana = _ana()
    for n, cause in enumerate(("busy", "voicemail")):
        CallEntry.create(tenant=ana.tenant, user=ana, call_id=f"c{n}", kind="made", status=Status.CANCELLED.code,
                         direction="internal", started_at=_at(f"2026-11-24T09:0{n}:00+00:00"), caller_name="Ana",
                         caller_number="1001", callee="1002", answered_by="", ring_seconds=4, talk_seconds=0,
                         cause=cause)
    browser.sign_in()

    def causes() -> list[str]:
        html = browser.get("/me/calls?period=day&day=2026-11-24").data.decode()  # not the world's received calls
        assert re.search(r'<th scope="col">(Motivo|Cause)</th>', html)
        return re.findall(r'<td class="cause">(.*?)</td>', html, re.S)

    assert causes() == ["Atendida por el buzón de voz", "Ocupado"]  # newest first
    Tenant.update(language="en").where(Tenant.id == ana.tenant.id).execute()
    assert causes() == ["Answered by voicemail", "Busy"]


def test_every_cause_the_classifier_gives_has_a_label():
    from fs_plugins.calllog.classify import CANCEL_REASONS
    from fs_plugins.portal.views.me_calls import CAUSE_LABELS

    assert set(CAUSE_LABELS) == set(CANCEL_REASONS)


def test_the_call_log_csv_is_what_the_filters_select(browser):
    ana = _ana()
    CallEntry.create(tenant=ana.tenant, user=ana, call_id="c1", kind="missed", status=Status.MISSED.code,
                     direction="inbound", started_at=_at("2026-11-24T09:05:00+00:00"), caller_name="=cmd|' /C calc'!A0",
                     caller_number="+34911234567", callee="1001", answered_by="", ring_seconds=18, talk_seconds=0)
    browser.sign_in()
    response = browser.get("/me/calls.csv?type=missed&period=month&day=2026-11-01")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.data.decode()
    assert "+34911234567" in text and "'=cmd" in text  # formula-safe
    assert browser.get("/me/calls.csv?type=made").data.decode().count("\n") == 1  # the header only


def test_a_bad_call_log_filter_is_named_and_the_log_still_shows(browser):
    browser.sign_in()
    response = browser.get("/me/calls?period=week&day=24/11/2026")
    assert response.status_code == 422 and 'id="e-day"' in response.data.decode()


# --- contacts ------------------------------------------------------------------------------------

def test_a_personal_contact_is_created_edited_and_deleted(browser):
    browser.sign_in()
    before = Contact.select().count()
    created = browser.submit("/me/contacts/new", {"name": "Proveedor S.A.", "work": "91 123 45 67", "mobile": "",
                                                  "home": "", "other": "", "company": "", "email": "", "note": ""})
    assert created.status_code == 200 and "Proveedor S.A." in created.data.decode()
    contact = Contact.get(Contact.name == "Proveedor S.A.")
    edited = browser.submit(f"/me/contacts/{contact.id}", {"name": "Proveedor SA", "work": "91 123 45 67",
                                                           "mobile": "600 111 222, 600 333 444", "home": "", "other": "",
                                                           "company": "", "email": "", "note": ""})
    assert edited.status_code == 200
    assert Contact.get_by_id(contact.id).name == "Proveedor SA"
    deleted = browser.submit("/me/contacts", {}, action=f"/me/contacts/{contact.id}/delete")
    assert deleted.status_code == 200 and Contact.select().count() == before


def test_a_contact_without_a_number_is_refused_naming_the_numbers(browser):
    browser.sign_in()
    before = Contact.select().count()
    response = browser.submit("/me/contacts/new", {"name": "Nadie", "work": "", "mobile": "", "home": "",
                                                   "other": "", "company": "", "email": "", "note": ""})
    assert response.status_code == 422 and 'id="e-number"' in response.data.decode()
    assert Contact.select().count() == before


def test_another_users_or_tenants_contact_is_not_found(browser):
    browser.sign_in()
    browser.submit("/me/contacts/new", {"name": "Mine", "work": "91 123 45 67", "mobile": "", "home": "",
                                        "other": "", "company": "", "email": "", "note": ""})
    mine = Contact.get(Contact.name == "Mine")
    rival = Browser(browser.app)
    rival.sign_in(RIVAL)
    assert rival.get(f"/me/contacts/{mine.id}").status_code == 404
    assert rival.submit("/me/contacts", {}, action=f"/me/contacts/{mine.id}/delete").status_code == 404
    assert Contact.select().where(Contact.id == mine.id).exists()


CSV = ("name,work,mobile,email\n"
       "Proveedor S.A.,91 123 45 67,,\n"
       "Sin número,,,\n"
       "Cliente,,600 111 222,cliente@example.com\n")


def test_an_import_shows_each_bad_line_before_storing_anything(browser):
    browser.sign_in()
    before = {c.id for c in Contact.select()}
    token = re.search(r'name="csrf_token" value="([^"]*)"', browser.get("/me/contacts/import").data.decode()).group(1)
    checked = browser.client.post("/me/contacts/import", data={
        "csrf_token": token, "duplicates": "skip", "file": (io.BytesIO(CSV.encode()), "agenda.csv")},
        content_type="multipart/form-data")
    html = checked.data.decode()
    assert checked.status_code == 200 and "<td>3</td>" in html  # the bad line, by its number in the file
    assert {c.id for c in Contact.select()} == before  # nothing stored yet
    data = re.search(r'name="data" value="([^"]*)"', html).group(1)
    stored = browser.client.post("/me/contacts/import", data={"csrf_token": token, "duplicates": "skip",
                                                               "data": data, "store": "good"})
    assert stored.status_code == 200
    assert sorted(c.name for c in Contact.select().where(Contact.id.not_in(before))) == ["Cliente", "Proveedor S.A."]
    assert AuditEntry.select().where(AuditEntry.action == "contact.import").count() == 1


def test_the_common_directory_lists_colleagues_and_export_is_csv(browser):
    browser.sign_in()
    html = browser.get("/me/directory").data.decode()
    assert "Bruno Dos" in html and "Rivalina" not in html
    exported = browser.get("/me/contacts.csv")
    assert exported.status_code == 200 and exported.data.decode().startswith("name,")


# --- voicemail -----------------------------------------------------------------------------------

@pytest.fixture
def freeswitch(tmp_path):
    """The emulated FreeSWITCH event socket, holding two messages in Ana's box (files under tmp_path)."""
    from fs_plugins.sim.inbound import InboundEmulator
    from fs_plugins.sim.voicemail import StoredMessage

    emulator = InboundEmulator()
    emulator.start()
    folder = tmp_path / "voicemail" / "default" / "acme.example.com" / "1001"
    folder.mkdir(parents=True)
    for n, (name, number) in enumerate((("Proveedor", "+34911234567"), ("Cliente", "+34600111222")), 1):
        path = folder / f"msg_{n}.wav"
        path.write_bytes(b"RIFF....WAVE" + bytes(n))
        emulator.voicemail.leave("acme.example.com", "1001", StoredMessage(
            f"0000000{n}-aaaa-bbbb-cccc-dddddddddddd", name, number, 10 * n, str(path), created=1764000000 + n))
    yield emulator, tmp_path / "voicemail"
    emulator.stop()


def _voicemail_browser(emulator, files) -> Browser:
    host, port = emulator.address
    config = Config().replace(fs_event_socket_host=host, fs_event_socket_port=port, voicemail_files_dir=str(files))
    return Browser(make_portal_app(config))


def test_voicemail_messages_are_listed_played_and_deleted_through_freeswitch(world, freeswitch):
    emulator, files = freeswitch
    browser = _voicemail_browser(emulator, files)
    browser.sign_in()
    html = browser.get("/me/voicemail").data.decode()
    assert html.index("Cliente") < html.index("Proveedor")  # newest first
    first = "00000001-aaaa-bbbb-cccc-dddddddddddd"
    audio = browser.get(f"/me/voicemail/{first}.wav")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav" and audio.data.startswith(b"RIFF")
    assert emulator.voicemail.boxes[("acme.example.com", "1001")][0].read != 0  # marked heard
    deleted = browser.submit("/me/voicemail", {}, action=f"/me/voicemail/{first}/delete")
    assert deleted.status_code == 200 and "Proveedor" not in deleted.data.decode().split('id="h-messages"')[1]
    assert not (files / "default" / "acme.example.com" / "1001" / "msg_1.wav").exists()


def test_another_users_message_is_not_found(world, freeswitch):
    emulator, files = freeswitch
    browser = _voicemail_browser(emulator, files)
    browser.sign_in(RIVAL)
    first = "00000001-aaaa-bbbb-cccc-dddddddddddd"
    assert browser.get(f"/me/voicemail/{first}.wav").status_code == 404
    assert browser.submit("/me/voicemail", {}, action=f"/me/voicemail/{first}/delete").status_code == 422
    assert len(emulator.voicemail.boxes[("acme.example.com", "1001")]) == 2


def test_when_freeswitch_is_down_the_page_says_so(world):
    browser = Browser(make_portal_app(Config().replace(fs_event_socket_port=1)))
    browser.sign_in()
    response = browser.get("/me/voicemail")
    assert response.status_code == 200 and 'role="alert"' in response.data.decode()
    # Deleting then is not a server error either: nothing was deleted, and the page says why.
    deleted = browser.submit("/me/voicemail", {}, action="/me/voicemail/00000001-aaaa-bbbb-cccc-dddddddddddd/delete")
    assert deleted.status_code == 200 and 'role="alert"' in deleted.data.decode()


def test_the_voicemail_pin_and_email_are_set(browser):
    browser.sign_in()
    response = browser.submit("/me/voicemail", {"pin": "12", "email": "ana@acme.example.com"},
                              action="/me/voicemail/settings")
    assert response.status_code == 422 and 'id="e-pin"' in response.data.decode()
    response = browser.submit("/me/voicemail", {"pin": "2468", "email": "ana@acme.example.com", "attach": "yes"},
                              action="/me/voicemail/settings")
    assert response.status_code == 200
    from fs_plugins.voicemail import app as voicemail
    box = voicemail.get_box(AppContext.operator(), "acme.example.com", "1001")
    assert box.pin_set and box.email == "ana@acme.example.com"


def test_the_phonebook_page_gives_the_tenants_urls(browser):
    browser.sign_in()
    html = browser.get("/me/phonebook").data.decode()
    assert "/phonebook/acme.example.com/yealink.xml" in html and "1001@acme.example.com" in html
    assert "/phonebook/acme.example.com/fanvil.xml" in html and "tecla DSS de tipo XML Phonebook" in html
