"""`centralita doctor` on an installation that is right, and on one with each thing wrong."""
from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import pytest

from fs_plugins.cli import main
from fs_plugins.config import Config
from fs_plugins.ops import doctor as ops_doctor
from fs_plugins.sim.inbound import InboundEmulator

SHIPPED_CONF = Path(__file__).parents[1] / "freeswitch" / "conf"


@pytest.fixture
def install(tmp_path):
    """A FreeSWITCH conf tree as the install guide leaves it (with credentials), its sounds, a data_dir."""
    conf = tmp_path / "freeswitch"
    shutil.copytree(SHIPPED_CONF, conf)
    sounds = tmp_path / "sounds"
    for voice in ("en/us/callie", "es/ar/mario"):
        (sounds / voice).mkdir(parents=True)
    data = tmp_path / "data"
    data.mkdir(mode=0o750)
    data.chmod(0o750)
    emulator = InboundEmulator(password="esl-pw")
    emulator.start()
    settings = tmp_path / "centralita.toml"
    settings.write_text(
        f'data_dir = "{data}"\nsounds_dir = "{sounds}"\nfs_event_socket_port = {emulator.address[1]}\n'
        'fs_event_socket_password = "esl-pw"\nxml_curl_user = "fs"\nxml_curl_password = "curl-pw"\n'
        'cdr_user = "fs"\ncdr_password = "cdr-pw"\n')
    assert main(["--config", str(settings), "db", "upgrade"]) == 0
    write_freeswitch_credentials(settings, conf)
    yield {"conf": conf, "settings": settings, "emulator": emulator, "data": data}
    emulator.stop()


def write_freeswitch_credentials(settings: Path, conf: Path) -> None:
    """What the install guide says: `centralita credentials freeswitch > <conf>/centralita_credentials.xml`."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--config", str(settings), "credentials", "freeswitch"]) == 0
    (conf / "centralita_credentials.xml").write_text(out.getvalue())


def doctor(install, capsys) -> tuple[int, dict[str, str]]:
    capsys.readouterr()
    status = main(["--config", str(install["settings"]), "doctor", "--freeswitch-conf", str(install["conf"])])
    lines = capsys.readouterr().out.splitlines()
    return status, {line.split(" ", 1)[1].split(":")[0]: line for line in lines}


def test_a_complete_installation_passes_every_check(install, capsys):
    status, lines = doctor(install, capsys)
    assert status == 0, "\n".join(lines.values())
    assert all(line.startswith("PASS ") for line in lines.values()), "\n".join(lines.values())
    for check in ("database", "schema", "FreeSWITCH event socket", "FreeSWITCH module mod_xml_curl",
                  "FreeSWITCH module mod_json_cdr", "mod_xml_curl URL", "mod_xml_curl credentials", "mod_json_cdr URL",
                  "mod_json_cdr credentials", "outbound gateway", "sounds for 'en'", "data_dir", "clock",
                  "time-zone data"):
        assert check in lines


def test_a_module_freeswitch_did_not_load_fails_with_the_line_to_add(install, capsys):
    install["emulator"].modules.discard("mod_json_cdr")
    status, lines = doctor(install, capsys)
    assert status == 1
    assert lines["FreeSWITCH module mod_json_cdr"].startswith("FAIL ")
    assert '<load module="mod_json_cdr"/>' in lines["FreeSWITCH module mod_json_cdr"]


def test_a_stopped_event_socket_fails_and_names_the_settings_to_check(install, capsys):
    install["emulator"].stop()
    status, lines = doctor(install, capsys)
    assert status == 1 and lines["FreeSWITCH event socket"].startswith("FAIL ")
    assert "fs_event_socket_host/port/password" in lines["FreeSWITCH event socket"]


def test_credentials_and_addresses_that_do_not_match_freeswitchs_conf_fail(install, capsys):
    settings = install["settings"]
    settings.write_text(settings.read_text().replace('cdr_password = "cdr-pw"', 'cdr_password = "other"')
                        + "xml_curl_port = 18999\n")
    status, lines = doctor(install, capsys)
    assert status == 1
    assert lines["mod_json_cdr credentials"].startswith("FAIL ") and "other" not in lines["mod_json_cdr credentials"]
    assert "centralita credentials freeswitch" in lines["mod_json_cdr credentials"]
    assert lines["mod_xml_curl URL"].startswith("FAIL ") and "18999" in lines["mod_xml_curl URL"]
    assert lines["mod_xml_curl credentials"].startswith("PASS ")


def test_a_credentials_file_freeswitch_never_got_fails_naming_the_command_that_writes_it(install, capsys):
    (install["conf"] / "centralita_credentials.xml").unlink()
    status, lines = doctor(install, capsys)
    assert status == 1
    for line in (lines["mod_xml_curl credentials"], lines["mod_json_cdr credentials"]):
        assert line.startswith("FAIL ") and "nothing in" in line and "centralita credentials freeswitch >" in line


def test_credentials_serve_has_not_generated_yet_are_a_warning_saying_what_to_run(install, capsys):
    settings = install["settings"]
    settings.write_text("\n".join(line for line in settings.read_text().splitlines()
                                  if not line.startswith(("xml_curl_", "cdr_"))) + "\n")
    status, lines = doctor(install, capsys)
    assert status == 0 and lines["mod_xml_curl credentials"].startswith("WARN ")
    assert "centralita serve" in lines["mod_xml_curl credentials"]
    assert not (install["data"] / "credentials.toml").exists()  # a doctor changes nothing


def test_a_missing_gateway_sounds_and_an_open_data_dir_are_reported(install, capsys):
    (install["conf"] / "sip_profiles" / "external" / "carrier.xml").unlink()
    shutil.rmtree(install["settings"].parent / "sounds" / "es")
    main(["--config", str(install["settings"]), "tenant", "add", "acme.example", "--name", "Acme",
          "--language", "es"])
    status, lines = doctor(install, capsys)
    assert status == 1
    assert lines["outbound gateway"].startswith("FAIL ") and "'carrier'" in lines["outbound gateway"]
    assert lines["sounds for 'es'"].startswith("FAIL ") and "es/ar/mario" in lines["sounds for 'es'"]
    install["data"].chmod(0o755)  # the CLI closes it up again on every run (fs_plugins/files.py): asked directly
    [finding] = ops_doctor.data_dir(Config(data_dir=str(install["data"])))
    assert finding.level == "WARN" and "755" in finding.advice


def test_an_unreachable_database_fails_without_a_traceback(tmp_path, capsys):
    status = main(["--database", "postgresql://nobody:secret@127.0.0.1:1/none", "--data-dir", str(tmp_path),
                   "doctor", "--freeswitch-conf", str(SHIPPED_CONF)])
    output = capsys.readouterr()
    assert status == 1 and "FAIL database: cannot open it" in output.out
    assert "secret" not in output.out + output.err and "Traceback" not in output.err


def test_a_custom_flow_file_that_does_not_load_fails_the_doctor(tmp_path):
    (tmp_path / "ok.py").write_text("from fs_plugins.callflows import CallFlow\nflow = CallFlow('ok_flow', print)\n")
    assert [f.line() for f in ops_doctor.custom_flows(Config(flows_dir=str(tmp_path)))] == ["PASS custom flows: ok_flow"]
    (tmp_path / "broken.py").write_text("def flow(:\n")
    [finding] = ops_doctor.custom_flows(Config(flows_dir=str(tmp_path)))
    assert finding.level == "FAIL" and finding.what == f"custom flow file {tmp_path / 'broken.py'}"
    assert "SyntaxError" in finding.advice
