"""IVR menus through their application layer: validation at save time (nothing half-written), short numbers and
DIDs, soft deletion, and the loader's safe fallback for references that went away."""
from __future__ import annotations

import pytest

from fs_plugins import references
from fs_plugins.audio import library, resolve_audio
from fs_plugins.config import Config
from fs_plugins.destinations import Destination
from fs_plugins.errors import Forbidden, InvalidInput, NotFound
from fs_plugins.ivr import app
from fs_plugins.ivr.loader import DEFAULT_PROMPT, load_menu
from fs_plugins.ivr.settings import options_of, reached_by
from fs_plugins.models import Number, ShortNumber, Tenant, User
from fs_plugins.models.ivr import IvrMenu, IvrOption
from fs_plugins.schedule import settings as schedules
from fs_plugins.schedule.settings import ScheduleInUse
from tests.audio_helpers import sine
from tests.provision import OPERATOR
from tests.test_core_app import admin_of, pbx, user_of  # noqa: F401  (fixture)


@pytest.fixture
def tenant(db):
    acme = Tenant.create(name="Acme", domain="acme.example")
    for ext, name in (("1001", "Ana"), ("1002", "Bob")):
        User.create(tenant=acme, extension=ext, display_name=name, a1_hash="x" * 32)
    Number.create(tenant=acme, e164="+34911234567", destination="hangup:NORMAL_CLEARING")
    return acme


@pytest.fixture
def audio(tenant, tmp_path):
    config = Config(data_dir=str(tmp_path / "data"))
    return {n: library.upload(config, tenant, n, sine(tmp_path / f"{n}.wav", 0.5, 8000)) for n in ("Hola", "Menu")}


def menu(tenant, name="Main", **values):
    values.setdefault("options", {"1": "user:1001"})
    return IvrMenu.get_by_id(app.add_menu(OPERATOR, tenant.domain, name, **values).value.id)


def stored():
    return IvrMenu.select().count(), IvrOption.select().count(), ShortNumber.select().count()


def refused(call, field, text):
    before = stored()
    with pytest.raises(InvalidInput) as error:
        call()
    assert error.value.field == field and text in error.value.message
    assert stored() == before


def test_a_menu_is_created_with_options_short_number_and_did(tenant, audio):
    row = menu(tenant, options={"1": "user:1001", "#": "hangup:USER_BUSY", "*": "voicemail:"},
               short_number="800", numbers=["911 23 45 67"], welcome="Hola", prompt="Menu", exit="user:1002")
    assert options_of(row) == {"#": Destination("hangup", "USER_BUSY"), "*": Destination("voicemail", ""),
                                       "1": Destination("user", str(User.get(User.extension == "1001").id))}
    assert reached_by(row) == (["+34911234567"], ["800"])
    assert ShortNumber.get().destination == Destination("ivr", str(row.id))
    assert (row.welcome_audio.name, row.prompt_audio.name) == ("Hola", "Menu")


def test_names_are_unique_among_live_menus_and_free_again_after_removal(tenant):
    row = menu(tenant)
    refused(lambda: menu(tenant), "name", "already exists")
    app.remove_menu(OPERATOR, tenant.domain, row.name)
    assert menu(tenant).id != row.id


def test_an_empty_menu_is_refused_at_save_time(tenant):
    refused(lambda: menu(tenant, options={}), "options", "at least one option")
    assert menu(tenant, options={}, direct_dial=True).direct_dial


def test_removing_the_last_option_is_refused(tenant):
    row = menu(tenant)
    refused(lambda: app.remove_option(OPERATOR, tenant.domain, row.name, "1"), "options", "at least one option")


@pytest.mark.parametrize("values, field, text", [
    ({"options": {"1": "user:1999"}}, "options.1", "no user with extension '1999'"),
    ({"options": {"1": "ivr:Nothing"}}, "options.1", "no IVR menu 'Nothing'"),
    ({"welcome": "Nada"}, "welcome", "no audio file 'Nada'"),
    ({"forward": "schedule"}, "schedule", "needs a schedule and where calls go while closed"),
    ({"forward": "forward"}, "forward_to", "needs where to forward to"),
    ({"forward": "sometimes"}, "forward", "must be one of"),
    ({"forward_to": "message:Hola"}, "forward_to", "must be one of number, user, group"),
    ({"exit": "message:Hola"}, "exit", "must be one of hangup"),
    ({"timeout": 0}, "timeout", "between 1 and 60"),
    ({"loops": 11}, "loops", "between 1 and 10"),
    ({"short_number": "1001"}, "short_number", "extension of a user"),
    ({"short_number": "0800"}, "short_number", "2 to 6 digits"),
    ({"numbers": ["+34600000000"]}, "numbers", "is not a number of acme.example"),
    ({"comment": "a${x}"}, "comment", "${"),
])
def test_bad_settings_are_refused_naming_the_apis_field_and_nothing_is_stored(tenant, audio, values, field, text):
    refused(lambda: menu(tenant, **values), field, text)


def test_a_short_number_used_by_another_menu_is_refused(tenant):
    menu(tenant, "A", short_number="800")
    refused(lambda: menu(tenant, "B", short_number="800"), "short_number", "already a short number")


