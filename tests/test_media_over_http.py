"""Audio over HTTP for FreeSWITCH servers without Centralita's disk ([14] item 5, fs_plugins/mediaurls.py):
with `media_base_url` set, library audio is played from signed http_cache:// URLs the web server
answers (and only those), and a recorded call is uploaded to its own signed, expiring URL (a WAV
file, nothing else), where the sweep files it against that tenant's call log; nothing is ever
overwritten. Without the setting the /media endpoints serve nothing."""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import time
import uuid
from pathlib import Path

import pytest
from gevent import socket as gsocket  # cooperative: the in-process server runs in this process
from werkzeug.test import Client

from fs_plugins import mediaurls
from fs_plugins.audio import audio_resolver, library, resolve_audio
from fs_plugins.config import Config, load_config
from fs_plugins.errors import InvalidInput
from fs_plugins.httpserver import HttpLimits, http_server
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
from tests.watching_uploader import upload_watching_for_answer
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


def recording_target(app, call: str) -> str:
    return dict(dial(app, "1002", **{"Unique-ID": call}))["record_session"]


def wav(config, tmp_path) -> bytes:
    return Path(sine(tmp_path / "call.wav", 0.2, 8000)).read_bytes()


def test_a_recorded_call_is_uploaded_to_its_own_signed_url_and_filed_by_the_sweep(config, tenants, db, tmp_path):
    acme, globex, _, _ = tenants
    for ext in ("1001", "1002"):
        provision.user(acme, ext, f"User {ext}", password=f"acme-{ext}-pw")
    recording.set_policy(OPERATOR, "acme.example", "inbound", user="1002")
    app = make_app(config, db)
    call, other_call = str(uuid.uuid4()), str(uuid.uuid4())
    before = int(time.time())
    target = recording_target(app, call)
    _, _, _, signature, expires, folder, name = path_of(target).split("/")
    assert (folder, name) == (str(acme.id), f"{call}.wav") and "$" not in target  # the call's own URL
    assert before + mediaurls.MAX_CALL_SECONDS <= int(expires) <= time.time() + mediaurls.MAX_CALL_SECONDS
    assert target == mediaurls.recording_url(BASE, mediaurls.request_key(config), acme.id, call, int(expires))
    assert recording_target(app, other_call).split("/")[-1] == f"{other_call}.wav"  # the cached route, per call
    unnamed = recording_target(app, "")  # no usable uuid: the placeholder stays, and nothing accepts it
    assert unnamed.endswith("/${uuid}.wav") and web(config, db).put(
        path_of(unnamed).replace("${uuid}", call), data=wav(config, tmp_path)).status_code == 404

    body = wav(config, tmp_path)
    client = web(config, db)
    stored = client.put(path_of(target), data=body, headers={"Content-Type": "audio/x-wav"})
    assert stored.status_code == 201
    assert (recordings_dir(config) + f"/{acme.id}/{call}.wav", len(body)) == _file(config, acme.id, call)
    again = client.put(path_of(target), data=body[:-2])
    assert again.status_code == 409 and _file(config, acme.id, call)[1] == len(body)  # never overwritten
    assert sweep(recordings_dir(config)).filed == 0  # not before the call is in that tenant's call log
    entry(acme, User.get(User.tenant == acme, User.extension == "1002"), call, "received", int(time.time()))
    assert sweep(recordings_dir(config)).filed == 1


