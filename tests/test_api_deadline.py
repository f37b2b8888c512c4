"""An API write that finds another write's lock waits for it, up to api_deadline, in `serve` as
operators run it: on SQLite for the write lock, on PostgreSQL for a row (or the tenant's If-Match
lock) — past PostgreSQL's 500 ms statement timeout of FreeSWITCH's paths, which used to turn the wait
into a 500. Only past api_deadline does it answer 503, with Retry-After and nothing changed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.held_transaction import HeldTransaction
from tests.serve_process import DOMAIN, ROOT, ServeProcess

USER_URL = f"/api/v1/tenants/{DOMAIN}/users/1001"


def _key(url: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRALITA_")}
    created = subprocess.run([sys.executable, "-m", "fs_plugins.cli", "--database", url, "apikey", "create", "ops",
                              "--role", "operator"], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return created.stdout.strip().splitlines()[-1]


def _patch(port: int, key: str, name: str, if_match: str = "*") -> tuple[int, dict, dict, float]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{USER_URL}", data=json.dumps({"name": name}).encode(),
                                     method="PATCH", headers={"Content-Type": "application/json", "If-Match": if_match,
                                                              "Authorization": f"Bearer {key}"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, headers, body = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, dict(error.headers), error.read()
    return status, headers, json.loads(body or b"{}"), time.monotonic() - started


def _shown(port: int, key: str) -> tuple[str, dict]:
    """(ETag, body) of user 1001."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{USER_URL}", headers={"Authorization": f"Bearer {key}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["ETag"], json.loads(response.read())


class HeldLock(HeldTransaction):
    """Another process's transaction holding what the API write needs, for `seconds`: SQLite's
    write lock, or on PostgreSQL user 1001's row and the tenant's If-Match lock."""

    def take(self, db) -> None:
        from fs_plugins.api.etags import LOCK_CLASS, _key

        db.execute_sql('SELECT id FROM "user" WHERE extension = %s FOR UPDATE', ("1001",))
        db.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_CLASS, _key(DOMAIN)))


@pytest.fixture
def api(tmp_path, db_url):
    def start(deadline: float):
        return ServeProcess(tmp_path, only=("api",), database_url=db_url, api_deadline=str(deadline),
                            fs_event_socket_port="0")
    return start


@pytest.mark.parametrize("if_match", ["*", "etag"])
def test_a_write_waits_for_another_writes_lock_longer_than_the_statement_timeout(api, db_url, if_match):
    with api(deadline=10) as serve:
        key = _key(db_url)
        tag = _shown(serve.api_port, key)[0] if if_match == "etag" else "*"
        with HeldLock(db_url, seconds=1.5):
            status, _, body, seconds = _patch(serve.api_port, key, "Waited", tag)
        assert status == 200, serve.log()[-9000:]
        assert body["name"] == "Waited" and seconds >= 1.0


def test_a_write_past_api_deadline_answers_503_with_retry_after_and_changes_nothing(api, db_url):
    with api(deadline=1) as serve:
        key = _key(db_url)
        with HeldLock(db_url, seconds=4):
            status, headers, body, seconds = _patch(serve.api_port, key, "Too late")
        assert status == 503, body
        assert headers["Retry-After"].isdigit() and body["type"] == "urn:centralita:problem:database-unavailable"
        assert seconds < 3.5  # answered at the deadline, not when the lock was let go
        assert _shown(serve.api_port, key)[1]["name"] != "Too late"
        status, _, body, _ = _patch(serve.api_port, key, "Later")  # the lock is free again: the server carries on
        assert status == 200 and body["name"] == "Later"


def test_serve_only_api_yields_the_cpu_to_freeswitchs_handlers(api, tmp_path, db_url):
    with api(deadline=10) as serve:  # api_scheduling "normal" (ServeProcess): the niceness is what is left
        assert os.getpriority(os.PRIO_PROCESS, serve.process.pid) == 5  # api_nice's default
        assert os.sched_getscheduler(serve.process.pid) == os.SCHED_OTHER
    with ServeProcess(tmp_path, only=("xml_curl",), database_url=db_url) as serve:
        assert os.getpriority(os.PRIO_PROCESS, serve.process.pid) == os.getpriority(os.PRIO_PROCESS, 0)


def _policy_after_yield(roles: tuple[str, ...], **settings: str) -> dict:
    """serve's yield_cpu(config, roles) in a fresh interpreter that already runs a second thread (as
    serve's thread pool may): each thread's policy and the niceness afterwards. A process cannot
    leave SCHED_IDLE without privilege, hence not in this one."""
    code = (
        "import json, os, threading\n"
        "from fs_plugins.commands.serve import yield_cpu\n"
        "from fs_plugins.config import load_config\n"
        "started, stop = threading.Event(), threading.Event()\n"
        "threading.Thread(target=lambda: (started.set(), stop.wait())).start(); started.wait()\n"
        f"yield_cpu(load_config(), {roles!r})\n"
        "policies = [os.sched_getscheduler(int(t)) for t in os.listdir('/proc/self/task')]\n"
        "stop.set()\n"
        "print(json.dumps({'policies': policies, 'nice': os.getpriority(os.PRIO_PROCESS, 0)}))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRALITA_")}
    env.update({f"CENTRALITA_{k.upper()}": v for k, v in settings.items()})
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_by_default_a_process_serving_only_people_runs_under_sched_idle_every_thread_of_it():
    after = _policy_after_yield(("api",))
    assert len(after["policies"]) == 2 and set(after["policies"]) == {os.SCHED_IDLE}, after
    assert after["nice"] == 5


@pytest.mark.parametrize("roles", [("xml_curl",), ("api", "xml_curl"), ("web",), ("esl", "api")])
def test_a_process_with_a_freeswitch_facing_server_keeps_its_cpu_priority(roles):
    after = _policy_after_yield(roles)
    assert set(after["policies"]) == {os.SCHED_OTHER} and after["nice"] == os.getpriority(os.PRIO_PROCESS, 0)


def test_api_scheduling_normal_leaves_the_policy_and_only_lowers_the_niceness():
    after = _policy_after_yield(("api",), api_scheduling="normal", api_nice="12")
    assert set(after["policies"]) == {os.SCHED_OTHER} and after["nice"] == 12


@pytest.mark.parametrize("value", ["IDLE", "batch", ""])
def test_an_unknown_api_scheduling_is_refused_naming_the_setting(value):
    from fs_plugins.config import load_config
    from fs_plugins.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        load_config(environ={"CENTRALITA_API_SCHEDULING": value})
    assert refused.value.field == "api_scheduling" and "idle or normal" in str(refused.value)
