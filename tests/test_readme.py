"""The README's two set-up commands: CI runs the test one verbatim, and the run one works from a fresh clone."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APT_PREFIX = "apt-get update && apt-get install -y python3-venv && "


def readme_commands() -> list[str]:
    return re.findall(r"^    (apt-get update .+)$", (ROOT / "README.md").read_text(), flags=re.M)


def test_the_readme_has_exactly_two_set_up_commands_and_ci_runs_the_test_one():
    commands = readme_commands()
    assert len(commands) == 2
    run, test = commands
    assert run.endswith("centralita serve") and test.endswith("pytest")
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test in ci_lines


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git repository to clone")
def test_the_run_command_works_from_a_fresh_clone(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    run = readme_commands()[0]
    assert run.startswith(APT_PREFIX)
    env = {**os.environ, "CENTRALITA_XML_CURL_PORT": "0", "CENTRALITA_WEB_PORT": "0", "CENTRALITA_ESL_PORT": "0",
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # The apt-get part needs root and is the same line CI runs; the rest runs as written.
    process = subprocess.Popen(["bash", "-c", run[len(APT_PREFIX):]], cwd=clone, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output = []
        deadline = time.time() + 420
        while time.time() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            if line.startswith("point FreeSWITCH at it"):
                break
        text = "".join(output)
        assert "xml_curl handler: http://127.0.0.1:" in text, text[-3000:]
        assert "demo tenant demo.centralita.test" in text
        assert (clone / "var" / "centralita.db").exists()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
