"""The README's REST API session with curl, run as written against `centralita serve --only api`:
the key it creates, the user it adds, the forward it sets, the call log and the audit it reads."""
from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.serve_process import ROOT, ServeProcess

README = (ROOT / "README.md").read_text()


def readme_session() -> list[str]:
    """The commands of the README's curl session, continuation lines joined, comments dropped."""
    block = README.split("A session with `curl`:", 1)[1].split("\n\n", 2)[1]
    lines = [line.strip() for line in block.splitlines()]
    joined = " ".join(lines).replace(" \\ ", " ")
    commands = re.split(r"(?=\bcentralita apikey\b|\bKEY=|\bcurl )", joined)
    return [re.sub(r"\s+#[^'\"]*$", "", command).strip() for command in commands if command.strip()]


def test_the_readme_curl_session_runs_as_written(tmp_path):
    commands = readme_session()
    assert commands[0].startswith("centralita apikey create") and commands[1].startswith("KEY=")
    assert [c.split("$API")[-1].split()[0].strip('"') for c in commands[2:]] == [
        "/users", "/users/1005/call-handling", "/calls?user=1005&type=missed&month=2026-11",
        "/calls.csv?month=2026-11", "/audit"]
    url = f"sqlite:///{tmp_path / 'centralita.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CENTRALITA_")}
    cli = [sys.executable, "-m", "fs_plugins.cli", "--database", url]
    subprocess.run([*cli, "tenant", "add", "acme.example.com", "--name", "Acme S.L."], env=env, cwd=ROOT,
                   check=True, capture_output=True)
    created = subprocess.run([*cli, *shlex.split(commands[0])[1:]], env=env, cwd=ROOT, check=True,
                             capture_output=True, text=True)
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("ck_")
    with ServeProcess(tmp_path, only=("api",), database_url=url, fs_event_socket_port="0") as serve:
        api = commands[1].split("API=", 1)[1].replace("127.0.0.1:18082", f"127.0.0.1:{serve.api_port}")
        answers = []
        for command in commands[2:]:
            checked = command.replace("curl -s ", "curl -sS --fail-with-body ", 1)
            done = subprocess.run(["bash", "-c", checked], env={**env, "KEY": key, "API": api}, cwd=tmp_path,
                                  capture_output=True, text=True)
            assert done.returncode == 0, (command, done.stdout, done.stderr)
            answers.append(done.stdout)
    assert '"extension":"1005"' in answers[0].replace(" ", "") and "sip_password" in answers[0]
    assert "voicemail:1005" in answers[1]
    assert '"items"' in answers[2]
    assert Path(tmp_path / "noviembre.csv").read_text().splitlines()[0]  # the CSV's header line
    assert "\"user.create\"" in answers[4] and "forward.update" in answers[4] and "(provisioning panel)" in answers[4]
