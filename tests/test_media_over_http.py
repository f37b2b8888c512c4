"""Audio over HTTP for FreeSWITCH servers without Centralita's disk ([14] item 5, fs_plugins/mediaurls.py):
with `media_base_url` set, library audio is played from signed http_cache:// URLs the web server
answers (and only those), and a recorded call is uploaded to the tenant's signed folder, where the
sweep files it against that tenant's call log; nothing is ever overwritten."""
from __future__ import annotations

import io
import time
import uuid
from pathlib import Path

import pytest
from werkzeug.test import Client

from fs_plugins import mediaurls
from fs_plugins.audio import audio_resolver, library, resolve_audio
from fs_plugins.config import Config, load_config
from fs_plugins.errors import InvalidInput
from fs_plugins.models import User
from fs_plugins.recording import app as recording
from fs_plugins.recording import upload
from fs_plugins.recording.rules import recordings_dir
from fs_plugins.recording.sweep import sweep
from fs_plugins.web import make_web_app
from tests import provision
from tests.audio_helpers import sine
from tests.provision import OPERATOR
from tests.test_recording_app import entry
from tests.test_recording_dialplan import dial
from xml_curl.app import make_app

BASE = "http://10.0.0.5:8080"


@pytest.fixture
def config(tmp_path):
    return Config(data_dir=str(tmp_path / "data"), media_base_url=BASE, recordings_dir=str(tmp_path / "rec"))


@pytest.fixture
def tenants(db, config, tmp_path):
    acme = provision.tenant("Acme", "acme.example", "Europe/Madrid", "es", "ES")
    globex = provision.tenant("Globex", "globex.example", "Europe/Madrid", "en", "ES")
    played = library.upload(config, acme, "Bienvenida", sine(tmp_path / "in.wav", 0.5, 8000))
    theirs = library.upload(config, globex, "Welcome", sine(tmp_path / "in2.wav", 0.5, 8000))
    return acme, globex, played, theirs


def web(config, db) -> Client:
    return Client(make_web_app(config, {"/media/audio": lambda c: _audio(c, db),
                                        "/media/recordings": lambda c: _upload(c, db)}))


def _audio(config, db):
    from fs_plugins.audio.served import make_audio_app
    return make_audio_app(config, db)


def _upload(config, db):
    from fs_plugins.recording.upload import make_upload_app
    return make_upload_app(config, db)


def path_of(url: str) -> str:
    assert url.startswith(f"http_cache://{BASE}/media/"), url
    return url[len(f"http_cache://{BASE}"):]


def test_a_library_file_is_played_from_its_signed_url_which_fetches_exactly_its_bytes(config, tenants, db):
    acme, globex, played, theirs = tenants
    resolve = audio_resolver(config)
    url = resolve("acme.example", str(played.id))
    assert url.endswith(f"/acme.example/{played.path.rsplit('/', 1)[1]}") and "$" not in url
    assert resolve_audio("acme.example", str(played.id)) == played.path  # without the setting: the file
    answer = web(config, db).get(path_of(url))
    assert answer.status_code == 200 and answer.data == open(played.path, "rb").read()
    assert answer.headers["Content-Type"] == "audio/wav"
    assert f"max-age={mediaurls.CACHE_SECONDS}" in answer.headers["Cache-Control"]  # mod_http_cache keeps it
    head = web(config, db).head(path_of(url))
    assert head.status_code == 200 and head.data == b"" and int(head.headers["Content-Length"]) == len(answer.data)
    assert web(config, db).get(path_of(url), headers={"If-None-Match": answer.headers["ETag"]}).status_code == 304
    assert resolve("acme.example", str(theirs.id)) is None  # another tenant's id is not this tenant's audio


def test_anything_but_a_signed_url_of_an_existing_file_of_that_tenant_gets_404(config, tenants, db):
    acme, globex, played, theirs = tenants
    client = web(config, db)
    mine = path_of(audio_resolver(config)("acme.example", str(played.id)))
    _, _, kind, signature, domain, name = mine.split("/")
    their_name = theirs.path.rsplit("/", 1)[1]
    forged = [
        f"/media/audio/{signature}/globex.example/{their_name}",  # my signature on their file
        f"/media/audio/{signature}/acme.example/{their_name}",  # their file under my domain
        f"/media/audio/{'A' * len(signature)}/{domain}/{name}",  # a made-up signature
        f"/media/audio/{signature}/{domain}/../{name}",
        f"/media/audio/{signature}/{domain}",
        "/media/audio/",
    ]
    for path in forged:
        assert client.get(path).status_code == 404, path
    other_key = mediaurls.key_from("another secret")  # a URL signed by another installation
    assert client.get(path_of(mediaurls.audio_url(BASE, other_key, domain, name))).status_code == 404
    assert client.post(mine).status_code == 405
    library.remove_audio(played)  # a removed file is no longer served, even from a URL handed out before
    assert client.get(mine).status_code == 404


