"""The ten statuses: every recorded call, the same calls with other numbers/users/timings, and the
cases the recordings do not cover (documented in fs_plugins/calllog/classify.py)."""
from __future__ import annotations

import json
import random
import uuid as uuidlib
from pathlib import Path

import pytest

from fs_plugins import channel_vars
from fs_plugins.calllog.classify import KINDS, Status, classify
from fs_plugins.calllog.parse import BadCdr, LegFacts, parse_body

CDR_DIR = Path(__file__).parent / "fixtures" / "freeswitch" / "json_cdr"
MANIFEST = json.loads((CDR_DIR / "manifest.json").read_text())

# The manifest's situations, in the words of the status list.
EXPECTED = {
    "outgoing answered": Status.MADE,
    "outgoing answered, json_cdr encode-values=true (module default)": Status.MADE,
    "outgoing to a nonexistent number": Status.WRONG_NUMBER,
    "outgoing blocked by a restriction": Status.RESTRICTED,
    "caller cancels before answer": Status.CANCELLED,
    "incoming answered": Status.RECEIVED,
    "incoming while the user is in do-not-disturb": Status.DND,
    "incoming missed (no answer)": Status.MISSED,
    "incoming rejected (603)": Status.REJECTED,
    "incoming forwarded on no answer": Status.FORWARDED,
    "transferred after answer": Status.TRANSFERRED,
}


def recorded_bodies(name: str) -> list[bytes]:
    """The exact POST bodies of a recorded call, in arrival order."""
    data = json.loads((CDR_DIR / name).read_text())
    by_uuid = {}
    for leg in data["legs"]:
        if "body_raw" in leg:
            raw = leg["body_raw"]
        else:
            raw = json.dumps(leg["body"], separators=(",", ":"), ensure_ascii=False)
        by_uuid[leg["body"]["variables"]["uuid"]] = raw.encode()
    return [by_uuid[u] for u in data["cdr_posts_in_arrival_order"]]


def legs_of(bodies: list[bytes]) -> list[LegFacts]:
    return [parse_body(body) for body in bodies]


def variant(bodies: list[bytes], swaps: dict[str, str], seed: int) -> list[bytes]:
    """The same call with new uuids, the given numbers/users swapped, and every time shifted."""
    text = [body.decode() for body in bodies]
    uuids = {leg.uuid for leg in legs_of(bodies)}
    replacements = {old: str(uuidlib.UUID(int=random.Random(seed + i).getrandbits(128)))
                    for i, old in enumerate(sorted(uuids))}
    replacements.update(swaps)
    replacements["179565"] = "176543"  # every epoch, in seconds and microseconds, moves by the same amount
    for old, new in replacements.items():
        text = [t.replace(old, new) for t in text]
    return [t.encode() for t in text]


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_recorded_call_classifies_as_its_manifest_says(name):
    call = classify(legs_of(recorded_bodies(name)))
    assert call.status is EXPECTED[MANIFEST[name]["situation"]]
    assert call.tenant == "acme.example"


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_the_order_legs_arrive_in_does_not_change_the_result(name):
    legs = legs_of(recorded_bodies(name))
    assert classify(legs) == classify(list(reversed(legs)))


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_the_same_situations_with_other_numbers_users_and_times_classify_the_same(name):
    swaps = {"1001": "2031", "1002": "2047", "1003": "2058", "1004": "2069", "1005": "2070",
             "+14155550": "+34911000", "14155550": "34600111", "15550": "34910", "acme.example": "beta.test"}
    call = classify(legs_of(variant(recorded_bodies(name), swaps, seed=7)))
    assert call.status is EXPECTED[MANIFEST[name]["situation"]]
    assert call.tenant == "beta.test"


def test_a_call_is_not_classified_before_its_a_leg_arrives():
    legs = legs_of(recorded_bodies("incoming_answered.json"))
    assert classify([leg for leg in legs if not leg.is_a_leg]) is None


def test_outgoing_answered_is_one_made_entry_with_ring_and_talk_time():
    call = classify(legs_of(recorded_bodies("outgoing_answered.json")))
    (entry,) = call.entries
    assert (entry.user, entry.kind, entry.status) == ("1001@acme.example", "made", Status.MADE)
    assert (entry.ring_seconds, entry.talk_seconds) == (1, 3)
    assert (call.caller_number, call.callee, call.caller_name) == ("1001", "14155550123", "Alice Acme")


