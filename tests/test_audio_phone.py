"""Recording a message by phone, the whole exchange over TCP: inbound event socket (originate) →
the emulated phone answers → outbound ESL session (instructions, beep, record, play back, 1 to
listen again, 3 to keep), spoken in the tenant's language."""
from __future__ import annotations

import datetime as dt

import gevent
import greenswitch
import pytest
import soundfile

from fs_plugins import cli
from fs_plugins.audio import phone
from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput
from fs_plugins.fsapi import close_connection
from fs_plugins.models import Tenant, User
from fs_plugins.models.audio import AudioFile, RecordingJob
from fs_plugins.models.base import utcnow
from fs_plugins.models.ivr import IvrMenu
from fs_plugins.sim.inbound import InboundEmulator
from fs_plugins.sim.script import CallerScript
from tests import provision

DIAL = "user/1001@acme.example"


@pytest.fixture
def tenant(db):
    acme = Tenant.create(name="Acme", domain="acme.example")
    User.create(tenant=acme, extension="1001", display_name="Ana", a1_hash="x" * 32)
    return acme


@pytest.fixture
def fs():
    emulator = InboundEmulator(password="s3cret")
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def config(fs, tmp_path):
    return Config(data_dir=str(tmp_path / "data"), fs_event_socket_port=fs.address[1],
                  fs_event_socket_password="s3cret", audio_max_seconds=60)


def recordings(config):
    folder = config.data_dir + "/audio/acme.example"
    import os
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_a_confirmed_take_is_returned_after_beep_record_playback_and_the_key_3(fs, config, tenant):
    fs.default_script = CallerScript(dtmf=[(1.5, "#")], digits=["3"])
    path = phone.record_by_phone(config, tenant, "1001", wait=5)
    assert path.is_file() and soundfile.info(path).duration > 0.5
    assert fs.report.commands[0] == "auth ********"
    port = fs.report.commands[1].rsplit(":", 1)[1].split()[0]
    assert fs.report.commands[1] == (
        "api originate {pbx_flow=record,pbx_tenant=acme.example,origination_caller_id_name=Centralita,"
        "origination_caller_id_number=0,ignore_early_media=true,default_language=es,"
        "sound_prefix=/usr/share/freeswitch/sounds/es/ar/mario,sound_prefix_enforced=true"
        f"}}{DIAL} &socket(127.0.0.1:{port} async full)")
    fs.wait_calls()
    call = fs.report.calls[0]
    assert call.played == ["phrase:voicemail_record_message", phone.BEEP, str(path),
                           "phrase:voicemail_record_file_check:1:3:4", "phrase:voicemail_ack:saved"]
    assert call.hangup_cause == "NORMAL_CLEARING"


def test_any_other_key_records_again(fs, config, tenant):
    fs.default_script = CallerScript(digits=["4", "3"])  # the first take ends on silence
    path = phone.record_by_phone(config, tenant, "1001", wait=5)
    fs.wait_calls()
    assert fs.report.calls[0].played.count(phone.BEEP) == 2 and path.is_file()


def test_1_plays_the_take_again_before_choosing(fs, config, tenant):
    fs.default_script = CallerScript(digits=["1", "3"])
    path = phone.record_by_phone(config, tenant, "1001", wait=5)
    fs.wait_calls()
    played = fs.report.calls[0].played
    assert played.count(phone.BEEP) == 1 and played.count(str(path)) == 2 and path.is_file()


def test_a_tenant_speaking_english_gets_the_english_voice_on_the_call(fs, config, tenant):
    tenant.language = "en-GB"
    tenant.save()
    fs.default_script = CallerScript(digits=["3"])
    phone.record_by_phone(config, tenant, "1001", wait=5)
    assert "default_language=en,sound_prefix=/usr/share/freeswitch/sounds/en/us/callie," in fs.report.commands[1]


def test_nothing_confirmed_after_three_takes_fails_and_leaves_no_file(fs, config, tenant):
    fs.default_script = CallerScript(digits=["1", "", "9"])
    with pytest.raises(phone.RecordingFailed, match="no recording was confirmed"):
        phone.record_by_phone(config, tenant, "1001", wait=5)
    assert recordings(config) == []


def test_the_phone_hanging_up_while_recording_fails_cleanly(fs, config, tenant):
    fs.default_script = CallerScript(hangup_at=1.0)
    with pytest.raises(phone.RecordingFailed):
        phone.record_by_phone(config, tenant, "1001", wait=5)
    fs.wait_calls()
    assert recordings(config) == [] and fs.report.calls[0].hangup_cause == "NORMAL_CLEARING"


