"""The systemd units in packaging/: what they promise an operator, and what systemd makes of them."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fs_plugins.cli import build_parser
from fs_plugins.config import load_config

PACKAGING = Path(__file__).parents[1] / "packaging"
UNITS = sorted((PACKAGING / "systemd").glob("*.service"))


def options(unit: Path) -> dict[str, list[str]]:
    """Each key of the [Service] section with every value it is given (systemd keys may repeat)."""
    found: dict[str, list[str]] = {}
    section = None
    for line in unit.read_text().splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith(("#", ";")) and section == "Service":
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def test_there_is_a_unit_for_the_whole_server_and_one_per_role():
    assert [unit.name for unit in UNITS] == ["centralita.service", "centralita@.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_each_unit_runs_as_its_own_user_hardened_and_restarts_on_failure(unit):
    service = options(unit)
    assert service["User"] == ["centralita"] and service["Restart"] == ["on-failure"]
    assert service["NoNewPrivileges"] == ["yes"] and service["ProtectSystem"] == ["strict"]
    assert service["PrivateTmp"] == ["yes"] and service["ProtectHome"] == ["yes"]
    assert service["ReadWritePaths"] == ["/var/lib/centralita"] == ["/" + "/".join(("var/lib", *service["StateDirectory"]))]
    assert set(service["RestrictAddressFamilies"][0].split()) == {"AF_INET", "AF_INET6", "AF_UNIX"}
    assert service["CapabilityBoundingSet"] == [""]


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_each_unit_starts_a_command_centralita_has(unit):
    command = options(unit)["ExecStart"][0].split()
    assert command[0] == "/opt/centralita/bin/centralita"
    args = build_parser().parse_args([arg.replace("%i", "esl") for arg in command[1:]])
    assert args.command == "serve" and args.no_demo and args.config == "/etc/centralita/centralita.toml"


def test_the_sample_configuration_is_valid_and_writes_only_where_the_unit_may():
    config = load_config(PACKAGING / "centralita.toml", environ={})
    assert config.data_dir == "/var/lib/centralita" and config.log_format == "json"


def test_the_sysusers_file_creates_the_units_user():
    line = next(l for l in (PACKAGING / "sysusers.d" / "centralita.conf").read_text().splitlines()
                if l and not l.startswith("#"))
    assert line.split()[:2] == ["u", "centralita"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_systemd_analyze_verifies_each_unit_without_a_warning(unit, tmp_path):
    # verify checks that ExecStart's program exists: point it at this checkout's console script.
    centralita = Path(sys.executable).with_name("centralita")
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace("/opt/centralita/bin/centralita", str(centralita)))
    target = copy.with_name(copy.name.replace("@.", "@web.")) if "@." in copy.name else copy
    result = subprocess.run(["systemd-analyze", "verify", target.name], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr  # unknown keys only warn


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_accepts_the_api_roles_drop_in(tmp_path):
    # systemd older than 252 would warn "Invalid CPU weight" for CPUWeight=idle: this says which we need
    centralita = Path(sys.executable).with_name("centralita")
    template = (PACKAGING / "systemd" / "centralita@.service").read_text()
    (tmp_path / "centralita@.service").write_text(template.replace("/opt/centralita/bin/centralita", str(centralita)))
    shutil.copytree(PACKAGING / "systemd" / "centralita@api.service.d", tmp_path / "centralita@api.service.d")
    result = subprocess.run(["systemd-analyze", "verify", "centralita@api.service"], cwd=tmp_path,
                            env={**os.environ, "SYSTEMD_UNIT_PATH": f"{tmp_path}:"}, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_the_api_role_gives_the_cpu_to_freeswitchs_roles():
    drop_in = PACKAGING / "systemd" / "centralita@api.service.d" / "cpu.conf"
    # the other roles keep systemd's default weight, 100; this one runs only when they leave the core
    assert options(drop_in)["CPUWeight"] == ["idle"] and options(drop_in)["CPUSchedulingPolicy"] == ["idle"]
    assert "centralita@api.service.d/cpu.conf" in (PACKAGING / "README.md").read_text()
