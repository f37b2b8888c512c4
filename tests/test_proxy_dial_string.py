"""With Kamailio in front (config sip_proxy) phones register there, so the directory tells FreeSWITCH to reach
a user through the proxy; without it, through FreeSWITCH's own registrations (sofia_contact)."""
from __future__ import annotations

import pytest

from fs_plugins.config import Config, load_config
from fs_plugins.errors import InvalidInput
from tests import provision
from tests.test_xml_curl import post, recorded
from xml_curl.app import make_app

DIAL_STRING_XPATH = "//domain/params/param[@name='dial-string']/@value"
VARIABLES = ("{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}"
             ":pbx_leg_user=${dialed_user}@${dialed_domain}}")  # whose leg it is, for the busy state


@pytest.fixture
def acme(db):
    provision.user(provision.tenant("Acme", "acme.example"), "1001", "Ana", password="acme-1001-pw")


def user_call(app):
    return post(app, {"section": "directory", "action": "user_call", "user": "1001", "domain": "acme.example",
                      "key": "id", "key_value": "acme.example"})


def test_without_a_proxy_freeswitch_finds_the_phone_in_its_own_registrations(db, acme):
    assert user_call(make_app(Config(), db)).xpath(DIAL_STRING_XPATH) == [
        VARIABLES + "${sofia_contact(*/${dialed_user}@${dialed_domain})}"]


def test_with_kamailio_in_front_calls_to_a_user_go_through_the_proxy(db, acme):
    app = make_app(Config(sip_proxy="10.0.0.5:5060"), db)
    expected = VARIABLES + "sofia/internal/${dialed_user}@${dialed_domain};fs_path=sip:10.0.0.5:5060%3Blr"
    assert user_call(app).xpath(DIAL_STRING_XPATH) == [expected]
    assert recorded(app, "01_startup_fetches.json", 0).xpath(DIAL_STRING_XPATH) == [expected]


@pytest.mark.parametrize("value", ["10.0.0.5:5060;transport=tcp", "${sofia_contact(x)}", "proxy example", ":5060",
                                   "10.0.0.5:5060,sip:evil", "10.0.0.5:0", "[2001:db8::5]:70000"])
def test_a_sip_proxy_that_is_no_host_and_port_is_refused_naming_the_setting(value):
    with pytest.raises(InvalidInput) as refused:
        load_config(environ={"CENTRALITA_SIP_PROXY": value})
    assert refused.value.field == "sip_proxy"


@pytest.mark.parametrize("value", ["10.0.0.5", "sip.pbx.example.net:5060", "[2001:db8::5]:5060"])
def test_host_names_and_addresses_with_or_without_port_are_accepted(value):
    assert load_config(environ={"CENTRALITA_SIP_PROXY": value}).sip_proxy == value