def test_a_call_refused_before_any_b_leg_shows_the_name_the_dialplan_presented():
    call = classify(legs_of(recorded_bodies("outgoing_call_barred.json")))
    assert (call.caller_name, call.caller_number) == ("Alice Acme", "1001")


def test_a_carrier_caller_id_that_is_only_a_number_is_no_name():
    call = classify(legs_of(recorded_bodies("incoming_answered.json")))
    assert (call.caller_name, call.caller_number, call.answered_by) == ("", "+14155550100", "1002")


def test_encode_values_documents_are_url_decoded():
    call = classify(legs_of(recorded_bodies("outgoing_answered_encode_values_true.json")))
    assert call.entries[0].user == "1001@acme.example"
    assert call.caller_name == "Alice Acme"


def test_a_transfer_after_answer_marks_the_transferring_user_and_the_new_callee_receives_it():
    call = classify(legs_of(recorded_bodies("incoming_transferred_after_answer.json")))
    assert [(e.user, e.status) for e in call.entries] == [
        ("1005@acme.example", Status.TRANSFERRED), ("1002@acme.example", Status.RECEIVED)]


def test_the_dialplans_transfer_from_the_did_to_the_user_is_not_a_transfer_after_answer():
    call = classify(legs_of(recorded_bodies("incoming_answered.json")))
    assert [(e.user, e.kind, e.status) for e in call.entries] == [("1002@acme.example", "received", Status.RECEIVED)]


def test_a_forwarded_call_is_missed_by_the_user_and_answered_by_the_forward_target():
    call = classify(legs_of(recorded_bodies("incoming_forward_no_answer.json")))
    assert [(e.user, e.kind) for e in call.entries] == [("1003@acme.example", "missed")]
    assert call.answered_by == "14155550125"


def test_dnd_refused_before_ringing_goes_to_the_extension_the_dialplan_routed_to():
    call = classify(legs_of(recorded_bodies("incoming_dnd_busy.json")))
    assert [(e.user, e.kind, e.status) for e in call.entries] == [("1004@acme.example", "missed", Status.DND)]


# --- cases the recordings do not show, built from minimal legs ---------------------------------

A, B1, B2 = "a-uuid", "b1-uuid", "b2-uuid"
T0 = 1_800_000_000_000_000
S = 1_000_000


def leg(uuid, call_id=A, cause="NORMAL_CLEARING", start=0, answer=None, end=10, pbx=(), **extra) -> LegFacts:
    return LegFacts(
        uuid=uuid, call_id=call_id, direction="inbound" if uuid == call_id else "outbound",
        hangup_cause=cause, start_us=T0 + start * S, answer_us=T0 + answer * S if answer is not None else 0,
        end_us=T0 + end * S, pbx=tuple(sorted(pbx)),
        steps=extra.pop("steps", (("acme.example", "1002"),)), caller_name="", caller_number="600111222",
        **extra,
    )


def internal(*extra_pbx):
    return ((channel_vars.TENANT, "acme.example"), (channel_vars.USER_ID, "1001@acme.example"),
            (channel_vars.CALL_TYPE, "internal"), *extra_pbx)


def user_leg(uuid, ext, **kw):
    return leg(uuid, dialed_user=ext, dialed_domain="acme.example", **kw)


def test_an_internal_answered_call_is_made_for_the_caller_and_received_for_the_callee():
    call = classify([leg(A, answer=2, bridge_us=T0 + 2 * S, pbx=internal()),
                     user_leg(B1, "1002", answer=2, pbx=((channel_vars.USER_ID, "1002@acme.example"),))])
    assert [(e.user, e.kind, e.status) for e in call.entries] == [
        ("1001@acme.example", "made", Status.MADE), ("1002@acme.example", "received", Status.RECEIVED)]


def test_an_internal_call_to_a_user_in_dnd_is_cancelled_busy_for_the_caller_and_dnd_for_the_callee():
    call = classify([leg(A, cause="USER_BUSY", end=0, pbx=internal((channel_vars.DND, "true")))])
    assert [(e.user, e.kind, e.status, e.cause) for e in call.entries] == [
        ("1001@acme.example", "made", Status.CANCELLED, "busy"), ("1002@acme.example", "missed", Status.DND, "")]


