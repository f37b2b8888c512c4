"""`centralita forward|dnd|simring|restrict …` end to end through fs_plugins.cli.main (SQLite and
PostgreSQL): what each command prints and stores, and that bad input names the option, exits
non-zero and stores nothing."""
import pytest

from fs_plugins import cli
from fs_plugins.models.callhandling import CallHandling, OutboundRestriction, SimRing
from fs_plugins import plugins
from tests import provision
from tests.cli_runs import cli_runner

T = ("--tenant", "acme.example")
U = T + ("--user", "1002")


@pytest.fixture
def run(db_url, capsys):
    with cli_runner(db_url, capsys) as run:
        acme = provision.tenant("Acme", "acme.example", country="ES")
        globex = provision.tenant("Globex", "globex.example", country="ES")
        for ext in ("1002", "1003"):
            provision.user(acme, ext, f"User {ext}", password="password-" + ext)
        provision.user(globex, "2001", "Gina", password="password-g")
        yield run


def stored():
    return [(str(r.forward_always), str(r.forward_no_answer), r.no_answer_seconds, str(r.forward_busy),
             str(r.forward_not_registered), r.dnd, r.dnd_mode) for r in CallHandling.select()], \
        SimRing.select().count(), [(r.user_id, r.allowed) for r in OutboundRestriction.select()]


def test_the_commands_are_registered_in_the_cli():
    assert "callhandling" in plugins.installed().names()


def test_forward_set_show_and_clear(run):
    code, out, _ = run("forward", "set", *U, "--when", "no-answer", "--to", "voicemail:1002", "--seconds", "30")
    assert code == 0 and "forward no answer:      voicemail:1002 (User 1002) after 30s" in out
    code, out, _ = run("forward", "set", *U, "--when", "busy", "--to", "user:1003")
    assert "forward busy:           user:1003 (User 1003)" in out
    code, out, _ = run("forward", "set", *U, "--when", "not-registered", "--to", "number:600 12 34 56")
    assert "forward not registered: number:+34600123456" in out
    code, out, _ = run("forward", "set", *U, "--when", "no-answer", "--seconds", "15")
    assert "voicemail:1002 (User 1002) after 15s" in out
    code, out, _ = run("forward", "clear", *U, "--when", "busy")
    assert code == 0 and "forward busy:           -" in out
    code, out, _ = run("forward", "show", *U)
    assert "forward not registered: number:+34600123456" in out and "do not disturb:         off" in out
    assert run("forward", "clear", *U, "--when", "all")[0] == 0
    assert stored()[0] == [("None", "None", 15, "None", "None", False, "busy")]


def test_dnd_on_with_a_mode_and_off(run):
    code, out, _ = run("dnd", "on", *U, "--mode", "voicemail")
    assert code == 0 and "do not disturb:         on (voicemail)" in out
    code, out, _ = run("dnd", "off", *U)
    assert "do not disturb:         off (voicemail)" in out


def test_simring_add_list_remove(run):
    code, out, _ = run("simring", "add", *U, "--to", "user:1003", "--delay", "5")
    assert code == 0 and "user:1003 (User 1003)  5s" in out
    code, out, _ = run("simring", "add", *U, "--to", "number:600123456", "--confirm")
    assert "number:+34600123456    0s     press 1" in out
    code, out, _ = run("simring", "list", *U)
    assert out.splitlines()[1].startswith("number:+34600123456")  # sorted by delay
    code, out, _ = run("simring", "remove", *U, "--to", "number:+34 600 123 456")
    assert code == 0 and "600123456" not in out and SimRing.select().count() == 1


def test_restrict_set_show_clear_for_tenant_and_user(run):
    code, out, _ = run("restrict", "show", *T)
    assert code == 0 and out == "tenant acme.example: default (national,mobile,special)\n"
    code, out, _ = run("restrict", "set", *T, "--allow", "all")
    assert "tenant acme.example: national,mobile,special,premium,international" in out
    code, out, _ = run("restrict", "set", *U, "--allow", "national, mobile")
    assert out.splitlines()[1:] == ["user 1002: national,mobile", "effective: national,mobile (toll-free always)"]
    code, out, _ = run("restrict", "clear", *U)
    assert "user 1002: as the tenant" in out
    assert run("restrict", "set", *T, "--allow", "none")[1].startswith("tenant acme.example: none")


def test_a_forward_target_the_restrictions_forbid_is_refused_on_save(run):
    code, _, err = run("forward", "set", *U, "--when", "always", "--to", "number:803123456")
    assert code == 2 and "--to:" in err and "premium" in err
    run("restrict", "set", *T, "--allow", "all")
    assert run("forward", "set", *U, "--when", "always", "--to", "number:803123456")[0] == 0
    run("restrict", "set", *U, "--allow", "national")
    code, _, err = run("simring", "add", *U, "--to", "number:600123456")
    assert code == 2 and "mobile" in err


