"""Per-user call handling in the dialplan the xml_curl handler serves (XPath on the XML), driven by
the requests a real FreeSWITCH 1.11 sent (tests/fixtures/freeswitch/xml_curl).

`follow` executes a served dialplan the way FreeSWITCH does (switch_channel_handle_cause:
continue_on_fail list, else NO_ANSWER continues; transfer_on_fail `<causes> auto_cause XML <ctx>`
transfers to the extension named after the cause; else the A leg hangs up with the cause) and
posts the next fetch after each transfer, so the outcome of a bridge can be followed end to end.
The FreeSWITCH emulator (fs_plugins.sim) runs outbound-ESL sessions only, not xml_curl dialplans.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from lxml import etree

from fs_plugins.callhandling import app as callhandling
from fs_plugins.config import Config
from fs_plugins.contacts import service as contacts
from fs_plugins.contacts.records import ContactInput
from fs_plugins.models import User
from fs_plugins.models.callhandling import CallHandling, OutboundRestriction, SimRing
from tests.wsgi import call
from xml_curl.app import make_app
from tests import provision
from tests.provision import OPERATOR, who
from tests.contact_directories import operator_directory

RECORDED = Path(__file__).parent / "fixtures" / "freeswitch" / "xml_curl"
CARRIER = "sofia/gateway/carrier/"


def forwarded(extension: str) -> str:
    """A forward of `extension` to a number: the leg carries the user's presence (their busy lamp)."""
    return f"[presence_id={extension}@acme.example,pbx_leg_user={extension}@acme.example]{CARRIER}"


def recorded_fields(name: str, index: int) -> dict:
    return dict(json.loads((RECORDED / name).read_text())["exchanges"][index]["request"]["fields"])


@pytest.fixture
def pbx(db):
    acme = provision.tenant("Acme", "acme.example", "Europe/Madrid", "en", "US")
    globex = provision.tenant("Globex", "globex.example", "America/New_York", "en", "US")
    users = {ext: provision.user(acme, ext, f"User {ext}", password="password-" + ext)
             for ext in ("1001", "1002", "1003", "1004", "1005")}
    users["globex"] = provision.user(globex, "1002", "Gina Globex", password="password-g")
    provision.number(acme, "+15550001002", "user:1002")
    provision.number(acme, "+15550001001", "user:1001")
    return acme, globex, users


@pytest.fixture
def app(db, pbx):
    return make_app(Config(), db)


def fields(context="acme.example", destination="1002", **extra) -> dict:
    """The recorded INVITE 1001 -> 1002 dialplan fetch, re-aimed."""
    data = recorded_fields("04_invite_sip_auth_dialplan_user_call.json", 1)
    data.update({"Hunt-Context": context, "Caller-Context": context, "Hunt-Destination-Number": destination,
                 "Caller-Destination-Number": destination})
    data.update(extra)
    return data


def serve(app, data: dict):
    status, headers, body = call(app, urlencode(data).encode())
    assert status == 200 and headers["Content-Type"] == "text/xml"
    return etree.fromstring(body)


def steps(doc) -> list[tuple[str, str]]:
    return [(a.get("application"), a.get("data") or "") for a in doc.xpath("//action")]


# The first fetch in a tenant sets its voice (fs_plugins/voices.py); these tenants speak English.
ENGLISH = [("set", "default_language=en"), ("set", "sound_prefix=/usr/share/freeswitch/sounds/en/us/callie"),
           ("set", "sound_prefix_enforced=true"), ("set", "pbx_voice=/usr/share/freeswitch/sounds/en/us/callie")]


def dialplan(app, destination="1002", **extra) -> list[tuple[str, str]]:
    return steps(serve(app, fields(destination=destination, **extra)))


def bridges(doc_or_steps) -> list[str]:
    if isinstance(doc_or_steps, list):
        return [data for application, data in doc_or_steps if application == "bridge"]
    return doc_or_steps.xpath("//action[@application='bridge']/@data")