@pytest.mark.parametrize("cause, why", [("USER_BUSY", "busy"), ("NO_ANSWER", "no_answer"),
                                        ("CALL_REJECTED", "declined"), ("USER_NOT_REGISTERED", "unreachable")])
def test_an_outgoing_call_never_answered_is_cancelled_with_its_cause_and_no_talk_time(cause, why):
    # The seed's "Cancelado": placed but cancelled before anyone picked up, whoever ended it.
    call = classify([leg(A, cause=cause, pbx=internal()), user_leg(B1, "1002", cause=cause)])
    assert (call.status, call.entries[0].cause, call.entries[0].talk_seconds) == (Status.CANCELLED, why, 0)


def test_an_outgoing_call_barred_by_the_block_variable_alone_is_restricted():
    call = classify([leg(A, cause="NORMAL_CLEARING", pbx=internal((channel_vars.BLOCK_REASON, "premium")))])
    assert call.status is Status.RESTRICTED


@pytest.mark.parametrize("cause", ["NO_ROUTE_DESTINATION", "INVALID_NUMBER_FORMAT"])
def test_other_wrong_number_causes_are_wrong_number(cause):
    assert classify([leg(A, cause=cause, pbx=internal())]).status is Status.WRONG_NUMBER


def test_a_caller_hanging_up_while_an_incoming_call_rings_is_missed_by_the_user():
    call = classify([leg(A, cause="ORIGINATOR_CANCEL", pbx=((channel_vars.TENANT, "acme.example"),)),
                     user_leg(B1, "1002", cause="ORIGINATOR_CANCEL")])
    assert [(e.user, e.status) for e in call.entries] == [("1002@acme.example", Status.MISSED)]


def test_a_user_whose_phone_lost_the_race_gets_no_entry():
    call = classify([leg(A, answer=3, pbx=((channel_vars.TENANT, "acme.example"),)),
                     user_leg(B1, "1002", answer=3), user_leg(B2, "1003", cause="LOSE_RACE", end=3)])
    assert [e.user for e in call.entries] == ["1002@acme.example"]


def test_a_group_call_appears_once_with_the_member_who_answered():
    group = ((channel_vars.TENANT, "acme.example"), (channel_vars.FLOW, "group"), (channel_vars.FLOW_OBJECT, "7"))
    call = classify([leg(A, answer=1, pbx=group, steps=(("acme.example", "600"),)),
                     user_leg(B1, "1002", cause="NO_ANSWER", end=5), user_leg(B2, "1003", start=5, answer=8)])
    assert [(e.user, e.status) for e in call.entries] == [("1003@acme.example", Status.RECEIVED)]
    assert (call.answered_by, call.callee) == ("1003", "600")


def test_an_unanswered_group_call_is_one_missed_entry_of_the_tenant():
    group = ((channel_vars.TENANT, "acme.example"), (channel_vars.FLOW, "group"))
    call = classify([leg(A, pbx=group), user_leg(B1, "1002", cause="NO_ANSWER"),
                     user_leg(B2, "1003", cause="NO_ANSWER")])
    assert [(e.user, e.status) for e in call.entries] == [(None, Status.MISSED)]


def test_an_ivr_answering_then_transferring_to_a_user_is_not_a_transfer_after_answer():
    a_leg = leg(A, answer=0, transfers_us=(T0 + 5 * S,), pbx=((channel_vars.TENANT, "acme.example"),))
    call = classify([a_leg, user_leg(B1, "1002", start=5, answer=7)])
    assert call.status is Status.RECEIVED


def test_a_transfer_by_the_callee_of_an_outgoing_call_marks_the_caller_transferred():
    call = classify([leg(A, answer=2, transfers_us=(T0 + 6 * S,), pbx=internal()),
                     user_leg(B1, "1002", answer=2, end=6)])
    assert call.entries[0].status is Status.TRANSFERRED


def test_dnd_that_forwards_the_call_is_still_do_not_disturb():
    # DND in voicemail or forward-busy mode: the seed's status is "No molestar", not a forward.
    pbx = ((channel_vars.TENANT, "acme.example"), (channel_vars.DND, "true"), (channel_vars.FORWARDED, "dnd"))
    assert classify([leg(A, pbx=pbx)]).status is Status.DND