BAD = [
    # (argv, exit code, text the message must contain)
    (("forward", "set", *U, "--when", "always"), 2, "--to: give the destination"),
    (("forward", "set", *U, "--when", "always", "--to", "user:1002"), 2, "--to: a user cannot forward to"),
    (("forward", "set", *U, "--when", "always", "--to", "user:2001"), 2, "--to: no user with extension '2001'"),
    (("forward", "set", *U, "--when", "always", "--to", "1003"), 2, "--to: expected kind:target"),
    (("forward", "set", *U, "--when", "always", "--to", "hangup:USER_BUSY"), 2, "--to: hangup is not a possible"),
    (("forward", "set", *U, "--when", "always", "--to", "number:600123456,user/1003"), 2, "--to:"),
    (("forward", "set", *U, "--when", "always", "--to", "number:[600]{1}|^${x}"), 2, "--to:"),
    (("forward", "set", *U, "--when", "no-answer", "--to", "user:1003", "--seconds", "4"), 2, "--seconds: must be 5 to 120"),
    (("forward", "set", *U, "--when", "no-answer", "--to", "user:1003", "--seconds", "121"), 2, "--seconds"),
    (("forward", "set", *T, "--user", "9999", "--when", "busy", "--to", "user:1003"), 1, "--user: no user '9999'"),
    (("forward", "set", "--tenant", "nope.example", "--user", "1002", "--when", "busy", "--to", "user:1003"), 1,
     "no tenant"),
    (("forward", "show", *T, "--user", "2001"), 1, "--user: no user '2001' in acme.example"),
    (("dnd", "on", *U, "--mode", "vacation"), 2, "--mode: 'vacation': use one of busy, forward-busy, voicemail"),
    (("dnd", "off", *T, "--user", "x"), 1, "--user"),
    (("simring", "add", *U, "--to", "user:1003", "--delay", "-1"), 2, "--delay: must be 0 to 60"),
    (("simring", "add", *U, "--to", "user:1003", "--delay", "61"), 2, "--delay"),
    (("simring", "add", *U, "--to", "user:1003", "--confirm"), 2, "--confirm: only an external number"),
    (("simring", "add", *U, "--to", "ivr:Reception"), 2, "--to:"),
    (("simring", "add", *U, "--to", "user:1002"), 2, "--to: a user cannot"),
    (("simring", "add", *U, "--to", "number:12"), 2, "--to:"),
    (("simring", "remove", *U, "--to", "user:1003"), 1, "--to: user:1003 (User 1003) is not in the simultaneous ring"),
    (("simring", "remove", *U, "--to", "group:Sales"), 2, "--to: "),
    (("simring", "list", *T, "--user", ""), 1, "--user"),
    (("restrict", "set", *T, "--allow", "national,bogus"), 2, "--allow: unknown category bogus"),
    (("restrict", "set", *T, "--allow", " , "), 2, "--allow: list categories"),
    (("restrict", "set", *T, "--user", "9999", "--allow", "all"), 1, "--user"),
    (("restrict", "clear", *T), 1, "--tenant: no restriction is set here"),
    (("restrict", "show", "--tenant", "globex.example", "--user", "1002"), 1, "no user '1002' in globex.example"),
]


def test_bad_input_names_the_option_exits_non_zero_and_stores_nothing(run):
    # One database for all cases: each case is independent of the others (nothing is stored).
    for argv, code, message in BAD:
        before = stored()
        got, _, err = run(*argv)
        assert (got, message in err) == (code, True), (argv, err)
        assert stored() == before, argv


def test_a_duplicate_simring_entry_is_refused_and_the_first_kept(run):
    run("simring", "add", *U, "--to", "user:1003")
    code, _, err = run("simring", "add", *U, "--to", "user:1003", "--delay", "9")
    assert code == 2 and "already rings with this user" in err
    assert [r.delay for r in SimRing.select()] == [0]


def test_malformed_options_are_rejected_by_the_parser(run):
    for argv in [
        ("forward", "set", *U, "--when", "sometimes", "--to", "user:1003"),
        ("forward", "clear", *U, "--when", "never"),
        ("simring", "add", *U, "--to", "user:1003", "--delay", "soon"),
        ("forward", "set", *U, "--when", "no-answer", "--seconds", "ten"),
        ("dnd", "on", "--user", "1002"),
    ]:
        with pytest.raises(SystemExit) as exc:
            run(*argv)
        assert exc.value.code == 2, argv


def test_every_command_has_help(run, capsys):
    for argv in (("forward", "set"), ("forward", "clear"), ("forward", "show"), ("dnd", "on"), ("dnd", "off"),
                 ("simring", "add"), ("simring", "remove"), ("simring", "list"), ("restrict", "set"),
                 ("restrict", "clear"), ("restrict", "show")):
        with pytest.raises(SystemExit):
            cli.main([*argv, "--help"])
        assert "--tenant" in capsys.readouterr().out
