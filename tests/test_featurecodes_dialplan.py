"""Feature codes in the dialplan the xml_curl handler serves (XPath on the XML), from the recorded
INVITE of user 1001 re-aimed at each code: the tenant's own table, its users only, no call of
another tenant, nothing user-typed reaching FreeSWITCH unchecked."""
from __future__ import annotations

import pytest

from fs_plugins.callhandling import app as callhandling
from fs_plugins.config import Config
from fs_plugins.featurecodes import app as featurecodes
from tests import provision
from tests.provision import OPERATOR
from tests.test_xml_curl import actions, dialplan_fields, post
from xml_curl.app import make_app


@pytest.fixture
def app(db):
    acme = provision.tenant("Acme", "acme.example", "Europe/Madrid", "es", "ES")
    globex = provision.tenant("Globex", "globex.example", "Europe/Madrid", "en", "ES")
    for ext in ("1001", "1002", "1003"):
        provision.user(acme, ext, f"User {ext}", password=f"acme-{ext}-pw")
    provision.user(globex, "1002", "Gina", password="globex-1002-pw")
    return make_app(Config(), db)


def dial(app, destination, context="acme.example", caller="1001@acme.example"):
    return post(app, dialplan_fields(context=context, destination=destination, variable_pbx_user_id=caller))


def test_dnd_on_hands_the_call_to_the_featurecode_flow_in_the_tenants_language(app):
    doc = dial(app, "*78")
    assert doc.xpath("//context/@name") == ["acme.example"]
    steps = actions(doc)
    assert ("set", "pbx_flow=featurecode") in steps and ("set", "pbx_flow_object=dnd_on") in steps
    assert ("set", "default_language=es") in steps
    assert [app_ for app_, _ in steps][-2:] == ["socket", "hangup"]


def test_forward_always_carries_the_dialled_number_to_the_flow(app):
    steps = actions(dial(app, "*72600123456"))
    assert ("set", "pbx_feature_argument=600123456") in steps
    assert ("set", "pbx_flow_object=forward_always_on") in steps


@pytest.mark.parametrize("dialled", ["*7", "*72", "*72*9", "*999", "#"])
def test_an_unknown_code_or_a_bad_argument_gets_the_invalid_entry_prompt_and_no_flow(app, dialled):
    doc = dial(app, dialled)
    steps = actions(doc)
    assert ("playback", "ivr/ivr-that_was_an_invalid_entry.wav") in steps
    assert ("set", "pbx_flow=featurecode") in steps  # in no call log
    assert not any(app_ in ("socket", "bridge") for app_, _ in steps)


@pytest.mark.parametrize("hostile", ["*72${system(rm)}", "*78\r\nX", "*72,user/1002@globex.example", "*72$${x}"])
def test_hostile_dialled_numbers_get_the_invalid_entry_prompt_and_never_reach_freeswitch(app, hostile):
    doc = dial(app, hostile)
    steps = actions(doc)
    assert ("playback", "ivr/ivr-that_was_an_invalid_entry.wav") in steps
    assert not any("${" in data or "globex" in data or "\n" in data for _, data in steps)
    assert not any(app_ in ("socket", "bridge") for app_, _ in steps)
    assert doc.xpath("//extension/@name") == ["call"]  # the junk is not even the extension's name


def test_a_tenants_changed_code_is_served_at_once_and_the_old_one_is_unknown(app):
    assert ("set", "pbx_flow_object=dnd_on") in actions(dial(app, "*78"))
    featurecodes.set_code(OPERATOR, "acme.example", "dnd_on", "*4")
    assert ("set", "pbx_flow_object=dnd_on") in actions(dial(app, "*4"))
    assert ("playback", "ivr/ivr-that_was_an_invalid_entry.wav") in actions(dial(app, "*78"))
    globex = actions(dial(app, "*78", context="globex.example", caller="1002@globex.example"))
    assert ("set", "pbx_flow_object=dnd_on") in globex


@pytest.mark.parametrize("caller", ["", "1002@globex.example", "+34600111222"])
def test_a_caller_who_is_not_a_user_of_the_context_has_no_codes(app, caller):
    assert actions(dial(app, "*78", caller=caller))[-1] == ("hangup", "UNALLOCATED_NUMBER")