def test_an_option_pointing_to_a_deleted_user_is_refused_at_the_next_save(tenant):
    row = menu(tenant, options={"1": "user:1001", "2": "user:1002"})
    User.delete().where(User.extension == "1002").execute()
    refused(lambda: app.set_option(OPERATOR, tenant.domain, row.name, "3", "user:1001"), "options.2", "(deleted user) no longer exists")
    app.remove_option(OPERATOR, tenant.domain, row.name, "2")  # fixing it is allowed
    app.set_option(OPERATOR, tenant.domain, row.name, "3", "user:1001")


def test_menus_refer_to_each_other_by_name_and_a_menu_cannot_forward_to_itself(tenant):
    sub = menu(tenant, "Sub")
    main = menu(tenant, "Main", options={"2": "ivr:Sub"})
    assert options_of(main)["2"] == Destination("ivr", str(sub.id))
    assert references.describe(tenant, Destination("ivr", str(sub.id))) == "ivr:Sub"
    refused(lambda: app.change_menu(OPERATOR, tenant.domain, "Main", forward="schedule", schedule="",
                                            closed="ivr:Main"),
            "schedule", "needs a schedule")


def test_a_menu_still_reached_by_a_did_or_another_menu_cannot_be_removed(tenant):
    sub = menu(tenant, "Sub", numbers=["+34911234567"])
    menu(tenant, "Main", options={"2": "ivr:Sub"})
    with pytest.raises(InvalidInput, match=r"number \+34911234567, option 2 of IVR menu 'Main'"):
        app.remove_menu(OPERATOR, tenant.domain, "Sub")


def test_removal_keeps_the_row_for_billing_and_drops_options_and_short_number(tenant, audio):
    row = menu(tenant, short_number="800", welcome="Hola")
    app.remove_menu(OPERATOR, tenant.domain, row.name)
    row = IvrMenu.get_by_id(row.id)
    assert row.deleted_at is not None and row.welcome_audio is None
    assert IvrOption.select().count() == 0 and ShortNumber.select().count() == 0
    with pytest.raises(NotFound):
        app.get_menu(OPERATOR, tenant.domain, "Main")
    library.remove_audio(audio["Hola"])  # no longer held by the deleted menu


def test_audio_used_by_a_menu_cannot_be_removed(tenant, audio):
    menu(tenant, welcome="Hola")
    with pytest.raises(library.AudioInUse, match="ivr menu 'Main'"):
        library.remove_audio(audio["Hola"])


def test_a_schedule_used_by_a_menu_cannot_be_removed(tenant):
    schedule = schedules.create_schedule(tenant, "Office", hours=["mon-fri 09:00-18:00"])
    menu(tenant, forward="schedule", schedule="Office", closed="hangup")
    with pytest.raises(ScheduleInUse, match="Main"):
        schedules.remove_schedule(schedule)


def test_the_loader_gives_a_frozen_menu_with_playable_paths(tenant, audio):
    row = menu(tenant, welcome="Hola", prompt="Menu", direct_dial=True, options={"1": "user:1001", "2": "user:1002"})
    loaded = load_menu("acme.example", row.id, resolve_audio)
    assert loaded.welcome == audio["Hola"].path and loaded.prompt == audio["Menu"].path
    assert set(loaded.options) == {"1", "2"} and set(loaded.extensions) == {"1001", "1002"}
    assert load_menu("other.example", row.id, resolve_audio) is None


def test_at_call_time_a_dangling_option_counts_as_invalid_and_a_dangling_exit_hangs_up(tenant):
    row = menu(tenant, options={"1": "user:1001", "2": "user:1002"}, exit="user:1002")
    User.delete().where(User.extension == "1002").execute()
    loaded = load_menu("acme.example", row.id, resolve_audio)
    assert set(loaded.options) == {"1"} and loaded.exit_destination == Destination("hangup", "NORMAL_CLEARING")
    assert loaded.prompt == DEFAULT_PROMPT  # no prompt configured: a beep


def test_a_deleted_menu_does_not_load(tenant):
    row = menu(tenant)
    app.remove_menu(OPERATOR, tenant.domain, row.name)
    assert load_menu("acme.example", row.id, resolve_audio) is None


def test_only_the_tenants_admin_manages_its_menus_and_each_change_is_audited(pbx):
    context, events, _ = pbx
    admin = context(admin_of("acme.example"))
    app.add_menu(admin, "acme.example", "Main", options={"1": "user:1001"})
    app.set_option(admin, "acme.example", "Main", "2", "user:1002")
    shown = app.remove_option(admin, "acme.example", "Main", "1").value
    assert [(o.key, o.destination.label) for o in shown.options] == [("2", "user:1002 (Bruno)")]
    assert [e.action for e in events] == ["ivr.add", "ivr.update", "ivr.update"]
    assert events[0].detail["options"] == {"1": "user:1001"}
    with pytest.raises(NotFound):
        app.get_menu(context(admin_of("globex.example")), "acme.example", "Main")
    with pytest.raises(Forbidden):
        app.list_menus(context(user_of("acme.example", "1001")), "acme.example")
