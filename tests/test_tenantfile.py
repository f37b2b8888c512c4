"""Tenants as declarative files (fs_plugins/tenantfile): export, its schema, plan and apply."""
from __future__ import annotations

import contextlib
import copy
import json

import jsonschema
import peewee
import pytest
import yaml

from fs_plugins import db as dbmod
from fs_plugins.cli import main
from fs_plugins.core import app as core
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.ivr import app as ivr
from fs_plugins.featurecodes.kinds import BY_NAME
from fs_plugins.models import User
from fs_plugins.models.callflows import FlowRoute
from fs_plugins.models.callhandling import CallHandling
from fs_plugins.models.groups import CallGroup
from fs_plugins.models.ivr import IvrMenu
from fs_plugins.models.voicemail import VoicemailBox
from fs_plugins.tenantfile import document, kinds
from fs_plugins.tenantfile.apply import apply_file
from fs_plugins.tenantfile.export import export_tenant
from tests import tenantfile_world as world
from tests.audio_helpers import sine
from tests.conftest import pg_schema_url


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
    assert menu["options"] == {"0": "voicemail:", "1": "group:Sales", "2": "user:1001", "3": "group:Support",
                               "4": "flow:vip_router"}
    assert data["flows"] == [{"flow": "crm_router", "settings": {"crm_url": "https://crm.acme.example/lookup",
                                                                 "timeout": 3}}, {"flow": "survey"}]
    assert data["flow_routes"] == [
        {"name": "rate_us", "flow": "survey", "settings": {"agent": "1002"}},
        {"name": "vip_router", "flow": "crm_router", "settings": {"customers": "ivr:Main", "vip": "group:Support"},
         "fallback": "user:1001"}]
    assert (menu["closed"], menu["welcome"], menu["short_number"]) == ("message:Cerrado", "Bienvenida", "600")
    support = next(g for g in data["groups"] if g["name"] == "Support")
    assert support["closed_destination"] == "ivr:Main" and support["melody"] == "audio:Bienvenida"
    sales = next(g for g in data["groups"] if g["name"] == "Sales")
    assert sales["members"] == [{"user": "1002", "paused": True}, {"user": "1001"}, {"number": "+34600111222"}]
    assert data["tenant"]["feature_codes"] == {"dnd_on": "*79", "dnd_off": "*78", "intercom": "", "pickup_direct": "*88"}
    assert (users["1001"]["pickup_group"], users["1002"]["pickup_group"]) == ("Ventas", "Ventas")
    assert "pickup_group" not in users["1003"]
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


def test_the_schema_names_every_feature_whose_code_a_file_may_change():
    names = document.schema()["properties"]["tenant"]["properties"]["feature_codes"]["propertyNames"]["enum"]
    assert names == list(BY_NAME)