def test_voicemail_codes_check_the_callers_box_or_ask_for_one(app):
    assert ("voicemail", "check default acme.example 1001") in actions(dial(app, "*97"))
    assert ("voicemail", "check default acme.example") in actions(dial(app, "*98"))


def test_intercom_rings_a_colleague_of_the_same_tenant_with_auto_answer(app):
    steps = actions(dial(app, "*801002"))
    bridges = [data for app_, data in steps if app_ == "bridge"]
    assert len(bridges) == 1 and bridges[0].endswith("]user/1002@acme.example")
    assert "answer-after=0" in bridges[0] and "info=alert-autoanswer" in bridges[0]
    assert ("set", "pbx_call_type=internal") in steps


def test_intercom_to_an_unknown_extension_is_refused_and_never_crosses_tenants(app):
    steps = actions(dial(app, "*801009"))
    assert ("playback", "ivr/ivr-that_was_an_invalid_entry.wav") in steps
    assert not any("globex" in data for _, data in actions(dial(app, "*801002", context="acme.example")))


def test_intercom_to_a_colleague_in_dnd_is_busy(app):
    callhandling.set_dnd(OPERATOR, "acme.example", "1002", True)
    steps = actions(dial(app, "*801002"))
    assert steps[-1] == ("hangup", "USER_BUSY") and not any(a == "bridge" for a, _ in steps)


# --- paging a group (*81 and the group's short number) ------------------------------------------

@pytest.fixture
def paging(app):
    acme, globex = provision.find_tenant("acme.example"), provision.find_tenant("globex.example")
    provision.user(acme, "1004", "In DND", password="acme-1004-pw")
    provision.group(acme, "Almacén", ("1001", "1002", "1003", "1004"), short_number="600")
    provision.group(globex, "Ventas", ("1002",), short_number="600")
    provision.group(acme, "Solo", ("1001",), short_number="601")
    callhandling.set_dnd(OPERATOR, "acme.example", "1004", True)
    return app


def test_a_group_page_is_a_conference_every_member_joins_muted_answering_by_itself(paging):
    uuid = "2f0e6c1a-58a0-4bd6-9d1c-6a4c2b1e0a11"
    steps = actions(post(paging, dialplan_fields(destination="*81600", variable_pbx_user_id="1001@acme.example",
                                                 **{"Unique-ID": uuid, "Caller-Unique-ID": uuid})))
    outcalls = [data for app_, data in steps if app_ == "conference_set_auto_outcall"]
    # the caller and the member in do-not-disturb are not paged; Globex's 600 is another group
    assert [dial.rsplit("]", 1)[1] for dial in outcalls] == ["user/1002@acme.example", "user/1003@acme.example"]
    assert all("answer-after=0" in dial and "info=alert-autoanswer" in dial for dial in outcalls)
    assert ("set", "conference_utils_auto_outcall_flags=mute") in steps
    assert ("set", "conference_auto_outcall_delimiter=|") in steps and not any("|" in d for d in outcalls)
    assert ("conference", f"page-{uuid}@default+flags{{endconf}}") in steps
    assert not any("globex" in data for _, data in steps)


@pytest.mark.parametrize("dialled, caller, expected", [
    ("*81699", "1001@acme.example", ("playback", "ivr/ivr-that_was_an_invalid_entry.wav")),  # no such group
    ("*815000", "1001@acme.example", ("playback", "ivr/ivr-that_was_an_invalid_entry.wav")),  # not a group
    ("*81601", "1001@acme.example", ("hangup", "USER_BUSY")),  # nobody but the caller
    ("*81600", "1002@globex.example", None),  # Globex's own 600: its 1002 is the caller, nobody else
])
def test_a_page_to_no_group_or_nobody_reachable_pages_nobody(paging, dialled, caller, expected):
    context = caller.partition("@")[2]
    provision.menu(provision.find_tenant("acme.example"), "Recepción", short_number="5000", direct_dial=True)
    steps = actions(post(paging, dialplan_fields(context=context, destination=dialled, variable_pbx_user_id=caller)))
    assert not any(app_ in ("conference", "conference_set_auto_outcall") for app_, _ in steps)
    if expected:
        assert expected in steps
