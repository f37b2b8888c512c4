"""The audio library through the API: upload (multipart), download, remove (409 while something plays
it), a bad file refused naming the field with nothing stored, and recording by phone through the
FreeSWITCH emulator's event socket."""
from __future__ import annotations

import io
import time
import warnings
from pathlib import Path
from urllib.parse import quote

import gevent
import pytest
import soundfile

from fs_plugins.api.app import make_api_app
from fs_plugins.audio import app as audio_app
from fs_plugins.config import Config
from fs_plugins.models.audio import AudioFile
from fs_plugins.models.ivr import IvrMenu
from fs_plugins.sim.inbound import InboundEmulator
from fs_plugins.sim.script import CallerScript
from tests.api_world import cheap_argon2, client, world  # noqa: F401 (fixtures)
from tests.audio_helpers import sine

BASE = "/api/v1/tenants/acme.example.com/audio"


def _upload(client, world, tmp_path, name: str, kind: str = "wav"):
    sound = sine(tmp_path / f"in.{kind}", seconds=0.5, kind=kind).read_bytes()
    return client.post(BASE, data={"name": name, "file": (io.BytesIO(sound), f"anything.{kind}")},
                       headers=world.headers("tenant-admin"))


def test_an_upload_is_converted_downloaded_and_removed(world, client, tmp_path):
    created = _upload(client, world, tmp_path, "Música espera", "mp3")
    assert created.status_code == 201, created.json
    assert created.json["original_format"] == "mp3" and created.json["source"] == "upload"
    assert created.headers["Location"] == f"{BASE}/{quote('Música espera')}"
    admin = world.headers("tenant-admin")
    assert [a["name"] for a in client.get(BASE, headers=admin).json["items"]] == ["Ana saludo", "Música espera"]
    download = client.get(f"{BASE}/{quote('Música espera')}/file", headers=admin)
    assert download.status_code == 200 and download.mimetype == "audio/wav"
    (tmp_path / "out.wav").write_bytes(download.data)
    assert soundfile.info(tmp_path / "out.wav").samplerate == created.json["sample_rate"]
    assert _upload(client, world, tmp_path, "Música espera").status_code == 409  # the name is taken
    path = Path(AudioFile.get(AudioFile.name == "Música espera").path)
    assert client.delete(f"{BASE}/{quote('Música espera')}", headers=admin).status_code == 204
    assert not path.exists() and client.get(f"{BASE}/{quote('Música espera')}", headers=admin).status_code == 404


def test_a_file_a_menu_plays_cannot_be_removed(world, client):
    admin = world.headers("tenant-admin")
    menu = f"/api/v1/tenants/acme.example.com/ivr/{quote(world.own.menu)}"
    client.patch(menu, json={"welcome": world.own.audio}, headers={**admin, "If-Match": "*"})
    refused = client.delete(f"{BASE}/{quote(world.own.audio)}", headers=admin)
    assert refused.status_code == 409 and world.own.menu in refused.json["detail"], refused.json
    assert IvrMenu.get(IvrMenu.name == world.own.menu).welcome_audio.name == world.own.audio


@pytest.mark.parametrize("data, field", [
    ({"name": "Nada", "file": b"not a sound at all"}, "file"),
    ({"name": "Vacío", "file": b""}, "file"),
    ({"name": "Sin fichero"}, "file"),
    ({"name": "", "file": b"RIFF"}, "name"),
])
def test_a_bad_upload_names_the_field_and_stores_nothing(world, client, data, field):
    data = {k: (io.BytesIO(v), "x.wav") if k == "file" else v for k, v in data.items()}
    before = AudioFile.select().count()
    refused = client.post(BASE, data=data, headers=world.headers("tenant-admin"))
    assert refused.status_code == 422 and refused.json["field"] == field, refused.json
    assert AudioFile.select().count() == before


def test_recording_by_phone_needs_freeswitch(world, client):
    refused = client.post(f"{BASE}/recordings", json={"name": "Grabado", "call": "1001"},
                          headers=world.headers("tenant-admin"))
    assert refused.status_code == 503 and refused.content_type == "application/problem+json"


