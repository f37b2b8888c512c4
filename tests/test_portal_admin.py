"""A customer's administration through the portal: users (a generated SIP password shown once, edit,
new password, disable) and numbers; and that an admin reaches only their own tenant."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
import re

import pytest

from fs_plugins.models import Number, Tenant, User
from fs_plugins.models.audit import AuditEntry
from tests import provision
from tests.api_world import OTHER, OWN, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, OPERATOR, USER, Browser, browser, world  # noqa: F401

USERS = f"/t/{OWN}/users"


def _secret(html: str) -> str:
    return re.search(r'<code class="secret" id="sip-password">([^<]+)</code>', html).group(1)


def _user(extension: str) -> User:
    return User.get(User.extension == extension, User.tenant == Tenant.get(Tenant.domain == OWN))


def test_a_new_users_sip_password_is_generated_and_shown_only_once(browser):
    browser.sign_in(ADMIN)
    response = browser.submit(USERS, {"extension": "1009", "name": "Eva Martín", "email": ""})
    assert response.status_code == 200
    password = _secret(response.data.decode())
    assert _user("1009").a1_hash == hashlib.md5(f"1009:{OWN}:{password}".encode()).hexdigest()
    assert password not in browser.get(USERS).data.decode()
    entry = AuditEntry.get(AuditEntry.action == "user.create")
    assert password not in entry.detail and entry.actor == f"login {ADMIN}"


@pytest.mark.parametrize("form, field", [
    ({"extension": "12a", "name": "Eva", "email": ""}, "extension"),
    ({"extension": "1001", "name": "Eva", "email": ""}, "extension"),
    ({"extension": "1009", "name": "", "email": ""}, "name"),
    ({"extension": "1009", "name": "Eva", "email": "not-an-address"}, "email"),
])
def test_a_bad_new_user_is_refused_next_to_its_field_and_nothing_is_created(browser, form, field):
    browser.sign_in(ADMIN)
    before = User.select().count()
    response = browser.submit(USERS, form)
    assert response.status_code == 422
    assert f'id="e-{field}"' in response.data.decode()
    assert User.select().count() == before


def test_a_new_sip_password_replaces_the_old_one_and_is_shown_once(browser):
    browser.sign_in(ADMIN)
    before = _user("1002").a1_hash
    response = browser.submit(USERS, {}, action=f"{USERS}/1002/password")
    password = _secret(response.data.decode())
    assert _user("1002").a1_hash == hashlib.md5(f"1002:{OWN}:{password}".encode()).hexdigest() != before


def test_disabling_and_enabling_a_user(browser):
    browser.sign_in(ADMIN)
    browser.submit(USERS, {"enabled": "no"}, action=f"{USERS}/1002/enabled")
    assert not _user("1002").enabled
    browser.submit(USERS, {"enabled": "yes"}, action=f"{USERS}/1002/enabled")
    assert _user("1002").enabled


def test_editing_a_users_name(browser):
    browser.sign_in(ADMIN)
    response = browser.submit(f"{USERS}/1002", {"name": "Bruno Díaz", "email": "bruno@acme.example.com"})
    assert response.status_code == 200 and _user("1002").display_name == "Bruno Díaz"
    refused = browser.submit(f"{USERS}/1002", {"name": "", "email": ""})
    assert refused.status_code == 422 and _user("1002").display_name == "Bruno Díaz"


def test_a_number_is_routed_and_a_bad_destination_is_named(browser):
    browser.sign_in(ADMIN)
    number = Number.get(Number.tenant == Tenant.get(Tenant.domain == OWN))
    page = f"/t/{OWN}/numbers"
    refused = browser.submit(page, {"destination": "user:4711"}, action=f"{page}/{number.e164}")
    assert refused.status_code == 422 and 'id="e-destination-1"' in refused.data.decode()
    done = browser.submit(page, {"destination": "user:1002"}, action=f"{page}/{number.e164}")
    assert done.status_code == 200 and str(Number.get_by_id(number.id).destination) == f"user:{_user('1002').id}"


def test_the_general_box_a_number_goes_to_is_named_in_the_pages_language(browser):
    browser.sign_in(ADMIN)
    assert "voicemail: (buzón general)" in browser.get(f"/t/{OWN}/numbers").data.decode()
    browser.client.set_cookie("centralita_lang", "en")
    assert "voicemail: (general box)" in browser.get(f"/t/{OWN}/numbers").data.decode()


def test_an_admin_reaches_no_other_tenant_and_a_user_no_admin_page(browser):
    browser.sign_in(ADMIN)
    other = Tenant.get(Tenant.domain == OTHER)
    assert browser.get(f"/t/{OTHER}/users").status_code == 404
    assert browser.get(f"/t/{OTHER}/numbers").status_code == 404
    their = User.get(User.tenant == other, User.extension == "2002")
    assert browser.submit(USERS, {}, action=f"/t/{OTHER}/users/2002/password").status_code == 404
    assert User.get_by_id(their.id).a1_hash == their.a1_hash
    user = Browser(browser.app)
    user.sign_in(USER)
    assert user.get(USERS).status_code == 404


def test_the_operator_manages_any_customer(browser):
    browser.sign_in(OPERATOR)
    html = browser.get(f"/t/{OTHER}/users").data.decode()
    assert "Rivalina" in html and f"/t/{OTHER}/numbers" in html  # the menu leads to that customer's pages


def test_the_general_voicemail_box_is_the_admins_and_nobody_elses(world, tmp_path):
    from fs_plugins.config import Config
    from fs_plugins.portal.app import make_portal_app
    from fs_plugins.sim.inbound import InboundEmulator
    from fs_plugins.sim.voicemail import StoredMessage

    emulator = InboundEmulator()
    emulator.start()
    try:
        folder = tmp_path / "default" / OWN / "general"
        folder.mkdir(parents=True)
        (folder / "m.wav").write_bytes(b"RIFF....")
        uuid = "0000000a-aaaa-bbbb-cccc-dddddddddddd"
        emulator.voicemail.leave(OWN, "general", StoredMessage(uuid, "Cliente", "+34600111222", 9, str(folder / "m.wav")))
        host, port = emulator.address
        app = make_portal_app(Config().replace(fs_event_socket_host=host, fs_event_socket_port=port,
                                               voicemail_files_dir=str(tmp_path)))
        admin, user = Browser(app), Browser(app)
        admin.sign_in(ADMIN)
        user.sign_in(USER)
        assert "Cliente" in admin.get(f"/t/{OWN}/voicemail").data.decode()
        assert admin.get(f"/t/{OWN}/voicemail/{uuid}.wav").data.startswith(b"RIFF")
        assert user.get(f"/t/{OWN}/voicemail").status_code == 404
        assert user.get(f"/t/{OWN}/voicemail/{uuid}.wav").status_code == 404
        assert admin.get(f"/t/{OTHER}/voicemail").status_code == 404
        admin.submit(f"/t/{OWN}/voicemail", {}, action=f"/t/{OWN}/voicemail/{uuid}/delete")
        assert emulator.voicemail.boxes[(OWN, "general")] == []
    finally:
        emulator.stop()


def test_the_billing_page_counts_the_months_ivr_menus(browser):
    import datetime as dt

    from fs_plugins.models.ivr import IvrMenu

    owner = Tenant.get(Tenant.domain == OWN)
    IvrMenu.create(tenant=owner, name="Principal", created_at=dt.datetime(2026, 10, 5))
    IvrMenu.create(tenant=owner, name="Antiguo", created_at=dt.datetime(2026, 9, 1), deleted_at=dt.datetime(2026, 9, 30))
    browser.sign_in(ADMIN)
    html = browser.get(f"/t/{OWN}/billing?month=2026-11").data.decode()
    assert "<td>Principal</td>" in html and "Antiguo" not in html
    assert "1 menú IVR facturado en noviembre 2026." in html and "<td>5 oct 2026, 0:00</td>" in html
    browser.client.set_cookie("centralita_lang", "en")
    assert "1 IVR menu billed in November 2026." in browser.get(f"/t/{OWN}/billing?month=2026-11").data.decode()
    browser.client.set_cookie("centralita_lang", "es")
    refused = browser.get(f"/t/{OWN}/billing?month=noviembre")
    assert refused.status_code == 422 and 'id="e-month"' in refused.data.decode()
    assert browser.get(f"/t/{OTHER}/billing").status_code == 404


def test_the_schedules_week_view_and_the_years_holidays(browser):
    from fs_plugins.schedule import settings as schedules
    from fs_plugins.schedule.spec import parse_hours

    owner = Tenant.get(Tenant.domain == OWN)
    Tenant.update(country="ES", region="MD").where(Tenant.id == owner.id).execute()
    schedules.create_schedule(Tenant.get_by_id(owner.id), "Oficina",
                              hours=parse_hours("mon-fri 09:00-14:00,16:00-19:00"))
    browser.sign_in(ADMIN)
    html = browser.get(f"/t/{OWN}/schedules?year=2026").data.decode()
    html = html.split(">Oficina</h2>")[1].split("</section>")[0]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', html, re.S)
    assert [day for day, _ in rows][:1] == ["lunes"] and len(rows) == 7
    assert rows[0][1].count('class="open-bar"') == 2 and "09:00–14:00" in rows[0][1]
    assert 'class="open-bar"' not in rows[5][1]  # Saturday: closed
    assert "25 de diciembre de 2026</time>: Natividad del Señor" in html
    assert "2 de mayo de 2026" in html  # Madrid's own holiday: the region counts
    assert browser.get(f"/t/{OTHER}/schedules").status_code == 404


def _ivr_form(**changes) -> dict:
    form = {"name": "Principal", "comment": "", "numbers": "", "short_number": "5000", "forward": "none",
            "forward_to": "", "schedule": "", "closed": "", "welcome": "", "timeout": "5", "loops": "3",
            "exit": "voicemail:", "option_1": "user:1002"}
    form.update(changes)
    return form


def test_an_ivr_menu_is_built_with_its_tabs_and_tried(browser, db):
    from fs_plugins.ivr import app as ivr
    
    browser.sign_in(ADMIN)
    number = Number.get(Number.tenant == Tenant.get(Tenant.domain == OWN)).e164
    saved = browser.submit(f"/t/{OWN}/ivr/new", _ivr_form(numbers=number))
    assert saved.status_code == 302
    menu = ivr.get_menu(provision.OPERATOR, OWN, "Principal")
    assert (menu.numbers, menu.short_numbers) == ((number,), ("5000",)) and [o.key for o in menu.options] == ["1"]
    page = browser.get(saved.headers["Location"]).data.decode()
    assert 'role="tablist"' in page and "Menú IVR Principal guardado." in page
    # Tried as a call: 5000, key 1, Bruno (1002) rings.
    from fs_plugins.commands.simulate import run_simulation
    from fs_plugins.config import Config
    from fs_plugins.sim.dialplan import Caller
    from fs_plugins.sim.script import CallerScript, Leg

    caller = Caller("1001", "Ana", OWN, {"pbx_tenant": OWN, "pbx_user_id": f"1001@{OWN}", "user_context": OWN})
    sim = run_simulation(Config(), db, caller, "5000", CallerScript(digits=["1"], default_leg=Leg("answer")))
    assert sim.sessions[0].collected == ["1"]
    assert any(step.startswith(f"bridge user/1002@{OWN}") and step.endswith(": SUCCESS") for step in sim.steps)
    # a second key, the first removed, in one save
    browser.submit(f"/t/{OWN}/ivr/{menu.id}", _ivr_form(numbers=number, option_1="", option_2="user:1001"))
    assert [o.key for o in ivr.get_menu(provision.OPERATOR, OWN, "Principal").options] == ["2"]


@pytest.mark.parametrize("changes, field", [
    ({"forward": "forward", "forward_to": ""}, "forward_to"),
    ({"forward": "schedule", "schedule": ""}, "schedule"),
    ({"option_1": "user:4711"}, "option_1"),
    ({"option_1": ""}, "option"),
    ({"loops": "99"}, "loops"),
    ({"name": ""}, "name"),
])
def test_a_bad_ivr_menu_is_refused_next_to_the_field_and_nothing_is_written(browser, changes, field):
    from fs_plugins.models.ivr import IvrMenu

    browser.sign_in(ADMIN)
    before = IvrMenu.select().count()
    response = browser.submit(f"/t/{OWN}/ivr/new", _ivr_form(**changes))
    assert response.status_code == 422
    html = response.data.decode()
    assert f'id="e-{field}"' in html or (field == "option" and 'role="alert"' in html)
    assert IvrMenu.select().count() == before


def test_an_advanced_groups_statistics_after_emulated_calls(browser):
    import datetime as dt

    from fs_plugins.config import Config
    from fs_plugins.groups import stats
    from fs_plugins.groups.simulate import simulate_group
    from fs_plugins.sim.script import CallerScript, Leg

    owner = Tenant.get(Tenant.domain == OWN)
    group = provision.group(owner, "Soporte", ("1001", "1002"), kind="advanced", ring_mode="consecutive",
                            member_seconds="5")
    at = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)
    answered_by_bruno = CallerScript(legs={f"user/1002@{OWN}": Leg("answer", 1, 30)},
                                     default_leg=Leg("no_answer"))
    gives_up = CallerScript(hangup_at=3, default_leg=Leg("no_answer"))
    _reports, records = simulate_group(Config(), OWN, group.id, [answered_by_bruno, gives_up], at=at)
    for record in records:
        stats.write_record(record)  # what the flow's record callback does in production
    browser.sign_in(ADMIN)
    listing = browser.get(f"/t/{OWN}/groups").data.decode()
    assert "Soporte" in listing and f"/t/{OWN}/groups/{group.id}/stats" in listing
    html = browser.get(f"/t/{OWN}/groups/{group.id}/stats?month=2026-11").data.decode()
    figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert figures["Ofrecidas"] == "2" and figures["Contestadas"] == "1" and figures["Abandonadas"] == "1"
    assert html.count('<svg class="chart"') == 2 and "24: 1 contestadas" in html
    csv_text = browser.get(f"/t/{OWN}/groups/{group.id}/stats?month=2026-11&format=csv").data.decode()
    assert csv_text.splitlines()[1].startswith("Soporte,,2,1,1")
    assert browser.get(f"/t/{OTHER}/groups/{group.id}/stats").status_code == 404


SAMPLE_WAV = Path(__file__).resolve().parents[1] / "docs" / "samples" / "bienvenida.wav"


@pytest.fixture
def audio_browser(world, tmp_path):
    from fs_plugins.config import Config
    from fs_plugins.portal.app import make_portal_app
    from fs_plugins.sim.inbound import InboundEmulator

    emulator = InboundEmulator()
    emulator.start()
    host, port = emulator.address
    config = Config().replace(data_dir=str(tmp_path / "data"), fs_event_socket_host=host, fs_event_socket_port=port,
                              audio_max_seconds=60)
    person = Browser(make_portal_app(config))
    person.sign_in(ADMIN)
    yield person, emulator
    emulator.stop()


def _post_file(person, name: str, data: bytes):
    token = re.search(r'name="csrf_token" value="([^"]*)"', person.get(f"/t/{OWN}/audio").data.decode()).group(1)
    return person.client.post(f"/t/{OWN}/audio", data={"csrf_token": token, "name": name,
                                                       "file": (io.BytesIO(data), "file.wav")},
                              content_type="multipart/form-data")


def test_an_uploaded_message_is_listed_played_and_deleted(audio_browser):
    from fs_plugins.models.audio import AudioFile

    person, _emulator = audio_browser
    done = _post_file(person, "Bienvenida", SAMPLE_WAV.read_bytes())
    assert done.status_code == 200 and "Bienvenida" in done.data.decode()
    row = AudioFile.get(AudioFile.name == "Bienvenida")
    assert person.get(f"/t/{OWN}/audio/{row.id}.wav").data.startswith(b"RIFF")
    refused = _post_file(person, "Ruido", b"not audio at all")
    assert refused.status_code == 422 and 'id="e-file"' in refused.data.decode()
    assert not AudioFile.select().where(AudioFile.name == "Ruido").exists()
    person.submit(f"/t/{OWN}/audio", {}, action=f"/t/{OWN}/audio/{row.id}/delete")
    assert not AudioFile.select().where(AudioFile.id == row.id).exists()


def follow_recording(person, started):
    """The dialog's job followed as htmx does (polls of its hx-get) to its end: the page it leads to once
    saved, or its last fragment (failed); every text it showed on the way."""
    import gevent

    html, seen = started.data.decode(), []
    poll = re.search(r'id="record-job"[^>]* hx-get="([^"]+)"', html)
    assert poll, html
    for _ in range(400):
        answer = person.client.get(poll.group(1), headers={"HX-Request": "true"})
        if answer.headers.get("HX-Redirect"):
            return person.get(answer.headers["HX-Redirect"]), seen
        fragment = answer.data.decode()
        seen.append(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip())
        if 'hx-get="' not in fragment:
            return answer, seen
        gevent.sleep(0.05)  # the emulated FreeSWITCH (this thread's hub) answers the call meanwhile
    raise AssertionError(f"the recording job did not end: {seen[-3:]}")


def test_voice_recording_starts_a_job_the_dialog_follows_until_the_take_joins_the_library(audio_browser):
    from fs_plugins.models.audio import AudioFile
    from fs_plugins.sim.script import CallerScript

    person, emulator = audio_browser
    emulator.default_script = CallerScript(dtmf=[(1.5, "#")], digits=["3"])  # speaks, #, then 3 to keep
    started = person.submit(f"/t/{OWN}/audio", {"name": "Cerrado", "call": "1002"}, action=f"/t/{OWN}/audio/record")
    html = started.data.decode()
    assert started.status_code == 200 and '<dialog id="record-dialog" open' in html  # answered before the call
    assert "Llamando a 1002: conteste el teléfono." in html
    done, _seen = follow_recording(person, started)
    assert done.status_code == 200 and "Cerrado grabado por teléfono y añadido a la biblioteca" in done.data.decode()
    assert AudioFile.get(AudioFile.name == "Cerrado").source == "recording"
    assert emulator.report.originated[0][0] == f"user/1002@{OWN}"


def test_a_failed_recording_says_why_in_spanish_and_stores_nothing(audio_browser):
    from fs_plugins.models.audio import AudioFile

    person, emulator = audio_browser
    emulator.outcomes[f"user/1001@{OWN}"] = "USER_NOT_REGISTERED"
    started = person.submit(f"/t/{OWN}/audio", {"name": "Otra", "call": "1001"}, action=f"/t/{OWN}/audio/record")
    failed, _seen = follow_recording(person, started)
    text = failed.data.decode()
    assert "La grabación Otra ha fallado: no se pudo llamar a" in text and "USER_NOT_REGISTERED" in text, text
    assert not AudioFile.select().where(AudioFile.name == "Otra").exists()
    refused = person.submit(f"/t/{OWN}/audio", {"name": "", "call": "1001"}, action=f"/t/{OWN}/audio/record")
    assert refused.status_code == 422 and 'id="e-record-name"' in refused.data.decode()  # refused before any call
    assert len(emulator.report.originated) == 1


def test_each_state_of_a_recording_job_reads_in_spanish_in_the_dialog(audio_browser):
    from fs_plugins.audio import app as audio_app
    from fs_plugins.models.audio import RecordingJob

    person, _emulator = audio_browser
    job = provision.recording_job(OWN, "Aviso", "1002", dt.timedelta(minutes=5), state="recording")

    def shown(**state):
        if state:
            RecordingJob.update(**state).where(RecordingJob.id == job.id).execute()
        return person.client.get(f"/t/{OWN}/audio/recordings/{job.id}", headers={"HX-Request": "true"})

    going = shown().data.decode()
    assert "Grabando Aviso: hable tras el pitido, pulse # para terminar y luego 3 para guardarla." in going
    assert 'hx-trigger="every 1s"' in going  # asked again while the call goes on
    lost = shown(state="failed", detail=audio_app.JOB_LOST).data.decode()
    assert "La grabación Aviso ha fallado: el servidor que hacía la llamada se detuvo" in lost and "hx-get" not in lost
    crashed = shown(detail=audio_app.JOB_CRASHED).data.decode()
    assert "el servidor falló; no se guardó nada" in crashed
    unconfirmed = shown(detail="no recording was confirmed with key 3 on user/1002@acme.example.com").data.decode()
    assert "no se confirmó ninguna grabación con la tecla 3 en user/1002@acme.example.com" in unconfirmed
    without_htmx = person.get(f"/t/{OWN}/audio/recordings/{job.id}").data.decode()  # no JavaScript: the page
    assert '<dialog id="record-dialog" open' in without_htmx and "La grabación Aviso ha fallado" in without_htmx


def test_without_javascript_a_saved_recording_leads_to_the_library_saying_so(audio_browser):
    from fs_plugins.models.audio import AudioFile

    person, _emulator = audio_browser
    _post_file(person, "Hecho", SAMPLE_WAV.read_bytes())
    job = provision.recording_job(OWN, "Hecho", "1002", state="done", audio=AudioFile.get(AudioFile.name == "Hecho"))
    followed = person.get(f"/t/{OWN}/audio/recordings/{job.id}")
    assert followed.status_code == 303 and followed.headers["Location"].endswith(f"/t/{OWN}/audio?recorded={job.id}")
    html = person.get(f"/t/{OWN}/audio?recorded={job.id}").data.decode()
    assert "Hecho grabado por teléfono y añadido a la biblioteca." in html
    assert "grabado por teléfono" not in person.get(f"/t/{OWN}/audio?recorded=999").data.decode()


def test_another_customers_recording_job_does_not_exist(audio_browser):
    person, _emulator = audio_browser
    theirs = provision.recording_job(OTHER, "Suya", "2001")
    assert person.get(f"/t/{OTHER}/audio/recordings/{theirs.id}").status_code == 404
    assert person.get(f"/t/{OWN}/audio/recordings/{theirs.id}").status_code == 404


def test_a_big_tenants_users_come_a_hundred_a_page_and_are_searched(browser):
    from fs_plugins.models import utcnow

    owner = Tenant.get(Tenant.domain == OWN)
    User.insert_many([{"tenant": owner.id, "extension": str(3000 + n), "display_name": f"Persona {n}",
                       "a1_hash": "0" * 32, "created_at": utcnow(), "updated_at": utcnow()} for n in range(250)]).execute()
    browser.sign_in(ADMIN)
    first = browser.get(USERS).data.decode()
    assert len(re.findall(r'<tr id="user-', first)) == 100
    following = re.search(r'href="(/t/[^"]+/users\?after=[^"]+)"', first).group(1)
    second = browser.get(following.replace("&amp;", "&")).data.decode()
    assert len(re.findall(r'<tr id="user-', second)) == 100 and 'id="user-1001"' not in second
    found = browser.get(f"{USERS}?q=Persona 24").data.decode()
    assert sorted(re.findall(r'<tr id="user-(\d+)"', found)) == ["3024"] + [str(3240 + n) for n in range(10)]
