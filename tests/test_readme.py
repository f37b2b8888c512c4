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


# -- the README's commands, run in order as a new user runs them -------------------------------

NEEDS_OUTSIDE = ("needs FreeSWITCH", "on the FreeSWITCH machine")  # said on the line itself


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 3)
    return text[start:end if end > 0 else None]


def section_commands(title: str) -> list[str]:
    """The `centralita …` lines of a section's indented blocks, continuation lines joined."""
    lines, current = [], ""
    for raw in readme_section(title).splitlines():
        if not raw.startswith("    ") or not (current or raw.strip().startswith("centralita ")):
            continue
        current += " " + raw.strip()
        if current.endswith("\\"):
            current = current[:-1]
            continue
        lines.append(current.strip())
        current = ""
    return lines


def readme_argv(line: str) -> list[str]:
    """A README line as the shell splits it, without `centralita` and the trailing comment."""
    import shlex

    words = shlex.split(line, comments=True)
    assert words[0] == "centralita", line
    return words[1:]


@pytest.fixture
def fresh_clone_dir(tmp_path, db_url, monkeypatch, capsys):
    """A working folder like a fresh clone's: docs/samples reachable, the default database (or PostgreSQL)."""
    (tmp_path / "docs").symlink_to(ROOT / "docs")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CENTRALITA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")  # no FreeSWITCH here
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("CENTRALITA_DATABASE_URL", db_url)
    return tmp_path


def run_as_written(line: str, monkeypatch, capsys) -> tuple[int, str, str]:
    import io

    from fs_plugins.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("clave-de-ana-2026\n"))
    code = main(readme_argv(line))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_readme_commands_run_in_order_as_written(fresh_clone_dir, monkeypatch, capsys):
    lines = section_commands("Provisioning") + section_commands("Everyday commands by feature")
    assert len(lines) > 30
    ran = []
    for line in lines:
        if any(marker in line for marker in NEEDS_OUTSIDE):
            continue
        code, out, err = run_as_written(line, monkeypatch, capsys)
        assert code == 0, f"{line}\n{out}{err}"
        ran.append(line)
    assert (fresh_clone_dir / "noviembre.csv").is_file() and (fresh_clone_dir / "soporte.csv").is_file()
    for line in section_commands("Trying a call without FreeSWITCH"):
        code, out, err = run_as_written(line, monkeypatch, capsys)
        assert code == 0, f"{line}\n{out}{err}"
        if "--to 5000 --digits 2" in line:
            assert_matches_the_readme_sample(out)


def assert_matches_the_readme_sample(out: str) -> None:
    """The README's sample output, line by line; `...` stands for any text."""
    section = readme_section("Trying a call without FreeSWITCH")
    block = [line[4:] for line in section.split("It prints each dialplan")[1].splitlines()
             if line.startswith("    ")]
    actual = [line for line in out.splitlines() if line.strip()]
    assert len(block) == len(actual), "\n".join(actual)
    for expected, got in zip(block, actual):
        pattern = ".*".join(re.escape(part) for part in expected.strip().split("..."))
        assert re.fullmatch(pattern, got.strip()), f"README: {expected}\nactual: {got}"