def follow(app, data: dict, outcomes: dict[str, str], limit: int = 20) -> list[tuple[str, str]]:
    """Run the served dialplan like FreeSWITCH; `outcomes` maps a dial-string prefix to a bridge's
    failure cause (unlisted bridges are answered). Returns every action run, across fetches, and
    ("END", cause) for how the A leg ended."""
    variables, trace = {}, []
    for _ in range(limit):
        transfer = None
        for application, arg in steps(serve(app, data)):
            trace.append((application, arg))
            if application == "set":
                name, _, value = arg.partition("=")
                variables[name] = value
            elif application == "unset":
                variables.pop(arg, None)
            elif application == "hangup":
                return trace + [("END", arg)]
            elif application == "transfer":
                transfer = arg.split(" ")
                break
            elif application == "bridge":
                target = re.sub(r"^\[[^]]*\]", "", arg)  # a leg's own variables ([presence_id=…]) aside
                cause = next((c for prefix, c in outcomes.items() if target.startswith(prefix)), "SUCCESS")
                if cause == "SUCCESS":
                    return trace + [("END", "ANSWERED")]
                variables["originate_disposition"] = cause
                continue_on_fail = variables.get("continue_on_fail")
                if continue_on_fail:
                    if continue_on_fail == "true" or cause in continue_on_fail.split(","):
                        continue
                elif cause in ("NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL"):
                    continue
                on_fail = variables.get("transfer_on_fail", "").split(" ")
                if len(on_fail) == 4 and cause in on_fail[0].split(","):
                    transfer = [cause if on_fail[1] == "auto_cause" else on_fail[1], on_fail[2], on_fail[3]]
                    break
                return trace + [("END", cause)]
        if transfer is None:
            return trace + [("END", "NORMAL_CLEARING")]  # the dialplan ran out: FreeSWITCH hangs up
        extension, _, context = transfer
        data = dict(data, **{f"variable_{k}": v for k, v in variables.items()})
        data.update({"Hunt-Context": context, "Caller-Context": context, "Hunt-Destination-Number": extension,
                     "Caller-Destination-Number": extension})
    raise AssertionError("the dialplan kept transferring")


def before(trace, first, second) -> bool:
    return trace.index(first) < trace.index(second)


# --- ringing, DND ------------------------------------------------------------------------------

def test_a_user_without_settings_rings_for_the_default_time_with_no_failover(app):
    doc = serve(app, fields())
    assert doc.xpath("//action[@application='set' and @data='call_timeout=20']")
    assert doc.xpath("//action[@application='set' and @data='pbx_target_user=1002@acme.example']")
    assert bridges(doc) == ["user/1002@acme.example"]
    assert not doc.xpath("//action[starts-with(@data, 'continue_on_fail') or starts-with(@data, 'transfer_on_fail')]")


def test_dnd_busy_marks_the_call_and_hangs_up_busy_as_recorded(app, pbx):
    callhandling.set_dnd(*who(pbx[2]["1002"]), True)
    run = dialplan(app)
    # (and the call's chain says the call left 1002 because of DND: the call log's "No molestar")
    assert run[-3:] == [("set", "pbx_dnd=true"), ("set", "pbx_chain=1002@acme.example:dnd"), ("hangup", "USER_BUSY")]
    assert not bridges(run)


def test_dnd_with_forward_busy_mode_goes_to_the_busy_target_marked_dnd(app, pbx):
    users = pbx[2]
    callhandling.set_forward(*who(users["1002"]), "busy", "user:1003")
    callhandling.set_dnd(*who(users["1002"]), True, "forward-busy")
    doc = serve(app, fields())
    assert steps(doc)[-5:] == [("set", "pbx_dnd=true"), ("set", "pbx_forwarded=dnd"), ("set", "pbx_hops=1"),
                               ("set", "pbx_chain=1002@acme.example:dnd"),
                               ("transfer", f"pbx-user-{users['1003'].id} XML acme.example")]
    trace = follow(app, fields(), {})
    assert ("bridge", "user/1003@acme.example") in trace and trace[-1] == ("END", "ANSWERED")


def test_dnd_forward_busy_without_a_busy_target_is_plain_busy(app, pbx):
    callhandling.set_forward(*who(pbx[2]["1002"]), "no-answer", "user:1003")
    callhandling.set_dnd(*who(pbx[2]["1002"]), True, "forward-busy")
    assert dialplan(app)[-3:] == [("set", "pbx_dnd=true"), ("set", "pbx_chain=1002@acme.example:dnd"),
                                  ("hangup", "USER_BUSY")]


