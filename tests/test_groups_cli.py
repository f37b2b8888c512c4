"""`centralita group …` and `centralita voicemail …` through fs_plugins.cli.main, on SQLite and
PostgreSQL: every action, and bad input that names the option and stores nothing."""
from __future__ import annotations

import datetime as dt

import pytest

from fs_plugins import cli
from fs_plugins import db as dbmod
from fs_plugins.destinations import Destination
from fs_plugins.errors import NotFound
from fs_plugins.groups import loader, stats
from fs_plugins.groups.flow import CallRecord
from fs_plugins.models import Number, ShortNumber, Tenant, User
from fs_plugins.models.groups import CallGroup, GroupMember
from fs_plugins.models.voicemail import VoicemailBox
from fs_plugins.models.schedule import Schedule
from fs_plugins.voicemail import boxes as voicemail
from fs_plugins import plugins

T = "acme.example"


@pytest.fixture
def run(db_url, capsys, monkeypatch):
    monkeypatch.setenv("CENTRALITA_FS_EVENT_SOCKET_PORT", "0")  # no FreeSWITCH to flush here
    database = dbmod.connect(db_url)
    acme = Tenant.create(name="Acme", domain=T, country="ES")
    other = Tenant.create(name="Other", domain="other.example", country="ES")
    for ext in ("1001", "1002", "1003"):
        User.create(tenant=acme, extension=ext, display_name=f"User {ext}", a1_hash="x" * 32)
    User.create(tenant=other, extension="2001", display_name="Stranger", a1_hash="x" * 32)
    Schedule.create(tenant=acme, name="Office")
    Schedule.create(tenant=other, name="Night")

    def run(*argv):
        code = cli.main(["--database", db_url, *argv])
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    database.close()


def group_cmd(run, action, *args):
    return run("group", *action.split(), "--tenant", T, *args)


def test_group_and_voicemail_commands_are_registered_in_the_cli():
    assert "groups" in plugins.installed().names() and "voicemail" in plugins.installed().names()


def test_add_members_show_list_and_load_a_group(run):
    code, out, _ = group_cmd(run, "add", "--name", "Sales", "--ring-mode", "consecutive", "--member-seconds", "12",
                             "--timeout", "40", "--no-answer", "voicemail:", "--short-number", "600")
    assert code == 0 and "created" in out
    assert group_cmd(run, "member add", "--group", "Sales", "--user", "1002")[0] == 0
    code, out, _ = group_cmd(run, "member add", "--group", "Sales", "--number", "911 234 567")
    assert code == 0 and "member 2: +34911234567" in out and "member 1: 1002 (User 1002)" in out
    assert "consecutive, 12s per member, 40s in all" in out and "no answer: voicemail: (general box)" in out
    listing = group_cmd(run, "list")[1]
    assert "Sales" in listing and "600" in listing
    group = CallGroup.get(CallGroup.name == "Sales")
    assert ShortNumber.get(ShortNumber.number == "600").destination == Destination("group", str(group.id))
    record = loader.load_group(T, str(group.id))
    assert [m.key for m in record.members] == [f"1002@{T}", "+34911234567"]
    assert record.no_answer == Destination("voicemail", "")


def test_a_group_is_a_destination_by_name_elsewhere(run):
    group_cmd(run, "add", "--name", "Sales")
    code, out, _ = group_cmd(run, "add", "--name", "Support", "--no-answer", "group:Sales")
    assert code == 0
    assert "no answer: group:Sales" in group_cmd(run, "show", "--group", "Support")[1]