def test_every_status_has_its_spanish_label_a_colour_and_a_stable_code():
    labels = {s.label for s in Status}
    assert labels == {"Emitido", "Emitido (número equivocado)", "Emitido (restringido)", "Cancelado", "Recibido",
                      "No molestar", "Perdido", "Rechazado", "Remisión sin respuesta", "Transferido"}
    assert all(s.colour.startswith("#") and len(s.colour) == 7 for s in Status)
    assert all(Status.from_code(s.code) is s for s in Status)
    assert KINDS == ("made", "received", "missed")


@pytest.mark.parametrize("body, reason", [
    (b"", "empty"),
    (b"{not json", "not JSON"),
    (b'["a list"]', "variables"),
    (b'{"variables": {"direction": "inbound"}}', "uuid"),
    (b'{"variables": {"uuid": "x;rm -rf"}}', "uuid"),
    (b"\xff\xfe", "UTF-8"),
    (b'{"variables": {"uuid": "abc", "start_uepoch": [1]}}', "start_uepoch"),
    (b'{"variables": {"uuid": "abc"}, "channel_data": []}', "structure"),
])
def test_bodies_that_are_not_cdrs_are_refused_with_a_reason(body, reason):
    with pytest.raises(BadCdr, match=reason):
        parse_body(body)


def test_a_body_whose_uuid_differs_from_the_url_is_refused():
    body = recorded_bodies("outgoing_call_barred.json")[0]
    with pytest.raises(BadCdr, match="differs"):
        parse_body(body, expected_uuid="0a059087-a1c6-49e2-a4b5-1f1659a9c5f6")


def test_the_encode_true_form_body_is_accepted():
    from urllib.parse import quote
    body = recorded_bodies("outgoing_call_barred.json")[0]
    form = b"cdr=" + quote(body.decode()).encode()
    assert parse_body(form, "application/x-www-form-urlencoded") == parse_body(body)


def test_every_pbx_variable_is_kept_sorted_and_no_other_name_however_short():
    names = {"": "empty", "p": "one", "pbx": "three", "pbx_": "bare", "PBX_upper": "no", "xpbx_a": "no",
             "presence_id": "no", "pbx_zeta": "z", "pbx_alpha": "a b", "uuid": "u-1", "direction": "inbound"}
    leg = parse_body(json.dumps({"variables": names}).encode())
    assert leg.pbx == (("pbx_", "bare"), ("pbx_alpha", "a b"), ("pbx_zeta", "z"))


def test_variables_posted_as_json_numbers_read_as_their_text():
    as_text = {"uuid": "u-1", "direction": "inbound", "start_uepoch": "1795658409930638", "end_epoch": "1795658470",
               "hangup_cause": "NORMAL_CLEARING"}
    as_numbers = {**as_text, "start_uepoch": 1795658409930638, "end_epoch": 1795658470}
    leg = parse_body(json.dumps({"variables": as_numbers}).encode())
    assert leg == parse_body(json.dumps({"variables": as_text}).encode())
    assert (leg.start_us, leg.end_us, leg.hangup_cause) == (1795658409930638, 1795658470 * 1_000_000, "NORMAL_CLEARING")


@pytest.mark.parametrize("names, kept", [
    ({"x\npbx_fake": "no", "pbx_real": "r"}, (("pbx_real", "r"),)),  # a name of ours inside another name
    ({"x\npbx_twice": "no", "pbx_twice": "t"}, (("pbx_twice", "t"),)),  # … the same as a real name
    ({"pbx_cut\nshort": "c", "pbx_cut": "k"}, (("pbx_cut", "k"), ("pbx_cut\nshort", "c"))),  # one of ours holds a newline
])
def test_names_holding_a_newline_keep_exactly_the_pbx_variables(names, kept):
    leg = parse_body(json.dumps({"variables": {"uuid": "u-1", "direction": "inbound", **names}}).encode())
    assert leg.pbx == kept


def test_leg_facts_survive_a_round_trip_through_storage():
    for bodies in (recorded_bodies(name) for name in MANIFEST):
        for facts in legs_of(bodies):
            assert LegFacts.from_json(facts.to_json()) == facts


