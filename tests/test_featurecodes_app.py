"""The feature codes' application layer: the tenant's table (the admin's), and what a code dialled
from a phone changes, as that user, through call handling's own functions."""
from __future__ import annotations

import pytest

from fs_plugins.access.principal import TENANT_ADMIN, USER, Principal
from fs_plugins.application import AppContext
from fs_plugins.callhandling import app as callhandling
from fs_plugins.config import Config
from fs_plugins.errors import Forbidden, InvalidInput, NotFound
from fs_plugins.featurecodes import app
from fs_plugins.models import Tenant, User
from fs_plugins.models.audit import AuditEntry
from fs_plugins.models.callhandling import CallHandling
from fs_plugins.models.featurecodes import FeatureCode
from tests import provision
from tests.provision import OPERATOR


@pytest.fixture
def acme(db):
    acme = provision.tenant("Acme", "acme.example", country="ES")
    globex = provision.tenant("Globex", "globex.example", country="ES")
    for ext in ("1001", "1002"):
        provision.user(acme, ext, f"User {ext}", password="password-" + ext)
    provision.user(globex, "1001", "Gina", password="password-g")
    return acme


def as_admin(tenant: Tenant) -> AppContext:
    return AppContext(Principal(TENANT_ADMIN, tenant.id, tenant.domain, name="key ck_1", source="test"), Config())


def as_user(tenant: Tenant, extension: str) -> AppContext:
    user = User.get(User.tenant == tenant, User.extension == extension)
    return AppContext(Principal(USER, tenant.id, tenant.domain, user.id, extension, name="login", source="test"),
                      Config())


def code_of(views, feature):
    return next(view.code for view in views if view.feature == feature)


def test_a_new_tenant_has_the_default_codes(acme):
    views = app.list_codes(as_user(acme, "1001"), "acme.example")
    assert code_of(views, "dnd_on") == "*78" and code_of(views, "forward_always_on") == "*72"
    assert not any(view.changed for view in views)


def test_the_admin_changes_a_code_for_their_tenant_only_and_it_is_audited(acme):
    views = app.set_code(as_admin(acme), "acme.example", "dnd_on", "*4").value
    assert code_of(views, "dnd_on") == "*4"
    assert code_of(app.list_codes(OPERATOR, "globex.example"), "dnd_on") == "*78"
    entry = AuditEntry.select().where(AuditEntry.action == "featurecode.update").get()
    assert (entry.tenant_domain, entry.target) == ("acme.example", "feature code dnd_on")


def test_a_whole_table_replaces_the_tenants_codes_at_once_so_codes_can_swap(acme):
    app.set_code(OPERATOR, "acme.example", "intercom", "*82")
    views = app.replace_codes(as_admin(acme), "acme.example", {"dnd_on": "*79", "dnd_off": "*78", "voicemail": "*97"})
    assert (code_of(views.value, "dnd_on"), code_of(views.value, "dnd_off")) == ("*79", "*78")
    assert code_of(views.value, "intercom") == "*80"  # not in the table: its default again
    assert {row.feature for row in FeatureCode.select()} == {"dnd_on", "dnd_off"}  # a default is no row
    assert AuditEntry.select().where(AuditEntry.action == "featurecode.replace").count() == 1
    assert code_of(app.list_codes(OPERATOR, "globex.example"), "dnd_on") == "*78"


@pytest.mark.parametrize("codes, field", [
    ({"dnd_on": "*79"}, "dnd_off"),  # dnd_off keeps *79, which dnd_on now has
    ({"teleport": "*5"}, "feature"),
    ({"dnd_on": 78}, "dnd_on"),
    ({"intercom": "**9"}, "intercom"),
])
def test_a_table_that_cannot_stand_is_refused_naming_the_feature_and_nothing_changes(acme, codes, field):
    app.set_code(OPERATOR, "acme.example", "intercom", "*82")
    with pytest.raises(InvalidInput) as refused:
        app.replace_codes(as_admin(acme), "acme.example", codes)
    assert refused.value.field == field
    assert [(row.feature, row.code) for row in FeatureCode.select()] == [("intercom", "*82")]


def test_only_an_admin_of_the_tenant_replaces_its_table(acme):
    globex = Tenant.get(Tenant.domain == "globex.example")
    with pytest.raises(Forbidden):
        app.replace_codes(as_user(acme, "1001"), "acme.example", {})
    with pytest.raises(NotFound):
        app.replace_codes(as_admin(globex), "acme.example", {})


def test_reset_brings_the_default_back_and_a_default_cannot_be_reset_again(acme):
    app.set_code(OPERATOR, "acme.example", "dnd_on", "")
    assert code_of(app.reset_code(OPERATOR, "acme.example", "dnd_on").value, "dnd_on") == "*78"
    with pytest.raises(NotFound):
        app.reset_code(OPERATOR, "acme.example", "dnd_on")


@pytest.mark.parametrize("feature, code, field", [
    ("dnd_on", "*79", "code"),  # dnd_off's
    ("dnd_on", "78", "code"),
    ("dnd_on", "*7${x}", "code"),
    ("dnd_on", "*7\n8", "code"),
    ("intercom", "*7", "code"),  # would swallow *78
    ("nonsense", "*5", "feature"),
])
def test_a_bad_code_names_the_field_and_nothing_is_stored(acme, feature, code, field):
    with pytest.raises(InvalidInput) as error:
        app.set_code(OPERATOR, "acme.example", feature, code)
    assert error.value.field == field
    assert FeatureCode.select().count() == 0 and AuditEntry.select().where(
        AuditEntry.action == "featurecode.update").count() == 0