@pytest.mark.parametrize("args, field", [
    (("--timeout", "-5"), "--timeout"),
    (("--member-seconds", "abc"), "--member-seconds"),
    (("--no-answer", "ivr:Nowhere"), "--no-answer"),
    (("--no-answer", "user:2001"), "--no-answer"),
    (("--ring-mode", "random"), "--ring-mode"),
    (("--opening", "schedule"), "--schedule"),
    (("--schedule", "Nope", "--opening", "schedule"), "--schedule"),
    (("--schedule", "Night", "--opening", "schedule"), "--schedule"),  # another tenant's
    (("--overflow", "number:12"), "--overflow"),
    (("--callback-key", "55"), "--callback-key"),
    (("--type", "premium"), "--type"),
    (("--short-number", "1001"), "--short-number"),
    (("--comment", "${api system}"), "--comment"),
])
def test_bad_settings_are_refused_naming_the_option_and_nothing_is_stored(run, args, field):
    code, _, err = group_cmd(run, "add", "--name", "Sales", *args)
    assert code == 2 and f"error: {field}:" in err
    assert CallGroup.select().count() == 0 and ShortNumber.select().count() == 0


def test_a_member_from_another_tenant_is_refused(run):
    group_cmd(run, "add", "--name", "Sales")
    code, _, err = group_cmd(run, "member add", "--group", "Sales", "--user", "2001")
    assert code == 2 and "--user: no user with extension '2001' in acme.example" in err
    assert GroupMember.select().count() == 0


@pytest.mark.parametrize("number, message", [
    ("12", "--number:"), ("803 123 456", "--number: +34803123456 is a premium"),
    ("+44 20 7946 0958", "restrictions do not allow"),
])
def test_a_bad_or_barred_external_member_is_refused(run, number, message):
    group_cmd(run, "add", "--name", "Sales")
    code, _, err = group_cmd(run, "member add", "--group", "Sales", "--number", number)
    assert code == 2 and message in err and GroupMember.select().count() == 0


def test_an_advanced_group_cannot_go_back_to_simple(run):
    group_cmd(run, "add", "--name", "Queue", "--type", "advanced", "--max-wait", "120")
    code, _, err = group_cmd(run, "set", "--group", "Queue", "--type", "simple", "--max-wait", "200")
    assert code == 2 and "--type: an advanced group cannot go back to simple" in err
    assert CallGroup.get().kind == "advanced" and CallGroup.get().max_wait == 120


def test_set_changes_opening_and_short_number_and_remove_cleans_up(run):
    group_cmd(run, "add", "--name", "Sales", "--short-number", "600")
    code, out, _ = group_cmd(run, "set", "--group", "Sales", "--opening", "schedule", "--schedule", "Office",
                             "--closed-to", "hangup:USER_BUSY", "--short-number", "601")
    assert code == 0 and "opening: by schedule 'Office'; while closed: hangup:USER_BUSY" in out
    code, out, _ = group_cmd(run, "set", "--group", "Sales", "--opening", "open")
    assert code == 0 and "opening: open\n" in out and "Office" not in out and "USER_BUSY" not in out
    assert [s.number for s in ShortNumber.select()] == ["601"]
    assert group_cmd(run, "remove", "--group", "Sales")[0] == 0
    assert CallGroup.select().count() == 0 and ShortNumber.select().count() == 0


def test_a_group_still_reached_by_a_number_is_not_removed(run):
    group_cmd(run, "add", "--name", "Sales")
    group = CallGroup.get()
    Number.create(tenant=group.tenant, e164="+34910000001", destination=Destination("group", str(group.id)))
    code, _, err = group_cmd(run, "remove", "--group", "Sales")
    assert code == 2 and "still the destination of number +34910000001" in err and CallGroup.select().count() == 1


def test_a_group_another_group_overflows_to_is_not_removed(run):
    group_cmd(run, "add", "--name", "Sales", "--short-number", "600")
    code, _, err = group_cmd(run, "set", "--group", "Sales", "--no-answer", "group:Sales")
    assert code == 2 and "--no-answer" in err and "itself" in err
    sales = CallGroup.get(CallGroup.name == "Sales")  # as stored before that was refused
    CallGroup.update(no_answer_destination=Destination("group", str(sales.id))).execute()
    group_cmd(run, "add", "--name", "Support", "--no-answer", "group:Sales")
    code, _, err = group_cmd(run, "remove", "--group", "Sales")
    assert code == 2 and "call group 'Support'" in err
    assert group_cmd(run, "remove", "--group", "Support")[0] == 0
    assert group_cmd(run, "remove", "--group", "Sales")[0] == 0  # pointing at itself does not count
    assert ShortNumber.select().count() == 0


