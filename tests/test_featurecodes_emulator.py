"""Feature codes dialled from a phone, run by the FreeSWITCH emulator through the real dialplan
handler and ESL server: the change is stored and audited as the phone's user, the caller hears
the confirmation, a refused change stores nothing, and the call leaves no call-log entry."""
from __future__ import annotations

import pytest

from fs_plugins.callhandling import app as callhandling
from fs_plugins.commands.simulate import caller_from_args, post_cdr, run_simulation
from fs_plugins.config import Config
from fs_plugins.models.audit import AuditEntry
from fs_plugins.models.calllog import CallEntry, CdrLeg
from fs_plugins.models.callhandling import CallHandling
from fs_plugins.sim.script import CallerScript
from tests import provision
from tests.provision import OPERATOR


@pytest.fixture
def acme(db):
    acme = provision.tenant("Acme", "acme.example", "Europe/Madrid", "es", "ES")
    for ext in ("1001", "1002"):
        provision.user(acme, ext, f"User {ext}", password=f"acme-{ext}-pw")
    return acme


def dial(db, code: str, simulated=False):
    return run_simulation(Config(), db, caller_from_args("1001@acme.example", db), code, CallerScript(),
                          simulated=simulated)


def played(sim) -> list[str]:
    return [step for step in sim.steps if "play" in step]


def test_dnd_on_from_the_phone_is_stored_audited_and_confirmed(db, acme):
    sim = dial(db, "*78")
    assert callhandling.show(OPERATOR, "acme.example", "1001").dnd
    assert any("ivr-dnd_activated.wav" in step for step in played(sim)), sim.steps
    entry = AuditEntry.get(AuditEntry.action == "dnd.update")
    assert (entry.actor, entry.tenant_domain, entry.target) == ("phone 1001", "acme.example", "user 1001")
    assert sim.hangup_cause == "NORMAL_CLEARING"


def test_forward_to_a_number_then_off(db, acme):
    dial(db, "*72600123456")
    assert callhandling.show(OPERATOR, "acme.example", "1001").forward_always.destination == "number:+34600123456"
    sim = dial(db, "*73")
    assert callhandling.show(OPERATOR, "acme.example", "1001").forward_always is None
    assert any("ivr-call_forwarding_has_been_cancelled.wav" in step for step in played(sim)), sim.steps


def test_a_forward_to_a_number_the_user_may_not_call_is_refused_with_a_prompt_and_not_stored(db, acme):
    sim = dial(db, "*72905123456")
    assert any("ivr-that_was_an_invalid_entry.wav" in step for step in played(sim)), sim.steps
    assert CallHandling.select().count() == 0
    assert AuditEntry.select().where(AuditEntry.action == "forward.update").count() == 0


def test_centralita_simulate_answers_a_code_without_changing_anything(db, acme):
    sim = dial(db, "*78", simulated=True)
    assert any("ivr-dnd_activated.wav" in step for step in played(sim)), sim.steps
    assert CallHandling.select().count() == 0


def test_a_code_s_call_leaves_no_call_log_entry(db, acme):
    for code in ("*78", "*97", "*999"):
        post_cdr(Config(), dial(db, code))
    assert CdrLeg.select().count() >= 3  # the CDRs were filed ...
    assert CallEntry.select().count() == 0  # ... and nobody's call log shows them


def test_queue_logout_from_the_phone_pauses_the_member_and_says_so(db, acme):
    from fs_plugins.models.groups import GroupMember

    provision.group(acme, "Ventas", members=("1001",))
    sim = dial(db, "*51")
    assert any("ivr-you_are_now_logged_out.wav" in step for step in played(sim)), sim.steps
    assert GroupMember.get().paused


def test_a_groups_database_from_before_pausing_is_upgraded_keeping_its_members(db, acme):
    from fs_plugins import db as dbmod
    from fs_plugins.models.groups import GroupMember

    provision.group(acme, "Ventas", members=("1001",))
    db.execute_sql("ALTER TABLE group_member DROP COLUMN paused")
    db.execute_sql("UPDATE schema_version SET version = 1 WHERE component = 'groups'")
    assert ("groups", 1, 2) in dbmod.upgrade(db)
    assert [(m.user.extension, m.paused) for m in GroupMember.select()] == [("1001", False)]