def test_a_phone_that_cannot_be_reached_is_reported(fs, config, tenant):
    fs.outcomes[DIAL] = "USER_NOT_REGISTERED"
    with pytest.raises(phone.RecordingFailed, match="could not call 1001: -ERR USER_NOT_REGISTERED"):
        phone.record_by_phone(config, tenant, "1001", wait=5)
    assert fs.report.calls == []


def test_a_wrong_event_socket_password_is_reported(config, tenant):
    with pytest.raises(phone.RecordingFailed, match="refused the password"):
        phone.record_by_phone(config.replace(fs_event_socket_password="nope"), tenant, "1001", wait=5)


def test_numbers_are_dialled_through_the_outbound_template_and_junk_is_refused(config, tenant):
    assert phone.dial_string(config, tenant, "600 11 22 33") == "sofia/gateway/carrier/+34600112233"
    with pytest.raises(InvalidInput) as error:
        phone.dial_string(config, tenant, "1001,user/1002")
    assert error.value.field == "call"


def test_bgapi_originate_answers_with_a_job_and_sends_background_job(fs):
    fs.default_script = CallerScript(hangup_at=0.5)
    jobs = []
    connection = greenswitch.InboundESL("127.0.0.1", fs.address[1], "s3cret")
    connection.connect()
    try:
        connection.register_handle("BACKGROUND_JOB", lambda event: jobs.append(event.headers))
        assert connection.send("event plain BACKGROUND_JOB").data == "+OK event listener enabled plain"
        reply = connection.send("bgapi originate user/1002@acme.example &socket(127.0.0.1:1 async full)")
        assert reply.data.startswith("+OK Job-UUID: ")
        with gevent.Timeout(3):
            while not jobs:
                gevent.sleep(0.01)
        assert connection.send("api nosuch").data == "-ERR nosuch Command not found!\n"
    finally:
        close_connection(connection)
    fs.wait_calls()
    assert jobs[0]["Job-UUID"] == reply.data.split(": ")[1] and jobs[0]["Job-Command"] == "originate"


def test_the_cli_records_stores_and_makes_it_the_menus_welcome(fs, config, db_url, tenant, capsys, monkeypatch):
    provision.menu(tenant, "Main", options={"1": "user:1001"})
    fs.default_script = CallerScript(digits=["3"])
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", str(fs.address[1]))
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PASSWORD", "s3cret")
    code = cli.main(["--database", db_url, "--data-dir", config.data_dir, "audio", "record", "Bienvenida",
                     "--call", "1001", "--ivr", "Main", "--tenant", "acme.example", "--wait", "5"])
    out = capsys.readouterr().out
    assert code == 0 and "IVR menu 'Main': welcome message is now 'Bienvenida'" in out
    row = AudioFile.get()
    assert row.source == "recording" and recordings(config) == [row.path.rsplit("/", 1)[1]]
    assert IvrMenu.get(IvrMenu.name == "Main").welcome_audio.name == "Bienvenida"
    job = RecordingJob.get()  # the API's job path: its row followed the call, as the API shows it
    assert (job.name, job.call, job.state, job.audio_id) == ("Bienvenida", "1001", "done", row.id)
    assert f"recording job {job.id} (GET /api/v1/tenants/acme.example/audio/recordings/{job.id})" in out
    assert out.index(f"recording job {job.id}: done") < out.index("audio 'Bienvenida' recorded")


def _cli_record(db_url, config, fs, monkeypatch, *args: str) -> int:
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", str(fs.address[1]))
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PASSWORD", "s3cret")
    return cli.main(["--database", db_url, "--data-dir", config.data_dir, "audio", "record", *args,
                     "--tenant", "acme.example", "--wait", "5"])


def test_the_cli_reports_a_failed_recording_by_its_jobs_reason_and_stores_nothing(fs, config, db_url, tenant,
                                                                                   capsys, monkeypatch):
    fs.outcomes[DIAL] = "USER_NOT_REGISTERED"
    code = _cli_record(db_url, config, fs, monkeypatch, "Bienvenida", "--call", "1001")
    captured = capsys.readouterr()
    job = RecordingJob.get()
    assert code != 0 and job.state == "failed" and "USER_NOT_REGISTERED" in job.detail
    assert "call" in captured.err and "USER_NOT_REGISTERED" in captured.err
    assert AudioFile.select().count() == 0 and recordings(config) == []


def test_the_cli_refuses_a_name_the_api_is_recording_before_calling(fs, config, db_url, tenant, capsys,
                                                                     monkeypatch):
    now = utcnow()
    RecordingJob.create(tenant=tenant, name="Bienvenida", call="1002", created_at=now, updated_at=now,
                        give_up_at=now + dt.timedelta(minutes=5))  # another front end's job, still calling
    code = _cli_record(db_url, config, fs, monkeypatch, "Bienvenida", "--call", "1001")
    captured = capsys.readouterr()
    assert code != 0 and "name" in captured.err and "being recorded already" in captured.err
    assert RecordingJob.select().count() == 1 and fs.report.calls == []