def test_an_unknown_group_is_not_found(run):
    code, _, err = group_cmd(run, "show", "--group", "Ghost")
    assert code == 1 and "no group 'Ghost'" in err


def test_stats_sum_up_the_recorded_calls_and_export_formula_safe_csv(run, tmp_path):
    group_cmd(run, "add", "--name", "Sales", "--type", "advanced", "--service-level", "20")
    group = CallGroup.get()
    group_cmd(run, "member add", "--group", str(group.id), "--user", "1001")
    today = dt.datetime.now(dt.timezone.utc)
    for outcome, wait, member, talk in [("answered", 10, f"1001@{T}", 60), ("answered", 30, f"1001@{T}", 30),
                                        ("abandoned", 8, "", 0), ("overflowed", 300, "", 0), ("closed", 0, "", 0),
                                        ("answered", 50, "+34911234567", 5)]:
        stats.write_record(CallRecord(group.id, "u", today, outcome, wait, member, talk))
    code, out, _ = group_cmd(run, "stats", "--group", str(group.id))
    assert code == 0
    assert "offered 5, answered 3, abandoned 1 (after 8s on average), overflowed 1" in out
    assert "longest 300s" in out and "service level (20s): 20%" in out
    assert "1001" in out and "90s" in out
    target = tmp_path / "stats.csv"
    code, out, _ = group_cmd(run, "stats", "--group", str(group.id), "--csv", str(target))
    assert code == 0 and f"group Sales: 5 calls offered" in out and f"figures written to {target}" in out
    lines = target.read_text().splitlines()
    assert lines[1].startswith("Sales,,5,3,1,1,0,1,")
    assert lines[2].startswith("Sales,'+34911234567,,1,")  # a cell starting with + cannot become a formula


def test_stats_refuse_a_bad_period(run):
    group_cmd(run, "add", "--name", "Sales")
    code, _, err = group_cmd(run, "stats", "--group", "Sales", "--range", "2026-02-01", "2026-01-01")
    assert code == 2 and "--range" in err


def test_voicemail_boxes_keep_only_a_hash_of_the_pin(run):
    code, out, _ = run("voicemail", "set", "--tenant", T, "--user", "1001", "--pin", "4321",
                       "--email", "ana@acme.example")
    assert code == 0 and "1001" in out
    box = VoicemailBox.get()
    assert "4321" not in box.pin_hash and box.pin_hash == voicemail.pin_hash("1001", T, "4321")
    assert run("voicemail", "set", "--tenant", T, "--general", "--email", "office@acme.example")[0] == 0
    assert "general" in run("voicemail", "list", "--tenant", T)[1]
    assert run("voicemail", "remove", "--tenant", T, "--general")[0] == 0
    assert VoicemailBox.select().count() == 1


@pytest.mark.parametrize("args, field, status", [(("--user", "1001", "--pin", "12"), "--pin", 2),
                                                 (("--user", "2001",), "--user", 1),  # another tenant's user
                                                 (("--user", "1001", "--email", "not-an-address"), "--email", 2)])
def test_bad_voicemail_input_is_refused(run, args, field, status):
    code, _, err = run("voicemail", "set", "--tenant", T, *args)
    assert code == status and f"{field}:" in err and VoicemailBox.select().count() == 0


def test_directory_params_feed_mod_voicemail_without_a_clear_pin():
    info = voicemail.BoxInfo("ab" * 16, "ana@acme.example", True, False, True)
    params = dict(voicemail.directory_params(info))
    assert params == {"vm-enabled": "true", "vm-a1-hash": "ab" * 16, "vm-mailto": "ana@acme.example",
                      "vm-email-all-messages": "true", "vm-attach-file": "true",
                      "vm-keep-local-after-email": "false"}
    assert voicemail.directory_params(voicemail.BoxInfo("", None, True, True, False)) == [("vm-enabled", "false")]
    assert voicemail.directory_params(None) == []


