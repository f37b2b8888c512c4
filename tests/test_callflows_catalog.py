"""Where custom flows come from: a folder of files and packages' entry points; what fails to load
is reported, never fatal; `centralita flow list` shows both."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fs_plugins.callflows import INTEGER, CallFlow, Setting
from fs_plugins.callflows.catalog import load_catalog
from fs_plugins.errors import InvalidInput

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "flows"

GOOD = '''
from fs_plugins.callflows import CallFlow, Setting, INTEGER

def hello(session):
    session.answer()

flow = CallFlow("hello", hello, settings=(Setting("times", INTEGER, default=1, help="how many"),),
                description="says hello")
'''


@pytest.fixture
def folder(tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "hello.py").write_text(GOOD)
    return flows


def test_every_flow_of_the_folder_is_offered_with_where_it_came_from(folder):
    catalog = load_catalog(str(folder), packages=False)
    assert catalog.names() == ["hello"] and not catalog.problems
    assert catalog.flows["hello"].origin == f"file {folder / 'hello.py'}"
    assert catalog.get("hello").setting("times").default == 1


@pytest.mark.parametrize("text, error", [
    ("def broken(:\n", "SyntaxError"),
    ("import no_such_module_here\n", "ModuleNotFoundError: No module named 'no_such_module_here'"),
    ("raise SystemExit(3)\n", "SystemExit: 3"),
    ("x = 1\n", "defines no CallFlow at its top level"),
    (GOOD, "flow 'hello' is already offered by file"),
])
def test_a_file_that_cannot_be_loaded_is_a_problem_and_the_others_are_still_offered(folder, text, error):
    (folder / "zz_bad.py").write_text(text)
    catalog = load_catalog(str(folder), packages=False)
    assert catalog.names() == ["hello"]
    [problem] = catalog.problems
    assert problem.origin == f"file {folder / 'zz_bad.py'}" and error in problem.error


def test_a_missing_folder_is_reported_not_raised(tmp_path):
    catalog = load_catalog(str(tmp_path / "nowhere"), packages=False)
    assert not catalog.flows and "flows_dir is not a folder" in catalog.problems[0].error


def test_files_starting_with_an_underscore_are_helpers_not_flows(folder):
    (folder / "_shared.py").write_text("raise RuntimeError('not a flow file')\n")
    assert not load_catalog(str(folder), packages=False).problems


@pytest.mark.parametrize("make", [
    lambda: CallFlow("Bad Name", lambda s: None),
    lambda: CallFlow("ok_name", "not callable"),
    lambda: CallFlow("ok_name", lambda s: None, settings=(Setting("a"), Setting("a"))),
    lambda: Setting("x", "colour"),
    lambda: Setting("x", "choice"),
])
def test_a_flow_declared_wrongly_fails_when_its_file_loads(make):
    with pytest.raises(ValueError):
        make()


@pytest.mark.parametrize("raw, expected", [("7", 7), (3, 3)])
def test_an_integer_setting_reads_typed_text_and_json_numbers(raw, expected):
    assert Setting("n", INTEGER, minimum=1, maximum=9).check(raw, "settings.n") == expected


@pytest.mark.parametrize("setting, raw, message", [
    (Setting("n", INTEGER, maximum=9), "10", "must be at most 9"),
    (Setting("n", INTEGER), "ten", "must be a whole number"),
    (Setting("n", INTEGER), True, "must be a whole number"),
    (Setting("u", "url"), "ftp://x", "http:// or https://"),
    (Setting("c", "choice", choices=("a", "b")), "c", "must be one of a, b"),
    (Setting("t"), "hi ${api system rm}", "must not contain '${'"),
    (Setting("t"), "two\nlines", "line breaks"),
    (Setting("b", "boolean"), "maybe", "true or false"),
    (Setting("p", "secret", pattern=r"[0-9]{4}", pattern_help="4 digits"), "12a4", "must be 4 digits"),
])
def test_a_bad_setting_value_is_refused_naming_its_field(setting, raw, message):
    with pytest.raises(InvalidInput) as refused:
        setting.check(raw, f"settings.{setting.name}")
    assert refused.value.field == f"settings.{setting.name}" and message in refused.value.message


def test_a_secret_never_reads_back_in_clear():
    assert Setting("pin", "secret").shown("4321") == "(set)"


def _package(tmp_path: Path, value: str, body: str = GOOD) -> Path:
    (tmp_path / "acme_flows.py").write_text(body)
    info = tmp_path / "acme_flows-2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-flows\nVersion: 2.0\n")
    (info / "entry_points.txt").write_text(f"[centralita.flows]\nhello = {value}\n")
    return tmp_path


def _flow_list(path: Path, flows_dir: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(path), str(ROOT)]), "CENTRALITA_FLOWS_DIR": flows_dir,
           "CENTRALITA_DATABASE_URL": f"sqlite:///{path / 'c.db'}"}
    return subprocess.run([sys.executable, "-m", "fs_plugins.cli", "flow", "list"], env=env, capture_output=True,
                          text=True, timeout=120)


def test_a_package_offers_flows_through_its_entry_point_and_flow_list_shows_them(tmp_path):
    done = _flow_list(_package(tmp_path, "acme_flows:flow"))
    assert done.returncode == 0, done.stderr
    assert "hello  says hello" in done.stdout
    assert "from: package acme-flows 2.0 (acme_flows:flow)" in done.stdout
    assert "setting times (integer, default 1): how many" in done.stdout


def test_flow_list_reports_a_broken_package_and_a_broken_file_and_still_lists_the_rest(tmp_path):
    path = _package(tmp_path, "acme_flows:missing_name")
    done = _flow_list(path, str(EXAMPLES))
    assert done.returncode == 0, done.stderr
    assert "not loaded: package acme-flows 2.0 (acme_flows:missing_name): AttributeError" in done.stdout
    assert "pin_line  asks for a PIN" in done.stdout and "survey  " in done.stdout


def test_a_broken_flow_file_is_logged_when_the_server_wires_its_flows_and_the_rest_still_run(folder, caplog):
    from fs_plugins import plugins
    from fs_plugins.config import Config
    from fs_plugins.plugins import FlowWiring

    (folder / "zz_bad.py").write_text("raise RuntimeError('typo in the CRM token')\n")
    registry = plugins.installed().flow_registry(FlowWiring(Config(flows_dir=str(folder))))
    assert "flow" in registry.names() and "ivr" in registry.names()
    assert f"custom flow not loaded from file {folder / 'zz_bad.py'}: RuntimeError: typo in the CRM token" in caplog.text


def test_serve_starts_and_answers_with_a_broken_flow_file_and_logs_it(folder):
    from tests.serve_process import ServeProcess

    (folder / "zz_bad.py").write_text("import this_module_does_not_exist\n")
    with ServeProcess(folder.parent / "data", flows_dir=str(folder)) as serve:
        status, _body, _seconds = serve.directory("1001")
        assert status == 200
        log = serve.log()
    assert f"custom flow not loaded from file {folder / 'zz_bad.py'}: ModuleNotFoundError" in log
