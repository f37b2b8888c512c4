"""Custom flows through the application layer: the operator enables a flow per tenant, the tenant's
admin attaches it with settings and a fallback, and `flow:NAME` routes like any destination —
inside the tenant only, secrets never read back, nothing stored half-way."""
from __future__ import annotations

from pathlib import Path

import pytest

from fs_plugins.access.principal import TENANT_ADMIN, Principal
from fs_plugins.application import AppContext
from fs_plugins.callflows import app
from fs_plugins.config import Config
from fs_plugins.core import app as core
from fs_plugins.errors import Conflict, Forbidden, InvalidInput, NotFound
from fs_plugins.ivr import app as ivr
from fs_plugins.models.callflows import FlowRoute
from tests import provision

EXAMPLES = str(Path(__file__).resolve().parents[1] / "examples" / "flows")


@pytest.fixture
def pbx(db):
    events = []
    operator = AppContext.operator(Config(flows_dir=EXAMPLES), audit=events.append)
    acme = provision.tenant("Acme", "acme.example")
    other = provision.tenant("Other", "other.example")
    provision.user(acme, "1001", "Boss")
    provision.user(other, "2001", "Stranger")
    admin = AppContext(Principal(TENANT_ADMIN, acme.id, "acme.example", name="admin", source="test"),
                       Config(flows_dir=EXAMPLES), audit=events.append)
    return operator, admin, events


def test_the_operator_enables_a_flow_and_the_admin_attaches_it_with_settings_and_a_fallback(pbx):
    operator, admin, events = pbx
    app.enable_flow(operator, "acme.example", "pin_line")
    route = app.add_route(admin, "acme.example", "boss_line", "pin_line", {"pin": "4321", "target": "user:1001"},
                          fallback="hangup:CALL_REJECTED").value
    assert route.destination == "flow:boss_line" and route.enabled
    assert route.settings == {"pin": "(set)", "target": "user:1001 (Boss)"}
    assert route.fallback.label == "hangup:CALL_REJECTED"
    assert [e.action for e in events] == ["flow.enable", "flow.attach"]
    assert "4321" not in repr(events)


def test_flow_destinations_route_numbers_and_ivr_keys_and_read_back_by_name(pbx):
    operator, admin, _ = pbx
    app.enable_flow(operator, "acme.example", "pin_line")
    app.add_route(admin, "acme.example", "pin_line", "pin_line", {"pin": "4321", "target": "user:1001"})
    number = core.add_number(operator, "acme.example", "+34910000999", "flow:pin_line").value
    assert number.label == "flow:pin_line"
    menu = ivr.add_menu(admin, "acme.example", "Front", options={"1": "flow:pin_line"}).value
    assert menu.options[0].destination.label == "flow:pin_line"
    with pytest.raises(Conflict) as refused:
        app.remove_route(admin, "acme.example", "pin_line")
    assert "+34910000999" in refused.value.message and "ivr option" in refused.value.message


def test_without_the_operators_consent_a_tenant_cannot_attach_a_flow_nor_enable_it_itself(pbx):
    _, admin, _ = pbx
    with pytest.raises(InvalidInput) as refused:
        app.add_route(admin, "acme.example", "pin_line", "pin_line", {"pin": "4321", "target": "user:1001"})
    assert refused.value.field == "flow" and "not enabled" in refused.value.message
    with pytest.raises(Forbidden):
        app.enable_flow(admin, "acme.example", "pin_line")


@pytest.mark.parametrize("values, field", [
    ({"pin": "12", "target": "user:1001"}, "settings.pin"),
    ({"pin": "4321"}, "settings.target"),
    ({"pin": "4321", "target": "user:2001"}, "settings.target"),  # another tenant's extension
    ({"pin": "4321", "target": "user:1001", "colour": "red"}, "settings.colour"),
    ({"pin": "4321", "target": "user:1001", "tries": "9"}, "settings.tries"),
])
def test_a_bad_route_is_refused_naming_the_field_and_nothing_is_stored(pbx, values, field):
    operator, admin, _ = pbx
    app.enable_flow(operator, "acme.example", "pin_line")
    with pytest.raises(InvalidInput) as refused:
        app.add_route(admin, "acme.example", "pin_line", "pin_line", values)
    assert refused.value.field == field
    assert FlowRoute.select().count() == 0


