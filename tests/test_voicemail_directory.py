"""mod_voicemail fed by the xml_curl directory: a user's box params on every user document (the
entry FreeSWITCH caches serves voicemail too), the tenant's general box, and no clear PIN."""
from __future__ import annotations

from urllib.parse import urlencode

import pytest
from lxml import etree

from fs_plugins.config import Config
from fs_plugins.errors import InvalidInput
from fs_plugins.voicemail import app as vm_app
from fs_plugins.voicemail import boxes as voicemail
from tests.wsgi import call
from xml_curl.app import make_app
from tests import provision

D = "acme.example"


@pytest.fixture
def pbx(db):
    acme = provision.tenant("Acme", D, "Europe/Madrid", "es", "ES")
    provision.user(acme, "1001", "Ana", password="secret-1001-pw")
    provision.user(acme, "1002", "Bob", password="secret-1002-pw")
    return acme


@pytest.fixture
def app(db, pbx):
    return make_app(Config(directory_cache_ms=60000), db)


def lookup(app, user, action="voicemail-lookup"):
    body = urlencode({"section": "directory", "tag_name": "domain", "key_name": "name", "key_value": D,
                      "action": action, "user": user, "domain": D, "key": "id"}).encode()
    status, _headers, data = call(app, body)
    assert status == 200
    return etree.fromstring(data)


def params(doc) -> dict:
    return dict(zip(doc.xpath("//user/params/param/@name"), doc.xpath("//user/params/param/@value")))


def test_a_users_box_settings_reach_mod_voicemail_with_the_pin_only_as_a_hash(app, pbx):
    vm_app.set_box(provision.OPERATOR, D, "1001", pin="2468", email="ana@acme.example", attach=True, keep=False)
    found = params(lookup(app, "1001", action="sip_auth"))  # the cached entry serves voicemail too
    assert found["vm-a1-hash"] == voicemail.pin_hash("1001", D, "2468")
    assert found["vm-mailto"] == "ana@acme.example" and found["vm-attach-file"] == "true"
    assert found["vm-keep-local-after-email"] == "false" and found["vm-email-all-messages"] == "true"
    assert "a1-hash" in found and "2468" not in etree.tostring(lookup(app, "1001")).decode()


def test_a_user_without_a_box_row_has_no_voicemail_params(app):
    assert set(params(lookup(app, "1002"))) == {"a1-hash"}


def test_a_disabled_box_says_so(app, pbx):
    vm_app.set_box(provision.OPERATOR, D, "1002", enabled=False)
    assert params(lookup(app, "1002"))["vm-enabled"] == "false"


def test_the_general_box_is_a_voicemail_only_user_that_can_never_register(app, pbx):
    assert lookup(app, "general").xpath("//result[@status='not found']")
    vm_app.set_box(provision.OPERATOR, D, None, email="office@acme.example")
    doc = lookup(app, "general")
    user = doc.xpath("//user[@id='general']")[0]
    assert user.get("cacheable") is None and "a1-hash" not in params(doc)
    assert params(doc)["vm-mailto"] == "office@acme.example"
    assert lookup(app, "general", action="message-count").xpath("//user[@id='general']")
    assert lookup(app, "general", action="sip_auth").xpath("//result[@status='not found']")


def test_an_email_that_could_expand_in_freeswitch_is_refused(pbx):
    with pytest.raises(InvalidInput) as error:
        vm_app.set_box(provision.OPERATOR, D, "1001", email="a${system}@acme.example")
    assert error.value.field == "email"
