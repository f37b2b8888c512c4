"""A `serve` process running only the xml_curl handler lowers its niceness to -handler_priority,
every thread of it; any other role keeps its niceness."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serve_process import ServeProcess

ROOT = Path(__file__).resolve().parents[1]
MAY_RAISE = os.geteuid() == 0 or resource.getrlimit(resource.RLIMIT_NICE)[0] >= 30
needs_privilege = pytest.mark.skipif(not MAY_RAISE, reason="a negative niceness needs root, CAP_SYS_NICE or RLIMIT_NICE")


def _nice_after(roles: tuple[str, ...], **settings: str) -> list[int]:
    """serve's take_cpu_first(config, roles) in a fresh interpreter already running a second thread
    (as serve's thread pool may): each thread's niceness afterwards."""
    code = (
        "import json, os, threading\n"
        "from fs_plugins.commands.serve import take_cpu_first\n"
        "from fs_plugins.config import load_config\n"
        "started, stop = threading.Event(), threading.Event()\n"
        "threading.Thread(target=lambda: (started.set(), stop.wait())).start(); started.wait()\n"
        f"take_cpu_first(load_config(), {roles!r})\n"
        "nice = [os.getpriority(os.PRIO_PROCESS, int(t)) for t in os.listdir('/proc/self/task')]\n"
        "stop.set()\n"
        "print(json.dumps(nice))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRALITA_")}
    env.update({f"CENTRALITA_{k.upper()}": v for k, v in settings.items()})
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@needs_privilege
def test_by_default_a_process_running_only_the_xml_curl_handler_runs_every_thread_at_niceness_minus_10():
    assert _nice_after(("xml_curl",)) == [-10, -10]


@needs_privilege
def test_handler_priority_sets_how_far_below_zero():
    assert set(_nice_after(("xml_curl",), handler_priority="20")) == {-20}


@pytest.mark.parametrize("roles", [("xml_curl", "web"), ("xml_curl", "api"), ("esl",), ("web",)])
def test_a_process_running_any_other_role_keeps_its_niceness(roles):
    assert set(_nice_after(roles)) == {os.getpriority(os.PRIO_PROCESS, 0)}


def test_handler_priority_0_leaves_the_niceness():
    assert set(_nice_after(("xml_curl",), handler_priority="0")) == {os.getpriority(os.PRIO_PROCESS, 0)}


@pytest.mark.parametrize("value", ["21", "-5", "high"])
def test_an_out_of_range_handler_priority_is_refused_naming_the_setting(value):
    from fs_plugins.config import load_config
    from fs_plugins.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        load_config(environ={"CENTRALITA_HANDLER_PRIORITY": value})
    assert refused.value.field == "handler_priority"


@needs_privilege
def test_serve_only_xml_curl_answers_at_niceness_minus_10_and_says_so(tmp_path):
    with ServeProcess(tmp_path, only=("xml_curl",)) as serve:
        assert os.getpriority(os.PRIO_PROCESS, serve.process.pid) == -10
        assert serve.directory("1001")[0] == 200
        assert "CPU niceness -10 (handler_priority)" in serve.log(waiting_for="handler_priority")