def test_a_recording_url_is_good_only_for_its_call_its_tenant_and_until_it_expires(config, tenants, db, tmp_path):
    acme, globex, _, _ = tenants
    client, key, body = web(config, db), mediaurls.request_key(config), wav(config, tmp_path)
    call, later = str(uuid.uuid4()), int(time.time()) + 3600
    mine = path_of(mediaurls.recording_url(BASE, key, acme.id, call, later))
    _, _, _, signature, expires, folder, name = mine.split("/")
    refused = {
        f"/media/recordings/{signature}/{expires}/{folder}/{uuid.uuid4()}.wav": 403,  # another call
        f"/media/recordings/{signature}/{expires}/{globex.id}/{name}": 403,  # another tenant's folder
        f"/media/recordings/{signature}/{later + 86400}/{folder}/{name}": 403,  # a later expiry
        f"/media/recordings/{'B' * len(signature)}/{expires}/{folder}/{name}": 403,
        path_of(mediaurls.recording_url(BASE, key, acme.id, call, int(time.time()) - 1)): 403,  # expired
        path_of(mediaurls.recording_url(BASE, mediaurls.key_from("another secret"), acme.id, call, later)): 403,
        f"/media/recordings/{signature}/{folder}/{name}": 404,  # the old tenant-folder URL
        f"/media/recordings/{signature}/{expires}/{folder}/not-a-call.txt": 404,
        f"/media/recordings/{signature}/{expires}/{folder}/.hidden.wav": 404,
        f"/media/recordings/{signature}/\u00b2/{folder}/{name}": 404,  # "²".isdigit(), but no number
        path_of(mediaurls.recording_url(BASE, key, 999999, call, later)): 404,  # no such tenant
    }
    for path, status in refused.items():
        assert client.put(path, data=body).status_code == status, path
    assert client.get(mine).status_code == 405
    bare = {"REQUEST_METHOD": "PUT", "PATH_INFO": mine, "wsgi.input": io.BytesIO(body)}
    handle = functools.partial(upload.handle, key=key, root=recordings_dir(config), connected=contextlib.nullcontext)
    assert handle(bare)[0].startswith("411")  # mod_http_cache always says how long
    assert handle(dict(bare, CONTENT_LENGTH=str(upload.MAX_BYTES + 1)))[0].startswith("413")
    assert not list(Path(recordings_dir(config)).rglob("*.wav"))


@pytest.mark.parametrize("body", [b"", b"RIFF", b"RIFF" + b"\0" * 60, b"<html>not audio</html>" * 4,
                                  b"RIFF\0\0\0\0AVI LIST" + b"\0" * 40])
def test_an_upload_that_is_not_a_wav_recording_is_refused_400_and_nothing_is_stored(config, tenants, db, body):
    acme = tenants[0]
    url = mediaurls.recording_url(BASE, mediaurls.request_key(config), acme.id, str(uuid.uuid4()),
                                  int(time.time()) + 60)
    answer = web(config, db).put(path_of(url), data=body, environ_overrides={"CONTENT_LENGTH": str(len(body))})
    assert answer.status_code == 400 and b"WAV" in answer.data
    assert not [p for p in Path(recordings_dir(config)).rglob("*") if p.is_file()]  # nor a part file left


def test_the_body_is_read_before_the_database_is_held(config, tenants, tmp_path):
    """A slow uploader must not pin a pooled connection: the handler reads the whole body first."""
    acme, events = tenants[0], []
    body = wav(config, tmp_path)

    class Body(io.BytesIO):
        def read(self, *args):
            events.append("read")
            return super().read(*args)

    @contextlib.contextmanager
    def connected():
        events.append("database")
        yield

    call = str(uuid.uuid4())
    url = mediaurls.recording_url(BASE, mediaurls.request_key(config), acme.id, call, int(time.time()) + 60)
    environ = {"REQUEST_METHOD": "PUT", "PATH_INFO": path_of(url), "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": Body(body)}
    assert upload.handle(environ, mediaurls.request_key(config), recordings_dir(config), connected)[0] == "201 Created"
    assert events[-1] == "database" and events.count("database") == 1 and "read" in events


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


def test_without_media_base_url_the_media_endpoints_serve_nothing(config, tenants, db, tmp_path):
    acme, _, played, _ = tenants
    off = dataclasses.replace(config, media_base_url="")
    key = mediaurls.request_key(off)  # the same credentials: these URLs would be good with the setting on
    audio = path_of(mediaurls.audio_url(BASE, key, "acme.example", played.path.rsplit("/", 1)[1]))
    call = path_of(mediaurls.recording_url(BASE, key, acme.id, str(uuid.uuid4()), int(time.time()) + 60))
    assert web(config, db).get(audio).status_code == 200
    client = web(off, db)
    assert client.get(audio).status_code == 404 and client.head(audio).status_code == 404
    assert client.put(call, data=wav(off, tmp_path)).status_code == 404
    assert not list(Path(recordings_dir(off)).rglob("*.wav"))