def test_a_recorded_call_is_uploaded_to_the_tenants_signed_folder_and_filed_by_the_sweep(config, tenants, db):
    acme, globex, _, _ = tenants
    for ext in ("1001", "1002"):
        provision.user(acme, ext, f"User {ext}", password=f"acme-{ext}-pw")
    recording.set_policy(OPERATOR, "acme.example", "inbound", user="1002")
    steps = dial(make_app(config, db), "1002")
    target = dict(steps)["record_session"]
    assert target == mediaurls.from_config(config).recording(acme.id)
    assert target.startswith(f"http_cache://{BASE}/media/recordings/") and target.endswith(f"/{acme.id}/${{uuid}}.wav")
    assert target.count("${") == 1  # the one expansion: the call's uuid

    call = str(uuid.uuid4())
    put_path = path_of(target).replace("${uuid}", call)
    client = web(config, db)
    stored = client.put(put_path, data=b"RIFF" + b"\0" * 60, headers={"Content-Type": "audio/x-wav"})
    assert stored.status_code == 201
    assert (recordings_dir(config) + f"/{acme.id}/{call}.wav", 64) == _file(config, acme.id, call)
    again = client.put(put_path, data=b"RIFF" + b"\1" * 60)
    assert again.status_code == 409 and _file(config, acme.id, call)[1] == 64  # never overwritten
    assert sweep(recordings_dir(config)).filed == 0  # not before the call is in that tenant's call log
    entry(acme, User.get(User.tenant == acme, User.extension == "1002"), call, "received", int(time.time()))
    assert sweep(recordings_dir(config)).filed == 1


def test_uploads_to_another_tenants_folder_or_without_a_valid_signature_are_refused(config, tenants, db):
    acme, globex, _, _ = tenants
    client = web(config, db)
    mine = path_of(mediaurls.from_config(config).recording(acme.id)).replace("${uuid}", str(uuid.uuid4()))
    _, _, _, signature, folder, name = mine.split("/")
    for path in (f"/media/recordings/{signature}/{globex.id}/{name}",  # my signature, their folder
                 f"/media/recordings/{'B' * len(signature)}/{folder}/{name}",
                 f"/media/recordings/{signature}/{folder}/not-a-call.txt",
                 f"/media/recordings/{signature}/{folder}/.hidden.wav"):
        assert client.put(path, data=b"RIFF").status_code == 404, path
    assert client.get(mine).status_code == 405
    key, root = mediaurls.request_key(config), recordings_dir(config)
    bare = {"REQUEST_METHOD": "PUT", "PATH_INFO": mine, "wsgi.input": io.BytesIO(b"RIFF")}
    assert upload.handle(bare, key, root)[0].startswith("411")  # mod_http_cache always says how long
    huge = dict(bare, CONTENT_LENGTH=str(upload.MAX_BYTES + 1))
    assert upload.handle(huge, key, root)[0].startswith("413")
    assert not list(Path(recordings_dir(config)).rglob("*.wav"))


def test_the_base_url_setting_is_checked_because_it_goes_into_freeswitchs_arguments():
    assert load_config(environ={"CENTRALITA_MEDIA_BASE_URL": "https://pbx.example.com:8443/"}).media_base_url \
        == "https://pbx.example.com:8443"
    for bad in ("ftp://pbx.example.com", "http://pbx.example.com/${x}", "http://a b", "http://[::1]:8080",
                "http://pbx.example.com/a,b", "pbx.example.com"):
        with pytest.raises(InvalidInput) as refused:
            load_config(environ={"CENTRALITA_MEDIA_BASE_URL": bad})
        assert refused.value.field == "media_base_url", bad


def _file(config, tenant_id: int, call: str):
    path = Path(recordings_dir(config)) / str(tenant_id) / f"{call}.wav"
    return str(path), path.stat().st_size


def test_a_custom_flows_message_is_played_from_the_same_url(config, tenants, db):
    from fs_plugins.callflows.loader import TenantData

    acme, _, played, _ = tenants
    media = mediaurls.from_config(config)
    assert TenantData(acme.id, "acme.example", media).audio_path("Bienvenida") \
        == audio_resolver(config)("acme.example", str(played.id))
    assert TenantData(acme.id, "acme.example").audio_path("Bienvenida") == played.path
