"""Tenant isolation, proved for every operation of the OpenAPI document.

The matrix is generated from /api/v1/openapi.json: every operation × every role (operator, acme's
tenant admin, acme's user 1001) × every target (the caller's own tenant and user, another user of
the same tenant, another tenant, and an object of another tenant named under the caller's own
tenant). A new endpoint joins the matrix by existing: its access level (`x-centralita-access`)
decides the expected status, its example body is what is sent. Out of scope is always 404, never
403, and no answer to acme's callers contains anything of the other tenant. Each case runs in a
transaction rolled back afterwards, so every case sees the same world.
"""
from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path

import pytest

from fs_plugins.models import database
from fs_plugins.models.audio import AudioFile
from fs_plugins.models.recording import Recording
from tests.api_world import DATA_DIR, api_client, build_world, cheap_argon2, put_recording_file  # noqa: F401 (fixture)
from tests.audio_helpers import sine

APP, CLIENT = api_client()
SPEC = CLIENT.get("/api/v1/openapi.json").json
OPERATIONS = sorted((path, method) for path, ops in SPEC["paths"].items() for method in ops
                    if method in ("get", "post", "put", "patch", "delete")
                    and ops[method]["x-centralita-access"] != "public")
ROLES = ("operator", "tenant-admin", "user")
with tempfile.TemporaryDirectory() as _folder:
    TONE = sine(Path(_folder) / "tone.wav", seconds=0.2, rate=8000).read_bytes()


@pytest.fixture(scope="module")
def world(module_db):
    return build_world()


@pytest.fixture
def rollback(world):
    with database.atomic() as transaction:
        yield world
        transaction.rollback()
    for row in AudioFile.select():  # removing a file is not rolled back with its row: put it back
        if not Path(row.path).exists():
            Path(row.path).write_bytes(TONE)
    for row in Recording.select():  # likewise a recording's
        if not (Path(DATA_DIR) / "recordings" / row.file).exists():
            put_recording_file(row.file)


def test_the_matrix_covers_every_operation_of_the_document():
    assert len(OPERATIONS) >= 25
    assert {op["x-centralita-access"] for ops in SPEC["paths"].values() for op in ops.values()} >= {
        "public", "any", "admin", "operator", "tenant", "self"}


@pytest.mark.parametrize("path,method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_every_operation_reaches_exactly_the_callers_scope(rollback, path, method):
    world = rollback
    operation = SPEC["paths"][path][method]
    level = operation["x-centralita-access"]
    failures = []
    for role in ROLES:
        for target, values in _targets(world, path, role):
            url = _fill(path, values)
            with database.atomic() as case:
                status, body = _call(method, url, operation, world.headers(role, **{"If-Match": "*"}))
                case.rollback()
            wanted = _expected(level, role, target)
            if status == 503 and operation.get("x-centralita-freeswitch") and (
                    wanted == 200 or _only_freeswitch_knows(path, target)):
                continue  # reached, and needs the FreeSWITCH this world has not got (its own tests run an emulator)
            if (wanted == 404 and status != 404) or (wanted == 200 and not 200 <= status < 300):
                failures.append(f"{role} on {target} ({url}): {status}, expected {wanted}: {body[:200]}")
            leaked = [m for m in world.other.markers if m in body and m not in url] if role != "operator" else []
            if leaked:
                failures.append(f"{role} on {target} ({url}): answer shows the other tenant's {leaked}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path,method", OPERATIONS, ids=[f"{m.upper()} {p}" for p, m in OPERATIONS])
def test_every_operation_refuses_a_caller_without_credentials(rollback, path, method):
    url = _fill(path, rollback.own.values("own", path))
    status, body = _call(method, url, SPEC["paths"][path][method], {})
    assert status == 401, body
    status, body = _call(method, url, SPEC["paths"][path][method], {"Authorization": "Bearer ck_0000000000_forged"})
    assert status == 401, body


def _targets(world, path: str, role: str):
    names = set(re.findall(r"{(\w+)}", path))
    if not names:
        yield "no-tenant", {}
        return
    yield "own", world.own.values("own", path)
    if names & {"extension", "ring_id"} or (path.startswith("/api/v1/me") and "contact_id" in names):
        yield "other-user", world.own.values("other", path)
    yield "other-tenant", world.other.values("own", path)
    if "domain" in names and len(names) > 1:
        yield "other-tenant-object", {**world.other.values("own", path), "domain": world.own.domain}


def _only_freeswitch_knows(path: str, target: str) -> bool:
    """The box addressed is the caller's own (theirs under /me; the tenant's general box) and only the
    message id is another's: whether that id is in the box, only mod_voicemail can say."""
    return path.startswith("/api/v1/me/") or (
        target == "other-tenant-object" and set(re.findall(r"{(\w+)}", path)) <= {"domain", "message"})


def _fill(path: str, values: dict) -> str:
    def value(match):
        name = match.group(1)
        assert name in values, f"the isolation matrix has no value for path parameter {{{name}}}: add one"
        return values[name]

    return re.sub(r"{(\w+)}", value, path)


def _expected(level: str, role: str, target: str) -> int:
    if target == "other-tenant-object" or (level == "self" and target in ("other-user", "other-tenant")):
        return 404  # /me/…/{id} names the caller's own objects only
    allowed = {
        "any": True,
        "admin": role in ("operator", "tenant-admin"),
        "operator": role == "operator",
        "tenant": role == "operator" or (role == "tenant-admin" and target in ("own", "other-user")),
        "self": role == "user",
    }[level]
    return 200 if allowed else 404


def _call(method: str, url: str, operation: dict, headers: dict) -> tuple[int, str]:
    content = operation.get("requestBody", {}).get("content", {})
    kwargs = {"query_string": {}}
    for parameter in operation.get("parameters", ()):
        if parameter["in"] == "query" and parameter.get("required"):
            example = parameter.get("example", parameter.get("schema", {}).get("example"))
            assert example is not None, f"{url}: give the required query parameter {parameter['name']} an example"
            kwargs["query_string"][parameter["name"]] = example
    if "application/json" in content:
        body = content["application/json"]
        assert "example" in body, f"{method.upper()} {url}: give the operation an example body (the matrix sends it)"
        kwargs["json"] = body["example"]
    elif "text/csv" in content:
        kwargs.update(data=content["text/csv"]["example"].encode(), content_type="text/csv")
    elif "multipart/form-data" in content:  # the audio upload: a short tone
        kwargs["data"] = {"name": "Saludo nuevo", "file": (io.BytesIO(TONE), "tono.wav")}
    response = getattr(CLIENT, method)(url, headers=headers, **kwargs)
    return response.status_code, response.get_data().decode("utf-8", "replace")  # a download is binary