def test_a_user_may_read_the_codes_but_not_change_them_nor_see_another_tenants(acme):
    with pytest.raises(Forbidden):
        app.set_code(as_user(acme, "1001"), "acme.example", "dnd_on", "*4")
    with pytest.raises(NotFound):
        app.list_codes(as_admin(acme), "globex.example")


def test_dnd_codes_turn_dnd_on_off_and_toggle_it_as_the_phone_s_user(acme):
    config = Config()
    assert app.dial_from_phone(config, "acme.example", "1001", "dnd_on") == app.DND_ON
    assert callhandling.show(OPERATOR, "acme.example", "1001").dnd
    assert app.dial_from_phone(config, "acme.example", "1001", "dnd_toggle") == app.DND_OFF
    assert app.dial_from_phone(config, "acme.example", "1001", "dnd_toggle") == app.DND_ON
    assert app.dial_from_phone(config, "acme.example", "1001", "dnd_off") == app.DND_OFF
    entries = AuditEntry.select().where(AuditEntry.action == "dnd.update").order_by(AuditEntry.id)
    assert [(e.actor, e.role, e.source) for e in entries][0] == ("phone 1001", "user", "phone")
    assert not callhandling.show(OPERATOR, "globex.example", "1001").dnd


def test_forward_codes_set_a_colleague_or_a_number_and_clear_it(acme):
    config = Config()
    assert app.dial_from_phone(config, "acme.example", "1001", "forward_always_on", "1002") == app.FORWARD_SET
    assert callhandling.show(OPERATOR, "acme.example", "1001").forward_always.label.startswith("user:1002")
    app.dial_from_phone(config, "acme.example", "1001", "forward_busy_on", "600123456")
    assert callhandling.show(OPERATOR, "acme.example", "1001").forward_busy.destination == "number:+34600123456"
    assert app.dial_from_phone(config, "acme.example", "1001", "forward_always_off") == app.FORWARD_CLEARED
    assert callhandling.show(OPERATOR, "acme.example", "1001").forward_always is None


@pytest.mark.parametrize("argument", ["905123456", "", "1001"])  # premium (restricted); nothing; oneself
def test_a_forward_the_user_may_not_set_is_refused_and_nothing_is_stored(acme, argument):
    with pytest.raises(InvalidInput) as error:
        app.dial_from_phone(Config(), "acme.example", "1001", "forward_always_on", argument)
    assert error.value.field == "to"
    assert CallHandling.select().count() == 0


def test_a_dry_run_answers_the_same_and_stores_nothing(acme):
    assert app.dial_from_phone(Config(), "acme.example", "1001", "dnd_on", dry_run=True) == app.DND_ON
    assert CallHandling.select().count() == 0 and AuditEntry.select().where(
        AuditEntry.action == "dnd.update").count() == 0


def test_a_phone_reaches_only_its_own_users_settings(acme):
    with pytest.raises(NotFound):
        app.dial_from_phone(Config(), "acme.example", "1009", "dnd_on")
    with pytest.raises(NotFound):
        app.dial(as_user(acme, "1001"), "acme.example", "1002", "dnd_on")
    with pytest.raises(InvalidInput):
        app.dial(as_user(acme, "1001"), "acme.example", "1001", "voicemail")


def test_queue_logout_and_login_pause_the_user_in_every_group_and_a_paused_member_does_not_ring(acme):
    from fs_plugins.groups import loader, rules as group_rules
    from fs_plugins.models.groups import GroupMember

    ventas = provision.group(acme, "Ventas", members=("1001", "1002"))
    provision.group(acme, "Soporte", members=("1001",))
    assert app.dial_from_phone(Config(), "acme.example", "1001", "queue_logout") == app.LOGGED_OUT
    assert {(m.group.name, m.user.extension, m.paused) for m in GroupMember.select()} == {
        ("Ventas", "1001", True), ("Ventas", "1002", False), ("Soporte", "1001", True)}
    group = loader.load_group("acme.example", ventas.id)
    dials = [group_rules.member_dial(group, member, "sofia/gateway/carrier/{e164}") for member in group.members]
    assert dials == [None, "user/1002@acme.example"]
    entry = AuditEntry.get(AuditEntry.action == "group.member.pause")
    assert (entry.actor, entry.target) == ("phone 1001", "user 1001")
    assert app.dial_from_phone(Config(), "acme.example", "1001", "queue_login") == app.LOGGED_IN
    assert not any(m.paused for m in GroupMember.select())


def test_queue_logout_of_a_user_in_no_group_is_refused(acme):
    with pytest.raises(InvalidInput) as error:
        app.dial_from_phone(Config(), "acme.example", "1002", "queue_logout")
    assert error.value.field == "user"


def test_a_paused_member_shows_as_logged_out_in_the_group_and_through_the_cli(acme, capsys):
    from fs_plugins.groups import app as groups
    from fs_plugins.groups import cli as groups_cli

    provision.group(acme, "Ventas", members=("1001", "1002"))
    app.dial_from_phone(Config(), "acme.example", "1001", "queue_logout")
    view = groups.get_group(OPERATOR, "acme.example", "Ventas")
    assert [(m.user, m.paused) for m in view.members] == [("1001", True), ("1002", False)]
    groups_cli._show(view)
    out = capsys.readouterr().out
    assert "member 1: 1001 (User 1001) (logged out)" in out and "member 2: 1002 (User 1002)\n" in out
