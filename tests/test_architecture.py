"""The layers hold: the import contracts of .importlinter (arrows point down, models import no
feature, the emulator only for trials), pure rules that load no database, no gevent and no socket
code, checked in a fresh interpreter (an import made by an earlier test cannot hide one), and no
dead code (vulture, with the small whitelist of names only templates, schemas or greenswitch read)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = sorted(f"fs_plugins.{path.parent.name}.rules" for path in (ROOT / "fs_plugins").glob("*/rules.py"))
PURE = RULES + ["fs_plugins.calllog.classify", "fs_plugins.calllog.parse", "fs_plugins.groups.records", "fs_plugins.groups.states",
                "fs_plugins.callhandling.records", "fs_plugins.destinations", "fs_plugins.actions", "fs_plugins.e164",
                "fs_plugins.dialstrings", "fs_plugins.prepared", "fs_plugins.tenantfile.plan",
                "fs_plugins.hostport"]
FORBIDDEN = ("peewee", "gevent", "greenswitch", "lxml", "xml_curl", "fs_plugins.esl", "fs_plugins.models",
             "fs_plugins.plugins")


def test_every_feature_with_decisions_has_a_rules_module_to_check():
    assert {"fs_plugins.callhandling.rules", "fs_plugins.groups.rules", "fs_plugins.ivr.rules",
            "fs_plugins.schedule.rules"} <= set(RULES)


@pytest.mark.parametrize("module", PURE)
def test_a_pure_module_loads_neither_the_database_nor_gevent_nor_socket_code(module):
    probe = f"import sys, {module}; print(' '.join(n for n in {FORBIDDEN!r} if n in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"{module} loads {done.stdout.strip()}"


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


# Flask routes and marshmallow hooks are called by the framework; tables are declarations; the
# emulator (fs_plugins.sim) is test tooling whose users are the tests.
VULTURE_DECORATORS = ("@bp.*,@app.*,@*.route,@*.get,@*.post,@*.patch,@*.put,@*.delete,@*.errorhandler,"
                      "@*.before_request,@*.after_request,@*.app_template_global,@*.context_processor,"
                      "@*.template_filter,@*.app_template_filter,@*.input,@*.output")


def test_no_dead_code():
    done = subprocess.run([sys.executable, "-m", "vulture", "fs_plugins", "xml_curl", "tests/vulture_whitelist.py",
                           "--min-confidence", "60", "--exclude", "fs_plugins/models,fs_plugins/sim",
                           "--ignore-decorators", VULTURE_DECORATORS],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