def _emulated_api(tmp_path, emulator):
    config = Config().replace(fs_event_socket_port=emulator.address[1], fs_event_socket_password="s3cret",
                              data_dir=str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return make_api_app(config).test_client()


def _poll(api, location: str, headers: dict, until: set[str], seconds: float = 30.0) -> list[dict]:
    """GET the job until its state is one of `until`; every distinct answer seen, in order."""
    seen, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = api.get(location, headers=headers)
        assert job.status_code == 200, job.json
        if not seen or job.json["state"] != seen[-1]["state"]:
            seen.append(job.json)
        if job.json["state"] in until:
            return seen
        gevent.sleep(0.05)  # the recording's greenlet runs meanwhile
    raise AssertionError(f"the job stayed {seen[-1]['state']}")


def test_recording_by_phone_answers_202_at_once_and_the_job_ends_with_the_new_file(world, tmp_path, monkeypatch):
    written, write = [], audio_app._job_state  # every state the job's row was given (a poll may miss one)
    monkeypatch.setattr(audio_app, "_job_state", lambda job, state, **more: (written.append(state),
                                                                             write(job, state, **more)))
    emulator = InboundEmulator(password="s3cret")
    emulator.start()
    try:
        emulator.default_script = CallerScript(dtmf=[(1.5, "#")], digits=["3"])
        api = _emulated_api(tmp_path, emulator)
        admin = world.headers("tenant-admin")
        junk = api.post(f"{BASE}/recordings", json={"name": "Grabado", "call": "${x}"}, headers=admin)
        assert junk.status_code == 422 and junk.json["field"] == "call"
        accepted = api.post(f"{BASE}/recordings", json={"name": "Grabado", "call": "1001", "wait": 20}, headers=admin)
        assert accepted.status_code == 202, accepted.json  # answered before the call: the job is still calling
        location = accepted.headers["Location"]
        assert location == f"{BASE}/recordings/{accepted.json['id']}"
        assert accepted.json["state"] == "calling" and accepted.json["audio"] is None
        again = api.post(f"{BASE}/recordings", json={"name": "Grabado", "call": "1002"}, headers=admin)
        assert again.status_code == 409 and again.json["field"] == "name"  # that name is being recorded
        seen = _poll(api, location, admin, {"done", "failed"})
        assert seen[0]["state"] == "calling" and seen[-1]["state"] == "done", seen
        assert written == ["recording", "done"]  # "recording" once the phone answered
        audio = seen[-1]["audio"]
        assert audio["name"] == "Grabado" and audio["source"] == "recording" and audio["duration_ms"] > 500
        assert api.get(f"{BASE}/Grabado", headers=admin).status_code == 200
        originate = next(c for c in emulator.report.commands if "originate" in c)
        assert "pbx_flow=record" in originate and "user/1001@acme.example.com" in originate
        emulator.wait_calls()
        assert emulator.report.calls[0].played[-1] == "phrase:voicemail_ack:saved"
    finally:
        emulator.stop()


def test_a_recording_nobody_confirms_ends_failed_saying_why_and_stores_nothing(world, tmp_path):
    emulator = InboundEmulator(password="s3cret")
    emulator.start()
    try:
        emulator.default_script = CallerScript(dtmf=[(1.0, "#")], digits=["9", "9", "9"])
        api = _emulated_api(tmp_path, emulator)
        admin = world.headers("tenant-admin")
        accepted = api.post(f"{BASE}/recordings", json={"name": "Grabado", "call": "1001", "wait": 20}, headers=admin)
        assert accepted.status_code == 202, accepted.json
        failed = _poll(api, accepted.headers["Location"], admin, {"done", "failed"})[-1]
        assert failed["state"] == "failed" and "confirmed" in failed["detail"] and failed["audio"] is None
        assert AudioFile.select().where(AudioFile.name == "Grabado").count() == 0
    finally:
        emulator.stop()


def test_an_unknown_recording_job_is_404(world, client):
    missing = client.get(f"{BASE}/recordings/999", headers=world.headers("tenant-admin"))
    assert missing.status_code == 404 and missing.json["field"] == "job"


def test_recording_by_phone_with_freeswitch_not_answering_is_503_not_a_bad_call(world, tmp_path):
    emulator = InboundEmulator(password="s3cret")
    emulator.start()
    port = emulator.address[1]
    emulator.stop()  # configured, but nobody listens there any more
    config = Config().replace(fs_event_socket_port=port, fs_event_socket_password="s3cret", data_dir=str(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = make_api_app(config).test_client()
    answer = api.post(f"{BASE}/recordings", json={"name": "Grabado", "call": "1001", "wait": 10},
                      headers=world.headers("tenant-admin"))
    assert answer.status_code == 503, answer.json
    assert AudioFile.select().where(AudioFile.name == "Grabado").count() == 0


def test_a_database_of_audio_schema_1_gets_the_recording_jobs_table_on_upgrade(db):
    from fs_plugins import db as dbmod

    db.execute_sql("DROP TABLE recording_job")
    db.execute_sql("UPDATE schema_version SET version = 1 WHERE component = 'audio'")
    assert ("audio", 1, 2) in dbmod.upgrade(db)
    assert db.table_exists("recording_job") and dbmod.schema_versions(db)["audio"] == 2


def test_a_recording_job_may_name_the_media_server_to_call_through_and_an_unknown_one_is_422(world, tmp_path):
    from fs_plugins.models.audio import RecordingJob
    from fs_plugins.models.audit import AuditEntry
    from fs_plugins.models.cluster import MediaServer

    configured, media = InboundEmulator(password="s3cret"), InboundEmulator(password="s3cret", host="127.0.0.2")
    configured.start()
    media.start()
    try:
        MediaServer.create(name="fs2", esl_host="127.0.0.2", esl_port=media.address[1], esl_password="s3cret")
        media.default_script = CallerScript(digits=["3"])
        api, admin = _emulated_api(tmp_path, configured), world.headers("tenant-admin")
        jobs, audited = RecordingJob.select().count(), AuditEntry.select().count()
        for name in ("fs9", "${x}"):
            unknown = api.post(f"{BASE}/recordings", json={"name": "Grabado", "call": "1001", "media_server": name},
                               headers=admin)
            assert unknown.status_code == 422 and unknown.json["field"] == "media_server", unknown.json
        assert (RecordingJob.select().count(), AuditEntry.select().count()) == (jobs, audited)  # nothing stored
        accepted = api.post(f"{BASE}/recordings", json={"name": "Grabado", "call": "1001", "wait": 20,
                                                        "media_server": "fs2"}, headers=admin)
        assert accepted.status_code == 202, accepted.json
        assert _poll(api, accepted.headers["Location"], admin, {"done", "failed"})[-1]["state"] == "done"
        assert any("originate" in c for c in media.report.commands)
        assert not any("originate" in c for c in configured.report.commands)
        media.wait_calls()
    finally:
        configured.stop()
        media.stop()