def test_stored_facts_are_written_as_before_whatever_built_them():
    """The stored text of a leg is the same whether its facts were parsed, read back, read back from a
    text in another order or with a field of another version, or made by the constructor: its
    fields in their order (the call log of a leg must not change with how it was filed)."""
    import dataclasses

    from fs_plugins.calllog.parse import _FIELDS

    for body in (body for name in MANIFEST for body in recorded_bodies(name)):
        parsed = parse_body(body)
        made = LegFacts(**{name: getattr(parsed, name) for name in _FIELDS})
        expected = json.dumps(dataclasses.asdict(made), separators=(",", ":"), ensure_ascii=False)
        reordered = json.dumps({"future": 1, **dict(reversed(json.loads(expected).items()))})
        for facts in (parsed, LegFacts.from_json(expected), LegFacts.from_json(reordered)):
            assert facts == made and hash(facts) == hash(made) and repr(facts) == repr(made)
            assert facts.to_json() == expected
            assert list(vars(facts)) == list(_FIELDS)


def test_a_forward_always_to_another_user_is_forwarded_for_the_target_and_received_by_the_other():
    pbx = ((channel_vars.TENANT, "acme.example"), (channel_vars.FORWARDED, "always"))
    call = classify([leg(A, answer=2, pbx=pbx, steps=(("public", "34910001003"), ("acme.example", "1003"))),
                     user_leg(B1, "1004", answer=2)])
    assert [(e.user, e.status) for e in call.entries] == [
        ("1003@acme.example", Status.FORWARDED), ("1004@acme.example", Status.RECEIVED)]
    assert call.status is Status.FORWARDED


def test_a_forward_always_to_an_outside_number_is_forwarded_for_the_target():
    pbx = ((channel_vars.TENANT, "acme.example"), (channel_vars.FORWARDED, "always"))
    call = classify([leg(A, answer=9, pbx=pbx, steps=(("acme.example", "1003"),), end=60),
                     leg(B1, start=1, answer=9, end=60)])
    assert [(e.user, e.status, e.ring_seconds) for e in call.entries] == [("1003@acme.example", Status.FORWARDED, 1)]


def test_an_incoming_call_to_an_unregistered_user_without_a_b_leg_is_missed_by_that_user():
    a_leg = leg(A, cause="USER_NOT_REGISTERED", pbx=((channel_vars.TENANT, "acme.example"),),
                steps=(("public", "34910001002"), ("acme.example", "1002")))
    assert [(e.user, e.status) for e in classify([a_leg]).entries] == [("1002@acme.example", Status.MISSED)]


def test_the_dialplans_target_variable_names_the_user_when_set():
    pbx = ((channel_vars.TENANT, "acme.example"), (channel_vars.TARGET_USER, "1005@acme.example"), (channel_vars.DND, "true"))
    call = classify([leg(A, cause="USER_BUSY", pbx=pbx, steps=(("acme.example", "600"),))])
    assert [(e.user, e.status) for e in call.entries] == [("1005@acme.example", Status.DND)]


def test_odd_callflow_shapes_are_tolerated():
    body = b'{"variables": {"uuid": "abc"}, "callflow": [{"caller_profile": "x", "times": 5}, 7]}'
    assert parse_body(body).steps == (("", ""),)


def test_an_unknown_call_type_value_is_inferred_instead():
    call = classify([leg(A, pbx=((channel_vars.TENANT, "acme.example"), (channel_vars.CALL_TYPE, "x" * 40)))])
    assert call.direction == "inbound"


def test_a_bridge_made_outside_the_dialplan_after_answer_counts_as_a_transfer():
    from fs_plugins.calllog.parse import parse_leg

    # the DID's dialplan transfer (before anyone answered), then a uuid_bridge 4 s later
    history = f"ARRAY::{T0 // S}:x:bl_xfer:1005/acme.example/XML|:{T0 // S + 4}:y:uuid_br:zzz"
    body = {"variables": {"uuid": A, "start_stamp": "2026-11-26 10:00:00", "transfer_history": history}}
    assert parse_leg(body).transfers_us == (T0, T0 + 4 * S)
    a_leg = leg(A, answer=1, pbx=((channel_vars.TENANT, "acme.example"),), transfers_us=(T0, T0 + 4 * S))
    call = classify([a_leg, user_leg(B1, "1005", answer=1, end=4)])
    assert call.entries[0].status is Status.TRANSFERRED


def originated(uuid, ext, **kw) -> LegFacts:
    facts = user_leg(uuid, ext, call_id=uuid, **kw)
    return LegFacts(**{**facts.__dict__, "direction": "outbound"})