@pytest.fixture
def media_servers(db):
    """Two emulated FreeSWITCH registered as media servers fs2 and fs3 (on their own addresses)."""
    from fs_plugins.models.cluster import MediaServer

    emulators = [InboundEmulator(password="s3cret", host=f"127.0.0.{n}") for n in (2, 3)]
    for n, emulator in zip((2, 3), emulators):
        emulator.start()
        MediaServer.create(name=f"fs{n}", esl_host=f"127.0.0.{n}", esl_port=emulator.address[1],
                           esl_password="s3cret")
    yield emulators
    for emulator in emulators:
        emulator.stop()


def _originated(emulator) -> list[str]:
    return [command for command in emulator.report.commands if command.startswith("api originate")]


def test_a_recording_calls_through_the_media_server_where_the_phone_is_registered(fs, config, tenant,
                                                                                   media_servers):
    fs2, fs3 = media_servers
    fs3.registered["1001@acme.example"] = "sip:1001@192.0.2.7:5060"
    fs3.default_script = CallerScript(digits=["3"])
    assert phone.record_by_phone(config, tenant, "1001", wait=5).is_file()
    assert "api sofia_contact */1001@acme.example" in fs2.report.commands  # asked first (name order): not there
    assert _originated(fs2) == [] and len(_originated(fs3)) == 1 and fs.report.commands == []


def test_a_recording_calls_through_the_media_server_named_and_asks_nobody_where_the_phone_is(
        fs, config, tenant, media_servers):
    fs2, fs3 = media_servers
    fs3.registered["1001@acme.example"] = "sip:1001@192.0.2.7:5060"
    fs2.default_script = CallerScript(digits=["3"])
    assert phone.record_by_phone(config, tenant, "1001", wait=5, media_server="FS2").is_file()
    assert len(_originated(fs2)) == 1 and fs3.report.commands == [] and fs.report.commands == []


def test_an_unknown_media_server_is_refused_naming_the_field_before_calling(fs, config, tenant, media_servers):
    with pytest.raises(InvalidInput) as caught:
        phone.record_by_phone(config, tenant, "1001", wait=5, media_server="fs9")
    assert caught.value.field == "media_server" and "fs9" in caught.value.message
    assert all(emulator.report.commands == [] for emulator in (fs, *media_servers)) and recordings(config) == []


def test_the_cli_records_through_the_media_server_named_and_refuses_an_unknown_one(
        fs, config, db_url, tenant, media_servers, capsys, monkeypatch):
    fs2, fs3 = media_servers
    code = _cli_record(db_url, config, fs, monkeypatch, "Bienvenida", "--call", "1001", "--media-server", "fs9")
    assert code != 0 and "--media-server: no media server 'fs9'" in capsys.readouterr().err
    assert RecordingJob.select().count() == 0
    fs3.default_script = CallerScript(digits=["3"])
    assert _cli_record(db_url, config, fs, monkeypatch, "Bienvenida", "--call", "1001", "--media-server", "fs3") == 0
    assert len(_originated(fs3)) == 1 and _originated(fs2) == [] and AudioFile.get().name == "Bienvenida"


def test_the_call_connects_back_to_where_the_routed_media_server_reaches_centralita(fs, config, tenant, media_servers):
    """Each media server may reach this machine at its own address (socket_address): the originate
    sent to fs3 carries fs3's host (with the short-lived server's port), not the configured one."""
    from fs_plugins.models.cluster import MediaServer

    fs2, fs3 = media_servers
    for n in (2, 3):  # every 127.x address is this machine: the listener on 0.0.0.0 answers each
        MediaServer.update(socket_address=f"127.0.0.{10 + n}:18084").where(MediaServer.name == f"fs{n}").execute()
    config = config.replace(esl_host="0.0.0.0", esl_advertise_host="127.0.0.10")
    fs3.registered["1001@acme.example"] = "sip:1001@192.0.2.7:5060"
    fs3.default_script = CallerScript(digits=["3"])
    assert phone.record_by_phone(config, tenant, "1001", wait=5).is_file()
    [command] = _originated(fs3)
    assert "&socket(127.0.0.13:" in command and ":18084 " not in command and _originated(fs2) == []
    MediaServer.update(socket_address="").execute()  # none given: the configured one, as before
    assert phone.record_by_phone(config, tenant, "1001", wait=5).is_file()
    assert "&socket(127.0.0.10:" in _originated(fs3)[-1]