def test_the_melody_can_be_a_file_of_the_tenants_audio_library(run, tmp_path):
    from fs_plugins.models.audio import AudioFile

    wav = tmp_path / "hold.wav"
    wav.write_bytes(b"RIFF")
    AudioFile.create(tenant=Tenant.get(Tenant.domain == T), name="Hold", path=str(wav), sample_rate=8000,
                     duration_ms=12000)
    code, _, err = group_cmd(run, "add", "--name", "Sales", "--melody", "audio:Nope")
    assert code == 2 and "--melody: no audio file 'Nope'" in err and CallGroup.select().count() == 0
    assert group_cmd(run, "add", "--name", "Sales", "--melody", "audio:Hold", "--type", "advanced")[0] == 0
    assert "melody: audio:Hold" in group_cmd(run, "show", "--group", "Sales")[1]
    record = loader.load_group(T, str(CallGroup.get().id))
    assert record.melody_path == str(wav) and record.melody_seconds == 12
    wav.unlink()  # the file vanished: callers hear ringback rather than silence
    assert loader.load_group(T, str(CallGroup.get().id)).melody == "ringback"


def test_try_runs_emulated_calls_through_a_stored_group_step_by_step(run):
    group_cmd(run, "add", "--name", "Sales", "--ring-mode", "consecutive", "--member-seconds", "5",
              "--no-answer", "voicemail:")
    for ext in ("1001", "1002"):
        group_cmd(run, "member add", "--group", "Sales", "--user", ext)
    code, out, _ = group_cmd(run, "try", "--group", "Sales", "--leg", "1002=answer:2:10")
    assert code == 0
    assert "bridge [leg_timeout=5]user/1001@acme.example failed: NO_ANSWER" in out
    # 5 s ringing the first member, 2 s the second: FreeSWITCH's own timing of the bridge
    assert "bridged to user/1002@acme.example" in out and "result: answered after 7.0 s, answered by 1002@" in out
    code, out, _ = group_cmd(run, "try", "--group", "Sales")
    assert "transferred to pbx-voicemail- in acme.example" in out and "result: no_answer" in out
    code, _, err = group_cmd(run, "try", "--group", "Sales", "--leg", "x=answer")
    assert code == 2 and "--leg" in err


def test_a_member_row_pointing_into_another_tenant_never_rings(run):
    group_cmd(run, "add", "--name", "Sales")
    group = CallGroup.get()
    stranger = User.get(User.extension == "2001")
    GroupMember.create(group=group, user=stranger, position=0)  # written behind the service's back
    assert loader.load_group(T, str(group.id)).members == ()
    with pytest.raises(NotFound):  # nor can another tenant's call reach this group by its id
        loader.load_group("other.example", str(group.id))


def test_try_prints_when_a_simultaneous_group_was_really_answered(run):
    group_cmd(run, "add", "--name", "Sales")
    group_cmd(run, "member add", "--group", "Sales", "--user", "1002")
    code, out, _ = group_cmd(run, "try", "--group", "Sales", "--leg", "1002=answer:3.1:20")
    assert code == 0 and "result: answered after 3.1 s, answered by 1002@" in out


def test_show_of_a_simultaneous_group_names_no_time_per_member(run):
    _, out, _ = group_cmd(run, "add", "--name", "Sales", "--timeout", "40")
    code, out, _ = group_cmd(run, "show", "--group", "Sales")
    assert code == 0 and "ringing: simultaneous, 40s in all" in out and "per member" not in out


def test_closed_to_help_lists_every_destination_kind_including_messages(run, capsys):
    with pytest.raises(SystemExit):
        group_cmd(run, "set", "--help")
    help_text = " ".join(capsys.readouterr().out.split())
    closed = help_text[help_text.index("--closed-to CLOSED_DESTINATION where"):]
    assert "message:AUDIO" in closed[:300]