def test_a_group_callback_rings_the_member_first_and_is_received_by_the_member():
    group = ((channel_vars.TENANT, "acme.example"), (channel_vars.FLOW, "group"), (channel_vars.USER_ID, "1003@acme.example"))
    member = originated(A, "1003", answer=2, pbx=group)
    call = classify([member, leg(B1, answer=4, end=30)])
    assert [(e.user, e.kind, e.status) for e in call.entries] == [("1003@acme.example", "received", Status.RECEIVED)]
    assert call.answered_by == "1003"


def test_a_prompt_recorded_by_phone_is_in_no_log():
    record = ((channel_vars.TENANT, "acme.example"), (channel_vars.FLOW, "record"), (channel_vars.USER_ID, "1001@acme.example"))
    assert classify([originated(A, "1001", answer=1, pbx=record)]).entries == ()


# --- a call a colleague picked up (*8, **EXT) -------------------------------------------------
# No recorded intercept exists (tests/fixtures/freeswitch/json_cdr has none): these CDRs are what
# FreeSWITCH's source says they carry. switch_ivr_intercept_session answers the caller's leg,
# hangs its ringing legs up with PICKED_OFF and bridges the caller to the picker's own channel
# (another call: its A leg, pbx_flow=pickup, bridged); the pickup flow wrote the picker on the
# ringing leg first (pbx_picked_up_by, uuid_setvar).

def picked_leg(uuid, ext, picker="1003@acme.example", end=4, **kw):
    return user_leg(uuid, ext, cause="PICKED_OFF", end=end, pbx=((channel_vars.PICKED_UP_BY, picker),), **kw)


def test_a_call_picked_up_by_a_colleague_is_received_by_the_picker_and_not_missed_by_the_called_user():
    call = classify([leg(A, answer=4, bridge_us=T0 + 4 * S, end=30, pbx=internal()), picked_leg(B1, "1002")])
    assert [(e.user, e.kind, e.status, e.ring_seconds, e.talk_seconds) for e in call.entries] == [
        ("1001@acme.example", "made", Status.MADE, 4, 26), ("1003@acme.example", "received", Status.RECEIVED, 4, 26)]
    assert call.answered_by == "1003"


def test_an_incoming_call_picked_up_is_the_pickers_and_its_status_is_received():
    incoming = ((channel_vars.TENANT, "acme.example"), (channel_vars.CALL_TYPE, "inbound"))
    call = classify([leg(A, answer=6, end=20, pbx=incoming), picked_leg(B1, "1002", end=6),
                     picked_leg(B2, "1002", end=6)])  # the called user's second phone rang too
    assert [(e.user, e.status) for e in call.entries] == [("1003@acme.example", Status.RECEIVED)]
    assert (call.status, call.answered_by) == (Status.RECEIVED, "1003")


def test_a_group_call_picked_up_is_the_pickers_not_a_missed_call_of_the_tenant():
    group = ((channel_vars.TENANT, "acme.example"), (channel_vars.FLOW, "group"), (channel_vars.FLOW_OBJECT, "7"))
    call = classify([leg(A, answer=1, end=20, pbx=group, steps=(("acme.example", "600"),)),
                     picked_leg(B1, "1002", end=5), user_leg(B2, "1004", cause="PICKED_OFF", end=5)])
    assert [(e.user, e.status) for e in call.entries] == [("1003@acme.example", Status.RECEIVED)]


def test_the_pickers_own_channel_is_no_second_call_unless_nothing_was_picked_up():
    pickup = ((channel_vars.TENANT, "acme.example"), (channel_vars.USER_ID, "1003@acme.example"),
              (channel_vars.FLOW, "pickup"), (channel_vars.FLOW_OBJECT, "1002"))
    taken = classify([leg(A, answer=4, bridge_us=T0 + 4 * S, end=30, pbx=pickup, steps=(("acme.example", "**1002"),))])
    assert taken.entries == ()
    nothing = classify([leg(A, answer=1, end=5, pbx=pickup, steps=(("acme.example", "**1002"),))])
    assert [(e.user, e.kind) for e in nothing.entries] == [("1003@acme.example", "made")]


def test_a_picker_of_another_tenant_written_on_a_leg_is_not_believed():
    call = classify([leg(A, answer=4, end=30, pbx=internal()), picked_leg(B1, "1002", picker="2001@globex.example")])
    assert ("2001@globex.example" not in [e.user for e in call.entries]
            and ("1002@acme.example", Status.MISSED) in [(e.user, e.status) for e in call.entries])