def test_dnd_voicemail_mode_sends_callers_to_the_users_box(app, pbx):
    callhandling.set_dnd(*who(pbx[2]["1002"]), True, "voicemail")
    run = dialplan(app)
    assert ("set", "pbx_dnd=true") in run and ("set", "pbx_forwarded=dnd") in run
    assert ("voicemail", "default acme.example 1002") in run and not bridges(run)


def test_dnd_wins_over_the_no_answer_and_busy_forwards_but_not_over_forward_always(app, pbx):
    owner = pbx[2]["1002"]
    callhandling.set_forward(*who(owner), "no-answer", "number:4155550125")
    callhandling.set_dnd(*who(owner), True)
    assert dialplan(app)[-1] == ("hangup", "USER_BUSY")
    callhandling.set_forward(*who(owner), "always", "number:4155550126")
    run = dialplan(app)
    assert ("set", "pbx_forwarded=always") in run and ("set", "pbx_dnd=true") not in run
    assert bridges(run) == [forwarded(owner.extension) + "+14155550126"]


# --- forwards ----------------------------------------------------------------------------------

def test_forward_always_to_a_number_never_rings_the_user(app, pbx):
    callhandling.set_forward(*who(pbx[2]["1002"]), "always", "number:(415) 555-0125")
    doc = serve(app, fields())
    assert bridges(doc) == [forwarded("1002") + "+14155550125"]
    run = steps(doc)
    assert before(run, ("set", "pbx_forwarded=always"), ("bridge", forwarded("1002") + "+14155550125"))
    assert ("set", "pbx_hops=1") in run


def test_forward_on_no_answer_continues_inline_like_the_recording(app, pbx):
    callhandling.set_forward(*who(pbx[2]["1003"]), "no-answer", "number:4155550125", seconds=25)
    doc = serve(app, fields(destination="1003"))
    run = steps(doc)
    assert ("set", "call_timeout=25") in run
    assert ("set", "continue_on_fail=NO_ANSWER,NO_USER_RESPONSE,PROGRESS_TIMEOUT") in run
    assert bridges(doc) == ["user/1003@acme.example", forwarded("1003") + "+14155550125"]
    assert before(run, ("bridge", "user/1003@acme.example"), ("set", "pbx_forwarded=no_answer"))
    assert before(run, ("set", "pbx_forwarded=no_answer"), ("bridge", forwarded("1003") + "+14155550125"))
    trace = follow(app, fields(destination="1003"), {"user/1003": "NO_ANSWER"})
    assert trace[-2:] == [("bridge", forwarded("1003") + "+14155550125"), ("END", "ANSWERED")]


def test_a_busy_user_with_only_a_no_answer_forward_stays_busy(app, pbx):
    callhandling.set_forward(*who(pbx[2]["1003"]), "no-answer", "number:4155550125")
    trace = follow(app, fields(destination="1003"), {"user/1003": "USER_BUSY"})
    assert trace[-1] == ("END", "USER_BUSY") and ("set", "pbx_forwarded=no_answer") not in trace


def test_the_no_answer_forward_also_covers_a_phone_that_is_not_registered(app, pbx):
    owner = pbx[2]["1003"]
    callhandling.set_forward(*who(owner), "no-answer", "voicemail:1003")
    doc = serve(app, fields(destination="1003"))
    on_fail = doc.xpath("//action[starts-with(@data, 'transfer_on_fail=')]/@data")[0]
    assert "USER_NOT_REGISTERED" in on_fail and "USER_BUSY" not in on_fail
    assert on_fail.endswith(f" auto_cause XML pbx-failover.{owner.id}.acme.example")
    trace = follow(app, fields(destination="1003"), {"user/1003": "USER_NOT_REGISTERED"})
    assert ("set", "pbx_forwarded=not_registered") in trace
    assert ("voicemail", "default acme.example 1003") in trace


