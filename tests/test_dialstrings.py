"""Dial strings are built in one place, and nothing typed can add a leg or a variable."""
from __future__ import annotations

import pytest

from fs_plugins import dialstrings
from fs_plugins.errors import InvalidInput


def test_a_user_rings_every_registered_phone_and_a_number_goes_through_the_gateway_template():
    assert dialstrings.user("1001", "acme.example") == "user/1001@acme.example"
    assert dialstrings.gateway("sofia/gateway/carrier/{digits}", "+34911234567") == "sofia/gateway/carrier/34911234567"
    assert dialstrings.gateway("sofia/external/{e164}@sip.example", "+34911234567") == (
        "sofia/external/+34911234567@sip.example")


def test_variables_wrap_one_leg_or_the_whole_call():
    dial = dialstrings.user("1002", "acme.example")
    assert dialstrings.with_leg_variables({}, dial) == dial
    assert dialstrings.with_leg_variables({"leg_timeout": 20, "leg_delay_start": 5}, dial) == (
        "[leg_timeout=20,leg_delay_start=5]user/1002@acme.example")
    assert dialstrings.with_call_variables({"pbx_flow": "record"}, dial) == "{pbx_flow=record}user/1002@acme.example"


@pytest.mark.parametrize("target", ["user/1001@a.example,user/1002@a.example", "user/1001@a.example|x",
                                    "[x=1]user/1001@a.example", "user/1001@a.example ${api}", "", "a\r\nb"])
def test_a_leg_that_would_add_legs_variables_or_expansions_is_refused(target):
    with pytest.raises(InvalidInput):
        dialstrings.leg(target)


@pytest.mark.parametrize("variables", [{"x": "a,b"}, {"x": "a]user/9"}, {"x": "${api}"}, {"x y": "1"},
                                       {"x": "it's"}, {"x": "a\nb"}])
def test_a_variable_that_would_break_out_of_its_brackets_is_refused(variables):
    with pytest.raises(InvalidInput):
        dialstrings.with_leg_variables(variables, "user/1001@a.example")
