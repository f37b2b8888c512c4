"""Voicemail messages through the API, read from mod_voicemail through the FreeSWITCH emulator's event
socket: a user lists, listens to and deletes their own; an admin reaches every box of the tenant and
the general one; another box's message id is not found; without FreeSWITCH the answer is 503."""
from __future__ import annotations

import warnings

import pytest

from fs_plugins.api.app import make_api_app
from fs_plugins.config import Config
from fs_plugins.sim.inbound import InboundEmulator
from fs_plugins.sim.voicemail import StoredMessage
from tests.api_world import cheap_argon2, client, world  # noqa: F401 (fixtures)

DOMAIN = "acme.example.com"
FIRST, SECOND, BRUNOS, GENERAL = (f"0000000{n}-aaaa-bbbb-cccc-dddddddddddd" for n in (1, 2, 3, 4))


@pytest.fixture
def freeswitch(tmp_path):
    emulator = InboundEmulator()
    emulator.start()
    folder = tmp_path / "voicemail" / "default" / DOMAIN
    for box, uuid, name, number, created in (("1001", FIRST, "Proveedor", "+34911234567", 1764000001),
                                             ("1001", SECOND, "Cliente", "+34600111222", 1764000002),
                                             ("1002", BRUNOS, "Para Bruno", "+34600333444", 1764000003),
                                             ("general", GENERAL, "Recepción", "+34600555666", 1764000004)):
        (folder / box).mkdir(parents=True, exist_ok=True)
        path = folder / box / f"{uuid}.wav"
        path.write_bytes(b"RIFF....WAVE" + uuid.encode())
        emulator.voicemail.leave(DOMAIN, box, StoredMessage(uuid, name, number, 12, str(path), created=created))
    host, port = emulator.address
    config = Config().replace(fs_event_socket_host=host, fs_event_socket_port=port,
                              voicemail_files_dir=str(tmp_path / "voicemail"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api = make_api_app(config).test_client()
    yield emulator, api, folder
    emulator.stop()


def test_a_user_lists_listens_to_and_deletes_their_own_messages(world, freeswitch):
    emulator, api, folder = freeswitch
    me = world.headers("user")
    listed = api.get("/api/v1/me/voicemail/messages", headers=me)
    assert listed.status_code == 200, listed.json
    assert [(m["id"], m["caller_name"], m["heard"]) for m in listed.json["items"]] == [
        (SECOND, "Cliente", False), (FIRST, "Proveedor", False)]  # newest first
    assert listed.json["items"][0]["received"] == "2025-11-24T16:00:02+00:00"
    audio = api.get(f"/api/v1/me/voicemail/messages/{FIRST}/audio", headers=me)
    assert audio.status_code == 200 and audio.mimetype == "audio/wav" and audio.data.startswith(b"RIFF")
    assert [m["heard"] for m in api.get("/api/v1/me/voicemail/messages", headers=me).json["items"]] == [False, True]
    assert api.delete(f"/api/v1/me/voicemail/messages/{FIRST}", headers=me).status_code == 204
    assert not (folder / "1001" / f"{FIRST}.wav").exists()
    assert [m["id"] for m in api.get("/api/v1/me/voicemail/messages", headers=me).json["items"]] == [SECOND]
    assert api.delete(f"/api/v1/me/voicemail/messages/{FIRST}", headers=me).status_code == 404


def test_another_boxs_message_is_not_found_from_the_callers_own_box(world, freeswitch):
    _emulator, api, folder = freeswitch
    me = world.headers("user")
    for method, url in (("get", f"/api/v1/me/voicemail/messages/{BRUNOS}/audio"),
                        ("delete", f"/api/v1/me/voicemail/messages/{BRUNOS}"),
                        ("get", f"/api/v1/tenants/{DOMAIN}/users/1002/voicemail/messages")):
        assert getattr(api, method)(url, headers=me).status_code == 404, url
    assert (folder / "1002" / f"{BRUNOS}.wav").exists()


def test_an_admin_reaches_every_box_of_the_tenant_and_the_general_one(world, freeswitch):
    _emulator, api, folder = freeswitch
    admin = world.headers("tenant-admin")
    base = f"/api/v1/tenants/{DOMAIN}"
    bruno = api.get(f"{base}/users/1002/voicemail/messages", headers=admin).json["items"]
    assert [m["caller_name"] for m in bruno] == ["Para Bruno"]
    general = api.get(f"{base}/voicemail/messages", headers=admin).json["items"]
    assert [m["id"] for m in general] == [GENERAL]
    assert api.get(f"{base}/voicemail/messages/{GENERAL}/audio", headers=admin).status_code == 200
    assert api.delete(f"{base}/voicemail/messages/{GENERAL}", headers=admin).status_code == 204
    assert api.get(f"{base}/voicemail/messages", headers=admin).json["items"] == []
    entries = api.get(f"{base}/audit", headers=admin).json["items"]
    assert any(e["action"] == "voicemail.message.delete" for e in entries)


def test_without_freeswitch_the_messages_answer_503(world, client):
    answer = client.get("/api/v1/me/voicemail/messages", headers=world.headers("user"))
    assert answer.status_code == 503 and answer.content_type == "application/problem+json"
    assert answer.headers["Retry-After"] == "60"