def test_busy_and_not_registered_forwards_each_get_their_own_cause(app, pbx):
    owner = pbx[2]["1003"]
    callhandling.set_forward(*who(owner), "no-answer", "voicemail:1003")
    callhandling.set_forward(*who(owner), "busy", "user:1004")
    callhandling.set_forward(*who(owner), "not-registered", "number:4155550127")
    busy = follow(app, fields(destination="1003"), {"user/1003": "USER_BUSY"})
    assert ("set", "pbx_forwarded=busy") in busy and busy[-2:] == [("bridge", "user/1004@acme.example"),
                                                                  ("END", "ANSWERED")]
    offline = follow(app, fields(destination="1003"), {"user/1003": "USER_NOT_REGISTERED"})
    assert ("set", "pbx_forwarded=not_registered") in offline
    assert offline[-2:] == [("bridge", forwarded("1003") + "+14155550127"), ("END", "ANSWERED")]
    unanswered = follow(app, fields(destination="1003"), {"user/1003": "NO_ANSWER"})
    assert ("set", "pbx_forwarded=no_answer") in unanswered and unanswered[-1] == ("END", "NORMAL_CLEARING")


def test_the_failover_context_clears_the_failover_so_the_next_bridge_cannot_bounce_back(app, pbx):
    owner = pbx[2]["1003"]
    callhandling.set_forward(*who(owner), "busy", "number:4155550127")
    run = steps(serve(app, fields(context=f"pbx-failover.{owner.id}.acme.example", destination="USER_BUSY")))
    assert run[:2] == [("unset", "transfer_on_fail"), ("unset", "continue_on_fail")]
    trace = follow(app, fields(destination="1003"), {"user/1003": "USER_BUSY", CARRIER: "USER_BUSY"})
    assert trace[-1] == ("END", "USER_BUSY")


def test_a_failover_whose_setting_was_removed_meanwhile_keeps_the_cause(app, pbx):
    owner = pbx[2]["1003"]
    run = steps(serve(app, fields(context=f"pbx-failover.{owner.id}.acme.example", destination="USER_BUSY")))
    assert run[-1] == ("hangup", "USER_BUSY")


@pytest.mark.parametrize("context", ["pbx-failover.{globex}.acme.example", "pbx-failover.999999.acme.example",
                                     "pbx-failover.x.acme.example", "pbx-failover.{acme}.evil.example"])
def test_a_failover_context_never_reaches_a_user_of_another_tenant(app, pbx, context):
    context = context.format(globex=pbx[2]["globex"].id, acme=pbx[2]["1002"].id)
    assert steps(serve(app, fields(context=context, destination="USER_BUSY"))) == [("hangup", "UNALLOCATED_NUMBER")]


def test_a_forward_loop_between_two_users_ends_after_the_hop_limit(app, pbx):
    users = pbx[2]
    callhandling.set_forward(*who(users["1002"]), "always", "user:1003")
    callhandling.set_forward(*who(users["1003"]), "always", "user:1002")
    trace = follow(app, fields(), {})
    assert trace[-1] == ("END", "EXCHANGE_ROUTING_ERROR")
    assert sum(1 for step in trace if step[0] == "transfer") == 9


def test_a_busy_forward_loop_ends_too(app, pbx):
    users = pbx[2]
    callhandling.set_forward(*who(users["1002"]), "busy", "user:1003")
    callhandling.set_forward(*who(users["1003"]), "busy", "user:1002")
    trace = follow(app, fields(), {"user/1002": "USER_BUSY", "user/1003": "USER_BUSY"}, limit=40)
    assert trace[-1] == ("END", "EXCHANGE_ROUTING_ERROR")


# --- simultaneous ring -------------------------------------------------------------------------

