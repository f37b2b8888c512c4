"""Tenants as declarative files (fs_plugins/tenantfile): export, its schema, plan and apply."""
from __future__ import annotations

import json

import jsonschema
import peewee
import pytest
import yaml

from fs_plugins.cli import main
from fs_plugins.models import User
from fs_plugins.models.callhandling import CallHandling
from fs_plugins.models.groups import CallGroup
from fs_plugins.models.ivr import IvrMenu
from fs_plugins.models.voicemail import VoicemailBox
from fs_plugins.tenantfile import document, kinds
from fs_plugins.tenantfile.export import export_tenant
from tests import tenantfile_world as world


@pytest.fixture
def acme(db, tmp_path):
    ctx = world.operator(tmp_path / "data")
    world.build(ctx, tmp_path)
    return ctx


def test_an_export_names_everything_by_name_and_holds_no_secret(acme):
    text = document.dump(export_tenant(acme, world.DOMAIN))
    assert text.startswith("# yaml-language-server: $schema=centralita-tenant.schema.json\n")
    data = yaml.safe_load(text)
    jsonschema.validate(data, document.schema())
    users = {u["extension"]: u for u in data["users"]}
    assert users["1001"]["forwards"] == {"busy": "group:Sales", "no_answer": {"to": "voicemail:1001", "seconds": 25}}
    assert users["1002"]["forwards"] == {"always": "ivr:Main"}
    assert users["1002"]["dnd"] == {"on": True, "mode": "voicemail"} and users["1002"]["restrictions"] == "national"
    assert users["1001"]["simultaneous_ring"] == [{"to": "user:1002"},
                                                  {"to": "number:+34600333444", "delay": 5, "confirm": True}]
    assert users["1001"]["voicemail"] == {"email": "ana@acme.example", "attach_audio": False}
    assert users["1001"]["contacts"] == [{"name": "Mamá", "numbers": [{"kind": "mobile", "number": "+34 600 123 123"}]}]
    assert users["1003"]["enabled"] is False
    assert data["tenant"]["voicemail"] == {"keep_after_email": False}
    assert data["tenant"]["restrictions"] == "national,mobile,international"
    menu = data["ivr_menus"][0]
    assert menu["options"] == {"0": "voicemail:", "1": "group:Sales", "2": "user:1001", "3": "group:Support"}
    assert (menu["closed"], menu["welcome"], menu["short_number"]) == ("message:Cerrado", "Bienvenida", "600")
    support = next(g for g in data["groups"] if g["name"] == "Support")
    assert support["closed_destination"] == "ivr:Main" and support["melody"] == "audio:Bienvenida"
    sales = next(g for g in data["groups"] if g["name"] == "Sales")
    assert sales["members"] == [{"user": "1002"}, {"user": "1001"}, {"number": "+34600111222"}]
    assert data["numbers"] == [{"number": "+34910000001", "to": "ivr:Main", "description": "main line"},
                               {"number": "+34910000002", "to": "user:1002"}]
    office = next(s for s in data["schedules"] if s["name"] == "Office")
    assert office["closures"] == [{"starts_at": "2026-12-24T14:00:00", "ends_at": "2026-12-26T00:00:00",
                                   "label": "Christmas"}]
    assert [a["name"] for a in data["audio"]] == ["Bienvenida", "Cerrado"]
    secrets = [u.a1_hash for u in User.select()] + [b.pin_hash for b in VoicemailBox.select()] + ["s3cret"]
    assert all(secret not in text for secret in secrets)
    assert not {"a1_hash", "pin", "pin_hash", "password"} & set(_keys(data))


def _keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def test_the_defaults_left_out_of_a_file_are_the_tables_defaults():
    assert kinds.NO_ANSWER["seconds"] == CallHandling.no_answer_seconds.default
    assert kinds.DND == {"on": CallHandling.dnd.default, "mode": CallHandling.dnd_mode.default}
    assert kinds.BOX == {"email": None, "attach_audio": VoicemailBox.attach_audio.default,
                         "keep_after_email": VoicemailBox.keep_after_email.default,
                         "enabled": VoicemailBox.enabled.default}
    for name, value in kinds.GROUP.items():
        column = getattr(CallGroup, name, None)
        if isinstance(column, peewee.Field) and not isinstance(column, peewee.ForeignKeyField):
            assert value == column.default, name
    assert kinds.MENU["timeout"] == IvrMenu.timeout_seconds.default and kinds.MENU["loops"] == IvrMenu.max_loops.default
    assert kinds.MENU["exit"] == str(IvrMenu.exit_destination.default)


def test_the_commands_write_the_export_and_the_schema(acme, db_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")
    assert main(["--database", db_url, "tenant", "export", world.DOMAIN]) == 0
    out = capsys.readouterr().out
    assert out == document.dump(export_tenant(acme, world.DOMAIN))
    assert main(["--database", db_url, "tenant", "export", world.DOMAIN, "-o", str(tmp_path / "acme.yaml")]) == 0
    assert (tmp_path / "acme.yaml").read_text(encoding="utf-8") == out
    assert main(["--database", db_url, "tenant", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == document.schema()
    assert main(["--database", db_url, "tenant", "export", "nowhere.example"]) == 1
    assert "no tenant with domain 'nowhere.example'" in capsys.readouterr().err