@pytest.fixture
def served(config, db):
    """The web server as `serve` runs it (fs_plugins/httpserver.py), with a short body deadline."""
    server = http_server("127.0.0.1", 0, make_web_app(config, {"/media/audio": lambda c: _audio(c, db),
                                                                "/media/recordings": lambda c: _upload(c, db)}),
                         "tests.media", HttpLimits(header_timeout=2, body_timeout=0.3))
    server.start()
    yield server.address[1]
    server.stop(timeout=1)


def _exchange(port: int, request: bytes, half_close: bool = False) -> bytes:
    with gsocket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(gsocket.SHUT_WR)
        sock.settimeout(5)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
            if half_close is False and b"\r\n\r\n" in answer and b"304" in answer.split(b"\r\n", 1)[0]:
                break  # a 304 ends at its head (the connection stays open)
    return answer


def _upload_head(config, tenant_id: int, length: int) -> bytes:
    url = mediaurls.recording_url(BASE, mediaurls.request_key(config), tenant_id, str(uuid.uuid4()),
                                  int(time.time()) + 60)
    return f"PUT {path_of(url)} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()


def test_an_upload_whose_body_stops_arriving_is_answered_408_and_nothing_is_stored(config, tenants, served):
    answer = _exchange(served, _upload_head(config, tenants[0].id, 1000) + b"RIFF\0\0\0\0WAVE" + b"\0" * 88)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert not [p for p in Path(recordings_dir(config)).rglob("*") if p.is_file()]


def test_an_upload_shorter_than_its_content_length_is_answered_400_and_nothing_is_stored(config, tenants, served):
    answer = _exchange(served, _upload_head(config, tenants[0].id, 1000) + b"RIFF\0\0\0\0WAVE" + b"\0" * 88,
                       half_close=True)
    assert answer.startswith(b"HTTP/1.1 400") and b"Content-Length" in answer, answer[:200]
    assert not [p for p in Path(recordings_dir(config)).rglob("*") if p.is_file()]


def test_a_not_modified_answer_carries_no_content_length(config, tenants, served):
    """RFC 9110 §15.4.5: a 304's Content-Length would have to be the 200's; none is sent."""
    played = tenants[2]
    path = path_of(audio_resolver(config)("acme.example", str(played.id)))
    name = path.rsplit("/", 1)[1]
    answer = _exchange(served, f'GET {path} HTTP/1.1\r\nHost: x\r\nIf-None-Match: "{name}"\r\n\r\n'.encode())
    head = answer.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 304") and b"etag:" in head and b"content-length" not in head, head


def test_an_upload_refused_on_its_url_is_answered_at_once_and_its_body_never_read(config, tenants, served):
    """The 1 GiB a recording may declare is not read (nor waited for) once its URL is refused."""
    head = _upload_head(config, tenants[0].id, 100_000_000).replace(b"/media/recordings/", b"/media/recordings/B", 1)
    started = time.monotonic()
    answer = _exchange(served, head + b"RIFF\0\0\0\0WAVE")  # returns when the server closes
    assert answer.startswith(b"HTTP/1.1 403") and b"connection: close" in answer.lower(), answer[:200]
    assert time.monotonic() - started < 0.25  # not even the 0.3 s body deadline


def test_a_browser_like_client_uploading_5mb_to_a_refused_url_reads_the_403_not_a_reset(config, tenants, served):
    head = _upload_head(config, tenants[0].id, 5_000_000).replace(b"/media/recordings/", b"/media/recordings/B", 1)
    answer = upload_watching_for_answer(served, head, 5_000_000)  # a reset raises ConnectionResetError
    assert answer.startswith(b"HTTP/1.1 403") and b"connection: close" in answer.lower(), answer[:200]
    assert not [p for p in Path(recordings_dir(config)).rglob("*") if p.is_file()]