def test_simultaneous_ring_with_delays_confirmation_and_a_no_answer_forward(app, pbx):
    owner = pbx[2]["1002"]
    callhandling.add_ring(*who(owner), "user:1003", delay=5)
    callhandling.add_ring(*who(owner), "number:4155550130", confirm=True)
    callhandling.add_ring(*who(owner), "number:4155550131", delay=30)  # starts after the ring time: never rings
    callhandling.set_forward(*who(owner), "no-answer", "voicemail:1002", seconds=25)
    doc = serve(app, fields())
    assert bridges(doc)[0] == (
        "user/1002@acme.example,"
        "[pbx_ring_of=1002@acme.example,presence_id=1002@acme.example,pbx_leg_user=1002@acme.example,"
        "group_confirm_key=1,"
        "group_confirm_file=/usr/share/freeswitch/sounds/en/us/callie/ivr/ivr-accept_reject_voicemail.wav,"
        "group_confirm_cancel_timeout=1]sofia/gateway/carrier/+14155550130,"
        "[leg_delay_start=5]user/1003@acme.example")
    trace = follow(app, fields(), {"user/1002": "NO_ANSWER"})
    assert before(trace, ("set", "pbx_forwarded=no_answer"), ("voicemail", "default acme.example 1002"))


def test_a_simultaneous_ring_target_in_dnd_does_not_ring(app, pbx):
    users = pbx[2]
    callhandling.add_ring(*who(users["1002"]), "user:1003")
    callhandling.set_dnd(*who(users["1003"]), True)
    assert bridges(dialplan(app)) == ["user/1002@acme.example"]
    callhandling.set_dnd(*who(users["1003"]), False)
    assert bridges(dialplan(app)) == ["user/1002@acme.example,user/1003@acme.example"]


# --- restrictions at call time -----------------------------------------------------------------

def test_a_forward_to_a_number_the_tenant_later_restricted_is_barred_at_call_time(app, pbx):
    acme, _, users = pbx
    callhandling.set_restriction(OPERATOR, acme.domain, None, "all")
    callhandling.set_forward(*who(users["1002"]), "no-answer", "number:+442079460000")
    callhandling.set_restriction(OPERATOR, acme.domain, None, "national,mobile")  # no international any more
    trace = follow(app, fields(), {"user/1002": "NO_ANSWER"})
    assert trace[-3:] == [("set", "pbx_block_reason=international"), ("hangup", "OUTGOING_CALL_BARRED"),
                          ("END", "OUTGOING_CALL_BARRED")]
    assert ("set", "pbx_forwarded=no_answer") in trace


def test_rows_changed_directly_in_the_database_cannot_bypass_restrictions_or_tenants(app, pbx):
    acme, _, users = pbx
    owner = users["1002"]
    CallHandling.create(user=owner, forward_always="number:+19005550199")
    run = dialplan(app)
    assert run[-2:] == [("set", "pbx_block_reason=premium"), ("hangup", "OUTGOING_CALL_BARRED")]
    CallHandling.update(forward_always=None).execute()
    SimRing.create(user=owner, destination="number:+19005550199", confirm=True)
    SimRing.create(user=owner, destination=f"user:{users['globex'].id}")
    SimRing.create(user=owner, destination=f"user:{users['1004'].id}", target_user=users["1003"])  # split
    assert bridges(dialplan(app)) == ["user/1002@acme.example"]
    CallHandling.update(forward_always=f"user:{users['globex'].id}").execute()
    trace = follow(app, fields(), {})
    assert trace[-1] == ("END", "UNALLOCATED_NUMBER") and not any("globex" in arg for _, arg in trace)


def test_an_unreadable_target_written_into_the_database_never_reaches_freeswitch(app, pbx, db):
    owner = pbx[2]["1002"]
    CallHandling.create(user=owner)
    db.execute_sql("UPDATE call_handling SET forward_always = %s" % db.param,
                   ("number:+14155550125,user/1003@acme.example|${system(id)}",))
    db.execute_sql("INSERT INTO sim_ring (user_id, destination, delay, confirm, created_at) VALUES "
                   f"({db.param}, {db.param}, 0, {db.param}, {db.param})",
                   (owner.id, "number:[x]{y}^z", False, "2026-01-01 00:00:00"))
    status, _, body = call(app, urlencode(fields()).encode())
    assert status == 200 and b"${" not in body and b"system" not in body and b"[x]" not in body
    assert bridges(etree.fromstring(body)) == ["user/1002@acme.example"]


# --- outbound calls ----------------------------------------------------------------------------

def test_an_outbound_call_presents_the_users_own_did_as_recorded(app):
    run = dialplan(app, destination="14155550123")
    assert run == ENGLISH + [("set", "pbx_call_type=outbound"), ("set", "effective_caller_id_number=+15550001001"),
                   ("set", "hangup_after_bridge=true"), ("bridge", CARRIER + "+14155550123")]