def test_the_commands_write_the_export_and_the_schema(acme, db_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")
    monkeypatch.setenv("CENTRALITA_FLOWS_DIR", world.FLOWS_DIR)
    assert main(["--database", db_url, "tenant", "export", world.DOMAIN]) == 0
    out = capsys.readouterr().out
    assert out == document.dump(export_tenant(acme, world.DOMAIN))
    assert main(["--database", db_url, "tenant", "export", world.DOMAIN, "-o", str(tmp_path / "acme.yaml")]) == 0
    assert (tmp_path / "acme.yaml").read_text(encoding="utf-8") == out
    assert main(["--database", db_url, "tenant", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == document.schema()
    assert main(["--database", db_url, "tenant", "export", "nowhere.example"]) == 1
    assert "no tenant with domain 'nowhere.example'" in capsys.readouterr().err


# ---- plan and apply ----------------------------------------------------------------------------

def _apply(ctx, text: str, **options):
    return apply_file(ctx, document.load(text), **options)


def _second_database(db_url: str, tmp_path):
    """An empty database of the same kind as the test's, bound to the models."""
    if db_url.startswith("sqlite"):
        return contextlib.nullcontext(f"sqlite:///{tmp_path / 'second.db'}")
    return pg_schema_url("t2_")


def test_export_apply_to_an_empty_database_export_is_byte_identical(acme, db, db_url, tmp_path):
    first = document.dump(export_tenant(acme, world.DOMAIN))
    audio_dir = tmp_path / "data" / "audio" / world.DOMAIN
    with _second_database(db_url, tmp_path) as url:
        second = dbmod.connect(url)
        try:
            ctx = world.operator(tmp_path / "data2")
            applied = _apply(ctx, first, audio_dir=audio_dir)
            assert applied.done and applied.plan.lines()[0].startswith(f"tenant {world.DOMAIN}: ")
            assert document.dump(export_tenant(ctx, world.DOMAIN)) == first
            again = _apply(ctx, first, audio_dir=audio_dir)
            assert not again.done and again.plan.lines() == [f"tenant {world.DOMAIN}: no changes"]
        finally:
            second.close()
            dbmod.bind(db)


def test_applying_the_export_to_its_own_tenant_changes_nothing(acme):
    text = document.dump(export_tenant(acme, world.DOMAIN))
    applied = _apply(acme, text)
    assert applied.plan.changes == () and not applied.done


def test_a_changed_file_plans_additions_changes_and_removals_and_a_dry_run_writes_nothing(acme):
    data = export_tenant(acme, world.DOMAIN)
    data["users"].append({"extension": "1004", "name": "Dora"})
    data["users"][0]["forwards"]["no_answer"]["seconds"] = 30
    data["users"][1].pop("dnd")
    data["groups"] = [g for g in data["groups"] if g["name"] != "Sales"]
    data["ivr_menus"][0]["options"].pop("1")
    data["users"][0]["forwards"].pop("busy")
    data["contacts"][1]["email"] = "zeta@example.org"
    before = document.dump(export_tenant(acme, world.DOMAIN))
    dry = apply_file(acme, copy.deepcopy(data), dry_run=True)
    assert [str(c) for c in dry.plan.changes] == [
        "~ user 1001: forwards", "~ user 1002: dnd", "+ user 1004", "~ IVR menu Main: options",
        "- group Sales", "+ contact Zeta", "- contact Zeta"]
    assert document.dump(export_tenant(acme, world.DOMAIN)) == before
    applied = apply_file(acme, copy.deepcopy(data), passwords=True)
    assert applied.done and set(applied.passwords) == {"1004"}
    after = export_tenant(acme, world.DOMAIN)
    assert document.dump(after) == document.dump(data)
    assert apply_file(acme, copy.deepcopy(data)).plan.changes == ()
    assert core.get_user(acme, world.DOMAIN, "1004").name == "Dora"


@pytest.mark.parametrize("edit, path, message", [
    (lambda d: d["users"][0]["forwards"]["no_answer"].update(seconds=3), "users[0].forwards.no_answer.seconds",
     "must be 5 to 120 seconds"),
    (lambda d: d["users"][1].update(name="Bruno ${system(rm)}"), "users[1].name", "${"),
    (lambda d: d["groups"][0].update(comment="two\r\nlines"), "groups[0].comment", "control characters"),
    (lambda d: d["ivr_menus"][0]["options"].update({"4": "group:Nowhere"}), "ivr_menus[0].options.4",
     "no group 'Nowhere'"),
    (lambda d: d["users"].append({"extension": "1005", "name": "Eva", "forwards": {"always": "user:2001"}}),
     "users[4].forwards.always", "no user with extension '2001'"),
    (lambda d: d["numbers"].append({"number": "+34930000009", "to": "user:1001"}), "numbers[2]",
     "another tenant"),
    (lambda d: d["users"].append({"extension": "1001", "name": "Twice"}), "users[4].extension", "already users[0]"),
    (lambda d: d["users"][0].update(colour="blue"), "users[0]", "colour"),
    (lambda d: d.update(users=d["users"][1:]), "users (removing 1001)", "still route to this user"),
    (lambda d: d.update(flows=d["flows"][:1]), "flow_routes[0].flow", "'survey' is not enabled for the tenant"),
    (lambda d: d["flow_routes"][1]["settings"].update(vip="group:Nowhere"), "flow_routes[1].settings.vip",
     "no group 'Nowhere'"),
    (lambda d: d["flow_routes"][1].update(fallback="user:2001"), "flow_routes[1].fallback",
     "no user with extension '2001'"),
    (lambda d: d["flows"].append({"flow": "teleporter"}), "flows[2].flow", "no flow 'teleporter' is installed"),
    (lambda d: (d["flows"].append({"flow": "pin_line"}), d["flow_routes"].append(
        {"name": "boss", "flow": "pin_line", "settings": {"target": "user:1001"}})),
     "flow_routes[2].settings.pin", "needs this setting"),
    (lambda d: d["flow_routes"][0].update(flow="crm_router"), "flow_routes[0].flow", "cannot change"),
])
def test_a_refused_value_names_its_yaml_path_and_nothing_is_written(acme, edit, path, message):
    core.add_tenant(acme, world.OTHER, "Globex")
    core.add_user(acme, world.OTHER, "2001", "Gina")
    core.add_number(acme, world.OTHER, "+34930000009", "user:2001")
    before = {d: document.dump(export_tenant(acme, d)) for d in (world.DOMAIN, world.OTHER)}
    data = export_tenant(acme, world.DOMAIN)
    data["users"].append({"extension": "1009", "name": "Written first"})  # would be added before the error
    edit(data)
    with pytest.raises((InvalidInput, NotFound)) as refused:
        apply_file(acme, data)
    assert refused.value.field.startswith(path) and message in refused.value.message
    assert {d: document.dump(export_tenant(acme, d)) for d in (world.DOMAIN, world.OTHER)} == before


def test_flows_and_their_routes_are_added_changed_and_removed_by_the_file(acme):
    data = export_tenant(acme, world.DOMAIN)
    data["flows"] = [{"flow": "crm_router", "settings": {"crm_url": "https://crm2.acme.example/"}},
                     {"flow": "pin_line"}]
    data["flow_routes"] = [
        {"name": "boss", "flow": "pin_line", "settings": {"pin": "4321", "target": "user:1001"}},  # a secret by hand
        {"name": "vip_router", "flow": "crm_router", "settings": {"customers": "ivr:Main", "vip": "user:1002"}}]
    data["users"][0]["forwards"]["busy"] = "flow:boss"
    applied = apply_file(acme, copy.deepcopy(data))
    assert [str(c) for c in applied.plan.changes] == [
        "~ user 1001: forwards", "~ flow crm_router: settings", "+ flow pin_line", "- flow survey",
        "+ flow route boss", "~ flow route vip_router: settings, fallback", "- flow route rate_us"]
    after = export_tenant(acme, world.DOMAIN)
    assert after["flows"] == [{"flow": "crm_router", "settings": {"crm_url": "https://crm2.acme.example/"}},
                              {"flow": "pin_line"}]
    assert after["flow_routes"] == [{"name": "boss", "flow": "pin_line", "settings": {"target": "user:1001"}},
                                    data["flow_routes"][1]]
    assert json.loads(FlowRoute.get(FlowRoute.name == "boss").settings)["pin"] == "4321"
    assert after["users"][0]["forwards"]["busy"] == "flow:boss" and "4321" not in document.dump(after)
    data["flow_routes"][0]["settings"]["pin"] = "9999"  # an existing route keeps its secret: `flow set` changes it
    assert apply_file(acme, copy.deepcopy(data)).plan.changes == ()
    assert json.loads(FlowRoute.get(FlowRoute.name == "boss").settings)["pin"] == "4321"


def test_a_menu_and_the_flow_route_it_reaches_are_removed_together(acme):
    ivr.change_menu(acme, world.DOMAIN, "Main", closed="flow:rate_us")
    data = export_tenant(acme, world.DOMAIN)
    data["ivr_menus"], data["flow_routes"] = [], []  # vip_router's settings reach Main too
    data["numbers"][0]["to"] = "user:1001"
    next(u for u in data["users"] if u["extension"] == "1002").pop("forwards")
    support = next(g for g in data["groups"] if g["name"] == "Support")
    for key in ("closed_destination", "opening", "schedule"):
        support.pop(key)
    applied = apply_file(acme, copy.deepcopy(data))
    assert {str(c) for c in applied.plan.changes} >= {"- IVR menu Main", "- flow route vip_router",
                                                       "- flow route rate_us"}
    after = export_tenant(acme, world.DOMAIN)
    assert "ivr_menus" not in after and "flow_routes" not in after and len(after["flows"]) == 2


def test_applying_one_tenants_file_leaves_another_tenant_as_it_was(acme, tmp_path):
    world.build(acme, tmp_path, world.OTHER, numbers=("+34930000001", "+34930000002"))
    other = document.dump(export_tenant(acme, world.OTHER))
    data = export_tenant(acme, world.DOMAIN)
    data["users"] = [u for u in data["users"] if u["extension"] != "1003"]
    data["groups"][0]["members"] = [{"user": "1001"}]
    assert apply_file(acme, data).done
    assert document.dump(export_tenant(acme, world.OTHER)) == other


def test_apply_prints_its_plan_and_a_refusal_by_its_path(acme, db_url, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")
    monkeypatch.setenv("CENTRALITA_FLOWS_DIR", world.FLOWS_DIR)
    data = export_tenant(acme, world.DOMAIN)
    data["users"].append({"extension": "1004", "name": "Dora"})
    path = tmp_path / "acme.yaml"
    path.write_text(document.dump(data), encoding="utf-8")
    assert main(["--database", db_url, "apply", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out == f"tenant {world.DOMAIN}: 1 to add\n  + user 1004\ndry run: nothing was changed\n"
    assert main(["--database", db_url, "apply", str(tmp_path / "missing.yaml")]) == 1
    assert "cannot read" in capsys.readouterr().err
    assert main(["--database", db_url, "apply", str(path), "--passwords"]) == 0
    out = capsys.readouterr().out
    assert "applied 1 changes" in out and "SIP password of 1004 (shown only now): " in out
    assert main(["--database", db_url, "apply", str(path)]) == 0
    assert capsys.readouterr().out == f"tenant {world.DOMAIN}: no changes\n"
    data["users"][0]["forwards"]["no_answer"]["seconds"] = 3
    path.write_text(document.dump(data), encoding="utf-8")
    assert main(["--database", db_url, "apply", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == f"tenant {world.DOMAIN}: 1 to change\n  ~ user 1001: forwards\n"  # the plan came first
    assert err == ("centralita: error: users[0].forwards.no_answer.seconds: must be 5 to 120 seconds\n"
                   "nothing was changed\n")


def test_a_new_tenants_audio_comes_from_the_audio_folder_or_is_refused(acme, tmp_path):
    data = export_tenant(acme, world.DOMAIN)
    data["audio"].append({"name": "Nueva", "file": "nueva.wav"})
    with pytest.raises(InvalidInput) as refused:
        apply_file(acme, copy.deepcopy(data))
    assert refused.value.field == "audio[2].file" and "--audio-dir" in refused.value.message
    folder = tmp_path / "incoming"
    folder.mkdir()
    sine(folder / "nueva.wav", 0.2, 8000)
    library = tmp_path / "data" / "audio" / world.DOMAIN
    stored = sorted(library.iterdir())
    refused = copy.deepcopy(data)
    refused["users"][0]["name"] = "line\nbreak"  # refused after the upload: the upload goes too
    with pytest.raises(InvalidInput, match="users\\[0\\].name"):
        apply_file(acme, refused, audio_dir=folder)
    assert sorted(library.iterdir()) == stored
    assert apply_file(acme, copy.deepcopy(data), audio_dir=folder).done
    assert [a["name"] for a in export_tenant(acme, world.DOMAIN)["audio"]] == ["Bienvenida", "Cerrado", "Nueva"]


def test_apply_shows_progress_through_the_track_it_is_given(acme):
    data = export_tenant(acme, world.DOMAIN)
    data["users"].append({"extension": "1004", "name": "Dora"})
    seen = []

    def track(items, what, total):
        seen.append((what, total))
        return items

    apply_file(acme, data, track=track)
    assert seen == [("applying", 1)]


def test_numbers_and_hours_written_another_way_plan_as_no_change(acme):
    data = export_tenant(acme, world.DOMAIN)
    data["numbers"][0]["number"] = "910 00 00 01"
    data["numbers"][1]["number"] = "+34 910-000-002"
    data["groups"][0]["members"][2]["number"] = "600 11 12 22"
    data["users"][0]["simultaneous_ring"][1]["to"] = "number:600 333 444"
    office = next(s for s in data["schedules"] if s["name"] == "Office")
    office["hours"] = ["sat 10:00-13:00", "mon-wed 09:00-14:00, 16:00-19:00", "thu-fri 09:00-14:00,16:00-19:00"]
    assert apply_file(acme, data).plan.changes == ()
    data["numbers"][0]["number"] = "12"
    with pytest.raises(InvalidInput) as refused:
        apply_file(acme, data)
    assert refused.value.field == "numbers[0].number"
    data["numbers"][0]["number"] = "+34910000001"
    office["hours"] = ["mon 25:00-26:00"]
    with pytest.raises(InvalidInput) as refused:
        apply_file(acme, data)
    assert refused.value.field == "schedules[0].hours[0]"


@pytest.mark.parametrize("edit, path, message", [
    (lambda d: d["tenant"]["feature_codes"].update(voicemail="*79"), "tenant.feature_codes.",
     "already the code of"),
    (lambda d: d["tenant"]["feature_codes"].update(dnd_toggle="**7"), "tenant.feature_codes.dnd_toggle",
     "codes starting with ** are for call pickup"),
    (lambda d: d["tenant"]["feature_codes"].update(teleport="*5"), "tenant", "teleport"),
    (lambda d: d["users"][0].update(pickup_group="Ventas ${x}"), "users[0].pickup_group", "${"),
    (lambda d: d["groups"][0]["members"][2].update(paused=True), "groups[0]", "paused"),  # a number: schema
])
def test_a_refused_phone_feature_names_its_yaml_path_and_nothing_is_written(acme, edit, path, message):
    test_a_refused_value_names_its_yaml_path_and_nothing_is_written(acme, edit, path, message)
