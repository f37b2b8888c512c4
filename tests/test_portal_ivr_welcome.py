"""The IVR editor's welcome tab (issue 16 [13], the seed's "Mensaje de bienvenida opcional": none, upload
or record by phone): a message uploaded or recorded there joins the audio library and becomes the
menu's welcome at once; a refused one is explained in its dialog and changes nothing."""
from __future__ import annotations

import io
import re

from fs_plugins.ivr import app as ivr
from fs_plugins.models.audio import AudioFile
from fs_plugins.sim.script import CallerScript
from tests import provision
from tests.api_world import OTHER, OWN, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import browser, world  # noqa: F401
from tests.test_portal_admin import SAMPLE_WAV, audio_browser, follow_recording  # noqa: F401 (fixture)


def _menu(domain=OWN):
    return ivr.list_menus(provision.OPERATOR, domain)[0]


def _post(person, menu, data: dict, files=None, domain=OWN):
    editor = person.get(f"/t/{domain}/ivr/{menu.id}").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]*)"', editor).group(1)
    body = {"csrf_token": token, **data, **(files or {})}
    return person.client.post(f"/t/{domain}/ivr/{menu.id}/welcome", data=body,
                              content_type="multipart/form-data" if files else None)


def test_the_welcome_tab_offers_upload_and_recording_only_once_the_menu_exists(audio_browser):
    person, _emulator = audio_browser
    existing = person.get(f"/t/{OWN}/ivr/{_menu().id}").data.decode()
    assert 'data-opens="record-dialog"' in existing and 'data-opens="upload-dialog"' in existing
    assert f'action="/t/{OWN}/ivr/{_menu().id}/welcome"' in existing
    new = person.get(f"/t/{OWN}/ivr/new").data.decode()
    assert "record-dialog" not in new and "Guarde primero el menú" in new


def test_a_welcome_uploaded_in_the_tab_joins_the_library_and_is_the_menus_welcome(audio_browser):
    person, _emulator = audio_browser
    menu = _menu()
    done = _post(person, menu, {"how": "upload", "name": "Hola"}, {"file": (io.BytesIO(SAMPLE_WAV.read_bytes()), "hola.wav")})
    html = done.data.decode()
    assert done.status_code == 200 and "Ahora es el mensaje de bienvenida de" in html
    assert AudioFile.get(AudioFile.name == "Hola").source != "recording" and _menu().welcome == "Hola"
    assert '<option value="Hola" selected>' in html  # the tab shows it chosen


def test_a_welcome_recorded_by_phone_in_the_tab_is_the_menus_welcome(audio_browser):
    person, emulator = audio_browser
    emulator.default_script = CallerScript(dtmf=[(1.5, "#")], digits=["3"])  # speaks, #, then 3 to keep
    started = _post(person, _menu(), {"how": "record", "name": "Bienvenida grabada", "call": "1002"})
    assert started.status_code == 200 and "Llamando a 1002" in started.data.decode()
    assert f'hx-get="/t/{OWN}/ivr/{_menu().id}/welcome/' in started.data.decode()
    done, _seen = follow_recording(person, started)
    html = done.data.decode()
    assert "grabado por teléfono" in html and "Ahora es el mensaje de bienvenida de" in html
    assert '<option value="Bienvenida grabada" selected>' in html
    assert emulator.report.originated[0][0] == f"user/1002@{OWN}"
    assert AudioFile.get(AudioFile.name == "Bienvenida grabada").source == "recording"
    assert _menu().welcome == "Bienvenida grabada"


def test_a_refused_welcome_is_explained_in_its_dialog_and_changes_nothing(audio_browser):
    person, emulator = audio_browser
    before = (_menu().welcome, AudioFile.select().count())
    bad_file = _post(person, _menu(), {"how": "upload", "name": "Ruido"}, {"file": (io.BytesIO(b"not audio"), "x.wav")})
    html = bad_file.data.decode()
    assert bad_file.status_code == 422 and 'id="e-file"' in html
    assert re.search(r'<dialog id="upload-dialog" open', html) and 'id="e-name"' not in html
    emulator.outcomes[f"user/1001@{OWN}"] = "USER_NOT_REGISTERED"
    unreachable, _seen = follow_recording(person, _post(person, _menu(), {"how": "record", "name": "Otra",
                                                                          "call": "1001"}))
    assert "La grabación Otra ha fallado: no se pudo llamar a" in unreachable.data.decode()
    bad_number = _post(person, _menu(), {"how": "record", "name": "Otra", "call": "${x}"})
    assert bad_number.status_code == 422 and re.search(r'<dialog id="record-dialog" open', bad_number.data.decode())
    assert (_menu().welcome, AudioFile.select().count()) == before


def test_another_tenants_menu_takes_no_welcome(audio_browser):
    person, _emulator = audio_browser
    theirs = _menu(OTHER)
    editor = person.get(f"/t/{OWN}/ivr/{_menu().id}").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]*)"', editor).group(1)
    for path in (f"/t/{OTHER}/ivr/{theirs.id}/welcome", f"/t/{OWN}/ivr/{theirs.id}/welcome"):
        answer = person.client.post(path, data={"csrf_token": token, "how": "record", "name": "X", "call": "2001"})
        assert answer.status_code == 404
    assert _menu(OTHER).welcome == theirs.welcome


def test_another_tenants_recording_job_is_not_followed_from_a_menu(audio_browser):
    from tests import provision

    person, _emulator = audio_browser
    theirs = provision.recording_job(OTHER, "Suya", "2001")
    assert person.get(f"/t/{OWN}/ivr/{_menu().id}/welcome/{theirs.id}").status_code == 404
    assert person.get(f"/t/{OTHER}/ivr/{_menu(OTHER).id}/welcome/{theirs.id}").status_code == 404


def test_a_recording_while_freeswitch_does_not_answer_is_refused_in_spanish_before_anything_starts(audio_browser):
    from fs_plugins.models.audio import RecordingJob

    person, emulator = audio_browser
    emulator.stop()  # configured, but nobody listens there any more
    jobs = RecordingJob.select().count()
    refused = _post(person, _menu(), {"how": "record", "name": "Hola", "call": "1002"})
    html = refused.data.decode()
    assert refused.status_code == 422 and "FreeSWITCH no responde, así que ahora no se puede llamar a nadie" in html
    assert re.search(r'<dialog id="record-dialog" open', html) and RecordingJob.select().count() == jobs


def test_a_recording_that_failed_leaves_the_welcome_alone_even_if_its_name_was_taken_meanwhile(audio_browser):
    """The menu takes the file the job made (by the job's audio id), never whatever bears the name
    when the job ends: here an upload took the name during the call, so the job failed."""
    import gevent

    from tests.test_portal_admin import _post_file

    person, emulator = audio_browser
    emulator.default_script = CallerScript(dtmf=[(1.5, "#")], digits=["3"])
    before = _menu().welcome
    started = _post(person, _menu(), {"how": "record", "name": "Bienvenida", "call": "1002"})
    assert started.status_code == 200 and "Llamando a 1002" in started.data.decode()
    uploaded = _post_file(person, "Bienvenida", SAMPLE_WAV.read_bytes())
    assert uploaded.status_code == 200 and AudioFile.get(AudioFile.name == "Bienvenida").source != "recording"
    done, seen = follow_recording(person, started)
    assert "ha fallado: ya existe" in done.data.decode(), seen[-3:]
    gevent.sleep(0.2)  # what follows the job in its greenlet (the menu's change, if any) is done
    assert _menu().welcome == before  # not the uploaded "Bienvenida"