def test_a_user_without_a_did_presents_the_tenants_first_did(app):
    caller = {"variable_pbx_user_id": "1003@acme.example"}
    assert ("set", "effective_caller_id_number=+15550001002") in dialplan(app, "4155550123", **caller)


def test_a_premium_number_is_barred_with_its_reason_as_recorded(app):
    assert dialplan(app, destination="19005550199") == ENGLISH + [
        ("set", "pbx_call_type=outbound"), ("set", "pbx_block_reason=premium"), ("hangup", "OUTGOING_CALL_BARRED")]


def test_international_needs_permission_and_a_user_can_be_narrower_than_the_tenant(app, pbx):
    acme, _, users = pbx
    assert dialplan(app, "011442079460000")[-1] == ("hangup", "OUTGOING_CALL_BARRED")
    callhandling.set_restriction(OPERATOR, acme.domain, None, "all")
    assert bridges(dialplan(app, "011442079460000")) == [CARRIER + "+442079460000"]
    callhandling.set_restriction(OPERATOR, acme.domain, users["1001"].extension, "national")
    assert dialplan(app, "011442079460000")[-2:] == [("set", "pbx_block_reason=international"),
                                                    ("hangup", "OUTGOING_CALL_BARRED")]
    assert bridges(dialplan(app, "4155550123")) == [CARRIER + "+14155550123"]
    other = {"variable_pbx_user_id": "1003@acme.example"}
    assert bridges(dialplan(app, "011442079460000", **other)) == [CARRIER + "+442079460000"]


def test_a_tenant_that_allows_nothing_still_reaches_toll_free_numbers(app, pbx):
    OutboundRestriction.create(tenant=pbx[0], allowed="none")
    assert dialplan(app, "4155550123")[-1] == ("hangup", "OUTGOING_CALL_BARRED")
    assert bridges(dialplan(app, "8005550100")) == [CARRIER + "+18005550100"]


@pytest.mark.parametrize("dialled,cause", [("1415555012", "UNALLOCATED_NUMBER"), ("+999999999999", "INVALID_NUMBER_FORMAT")])
def test_invalid_or_unknown_numbers_hang_up_with_a_wrong_number_cause(app, dialled, cause):
    assert dialplan(app, dialled)[-1] == ("hangup", cause)


def test_the_outbound_dial_string_comes_from_the_configuration(db, pbx):
    app = make_app(Config(outbound_dial_template="sofia/external/{digits}@127.0.0.1:5097"), db)
    assert bridges(dialplan(app, "14155550123")) == ["sofia/external/14155550123@127.0.0.1:5097"]


# --- caller name (issue 9, point 3) ------------------------------------------------------------

def test_the_caller_is_named_from_the_callees_contacts_then_the_common_directory(app, pbx):
    inbound = recorded_fields("08_inbound_did_public_then_tenant.json", 1)
    assert not serve(app, inbound).xpath("//action[starts-with(@data, 'effective_caller_id_name=')]")
    caller = inbound["Caller-Caller-ID-Number"]
    contacts.add_contact(operator_directory("acme.example"), ContactInput("Carrier Inc", numbers=(("work", caller),)))
    assert serve(app, inbound).xpath("//action[@data='effective_caller_id_name=Carrier Inc']")
    mum = contacts.add_contact(operator_directory("acme.example", "1002"),
                               ContactInput("Mum", numbers=(("mobile", caller),)))
    from fs_plugins.models.contacts import Contact  # `${` is refused on input: as if changed in the database
    Contact.update(name="Mum ${x}").where(Contact.id == mum.id).execute()
    names = serve(app, inbound).xpath("//action[@application='set']/@data")
    assert "effective_caller_id_name=Mum x" in names and "pbx_caller_name=Mum x" in names  # personal first, neutralised
    other = dict(inbound, **{"Hunt-Destination-Number": "1003", "Caller-Destination-Number": "1003"})
    assert serve(app, other).xpath("//action[@data='effective_caller_id_name=Carrier Inc']")