def test_a_fallback_in_another_tenant_or_an_unknown_flow_is_refused_by_field(pbx):
    operator, admin, _ = pbx
    app.enable_flow(operator, "acme.example", "pin_line")
    with pytest.raises(InvalidInput) as refused:
        app.add_route(admin, "acme.example", "pin_line", "pin_line", {"pin": "4321", "target": "user:1001"},
                      fallback="voicemail:2001")
    assert refused.value.field == "fallback"
    with pytest.raises(NotFound) as missing:
        app.enable_flow(operator, "acme.example", "no_such_flow")
    assert missing.value.field == "flow"


def test_tenants_never_see_nor_reach_each_others_routes(pbx):
    operator, admin, _ = pbx
    for domain in ("acme.example", "other.example"):
        app.enable_flow(operator, domain, "pin_line")
    target = {"pin": "4321", "target": "user:2001"}
    app.add_route(operator, "other.example", "secret_line", "pin_line", target)
    with pytest.raises(NotFound):
        app.list_routes(admin, "other.example")
    with pytest.raises(NotFound):
        app.get_route(admin, "acme.example", "secret_line")
    with pytest.raises(InvalidInput) as refused:
        core.add_number(operator, "acme.example", "+34910000998", "flow:secret_line")
    assert refused.value.field == "destination"
    other_id = str(FlowRoute.get(FlowRoute.name == "secret_line").id)
    with pytest.raises(InvalidInput):
        core.add_number(operator, "acme.example", "+34910000998", f"flow:{other_id}")


def test_tenant_settings_apply_under_the_routes_own_and_a_route_may_unset_its_value(pbx):
    operator, admin, _ = pbx
    app.enable_flow(operator, "acme.example", "crm_router", {"crm_url": "https://crm.example/lookup"})
    route = app.add_route(admin, "acme.example", "crm", "crm_router", {"vip": "user:1001", "customers": "voicemail:",
                                                                       "timeout": "4"}).value
    assert route.settings["timeout"] == 4 and "crm_url" not in route.settings
    changed = app.change_route(admin, "acme.example", "crm", unset=("timeout",), name="crm_main").value
    assert changed.destination == "flow:crm_main" and "timeout" not in changed.settings
    with pytest.raises(InvalidInput) as refused:
        app.change_route(admin, "acme.example", "crm_main", unset=("vip",))
    assert refused.value.field == "settings.vip"
    assert app.get_route(admin, "acme.example", "crm_main").settings["vip"] == "user:1001 (Boss)"


def test_a_disabled_flows_routes_stay_but_no_longer_run(pbx):
    operator, admin, events = pbx
    app.enable_flow(operator, "acme.example", "pin_line")
    app.add_route(admin, "acme.example", "pin_line", "pin_line", {"pin": "4321", "target": "user:1001"})
    app.disable_flow(operator, "acme.example", "pin_line")
    [route] = app.list_routes(admin, "acme.example")
    assert route.name == "pin_line" and not route.enabled
    assert app.list_grants(admin, "acme.example") == []
    assert events[-1].action == "flow.disable"


def test_the_catalog_is_the_operators_and_names_every_setting(pbx):
    operator, admin, _ = pbx
    found = app.catalog(operator)
    assert [f.name for f in found.flows] == ["crm_router", "pin_line", "survey"] and not found.problems
    pin = next(f for f in found.flows if f.name == "pin_line")
    assert [s.name for s in pin.settings] == ["pin", "target", "tries", "prompt"]
    with pytest.raises(Forbidden):
        app.catalog(admin)


def test_a_user_a_routes_setting_sends_calls_to_cannot_be_removed_from_under_it(pbx):
    operator, admin, _ = pbx
    app.enable_flow(operator, "acme.example", "pin_line")
    app.add_route(admin, "acme.example", "boss_line", "pin_line", {"pin": "4321", "target": "user:1001"})
    with pytest.raises(Conflict) as refused:
        core.remove_user(admin, "acme.example", "1001")
    assert "flow route target 'boss_line'" in refused.value.message
    app.change_route(admin, "acme.example", "boss_line", values={"target": "voicemail:"})
    core.remove_user(admin, "acme.example", "1001")
    app.remove_route(admin, "acme.example", "boss_line")


def test_a_database_with_the_first_flows_schema_gets_the_route_targets_table(db):
    from fs_plugins import db as dbmod
    from fs_plugins.models.callflows import FlowRouteTarget

    db.drop_tables([FlowRouteTarget])
    db.execute_sql("UPDATE schema_version SET version = 1 WHERE component = 'callflows'")
    assert ("callflows", 1, 2) in dbmod.upgrade(db)
    assert FlowRouteTarget.table_exists() and dbmod.schema_versions(db)["callflows"] == 2
