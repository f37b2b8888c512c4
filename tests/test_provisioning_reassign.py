"""Giving a provisioned phone to another user or vendor (change_device), on both engines: the phone
gets a new secret and the new user the SIP password derived from it, the previous user a new one
nobody is shown (the phone no longer registers as them), both are flushed; a vendor change keeps
the secret; bad input is refused naming the field with nothing stored; other tenants see nothing."""
from __future__ import annotations

import pytest

from fs_plugins.access.principal import TENANT_ADMIN, Principal
from fs_plugins.application import AppContext
from fs_plugins.config import Config
from fs_plugins.core.app import a1_hash
from fs_plugins.errors import Conflict, InvalidInput, NotFound
from fs_plugins.models import User
from fs_plugins.models.provisioning import Device
from fs_plugins.provisioning import app
from fs_plugins.provisioning.served import make_provisioning_app
from tests import provision
from tests.provision import OPERATOR
from tests.test_core_app import RecordingFreeswitch
from tests.test_provisioning import get

MAC = "80:5e:c0:12:34:56"
FILE = "/provision/yealink/805ec0123456.cfg"


@pytest.fixture
def acme(db):
    owner = provision.tenant("Acme", "acme.example")
    for extension in ("1001", "1002", "1003", "1004"):
        provision.user(owner, extension, f"User {extension}")
    provision.user(provision.tenant("Globex", "globex.example"), "2001", "Gina")
    return owner


def a1(owner, extension: str) -> str:
    return User.get(User.tenant == owner, User.extension == extension).a1_hash


def stored() -> list[tuple]:
    return [(d.user.extension, d.vendor, d.blf, d.secret_digest) for d in Device.select()]


def test_a_phone_given_to_another_user_registers_as_them_and_no_longer_as_the_previous_user(acme):
    old = app.add_device(OPERATOR, "acme.example", MAC, "yealink", "1001", blf=("1003",)).value
    freeswitch = RecordingFreeswitch()
    ctx = AppContext.operator(origin="test", freeswitch=freeswitch)
    before = a1(acme, "1001")
    done = app.change_device(ctx, "acme.example", MAC, user="1002")
    new = done.value
    assert (new.device.user, new.device.blf) == ("1002", ("1003",)) and new.secret and new.secret != old.secret
    assert a1(acme, "1002") == a1_hash("1002", "acme.example", app.sip_password(new.secret))
    assert a1(acme, "1001") not in (before, a1_hash("1001", "acme.example", app.sip_password(new.secret)))
    assert sorted(freeswitch.flushed) == [("1001", "acme.example"), ("1002", "acme.example")]
    assert done.freeswitch.entries == ("1001@acme.example", "1002@acme.example")
    server = make_provisioning_app(Config())
    assert get(server, FILE, "805ec0123456", old.secret)[0].startswith("404")  # the old secret is gone
    status, _, body = get(server, FILE, "805ec0123456", new.secret)
    assert status.startswith("200") and b"account.1.user_name = 1002" in body


def test_a_vendor_change_keeps_the_secret_and_the_sip_password(acme):
    old = app.add_device(OPERATOR, "acme.example", MAC, "yealink", "1001").value
    before = a1(acme, "1001")
    done = app.change_device(OPERATOR, "acme.example", MAC, vendor="snom").value
    assert (done.device.vendor, done.device.file, done.secret) == ("snom", "805EC0123456.xml", "")
    assert a1(acme, "1001") == before
    server = make_provisioning_app(Config())
    assert get(server, "/provision/snom/805EC0123456.xml", "805ec0123456", old.secret)[0].startswith("200")
    assert get(server, FILE, "805ec0123456", old.secret)[0].startswith("404")
    same = app.change_device(OPERATOR, "acme.example", MAC, user="1001").value  # its own user: nothing changes
    assert same.secret == "" and a1(acme, "1001") == before


@pytest.mark.parametrize("kwargs, error, field", [
    ({"user": "1002"}, Conflict, "user"),  # 1002 has a phone already
    ({"user": "9999"}, NotFound, "user"),
    ({"user": "2001"}, NotFound, "user"),  # globex's
    ({"user": "1003"}, InvalidInput, "blf"),  # the new user's own busy lamp
    ({"user": "1004", "blf": ("2001",)}, NotFound, "blf"),
    ({"vendor": "polycom", "user": "1004"}, InvalidInput, "vendor"),
])
def test_a_bad_change_is_refused_naming_the_field_and_nothing_is_stored(acme, kwargs, error, field):
    app.add_device(OPERATOR, "acme.example", MAC, "yealink", "1001", blf=("1003",))
    app.add_device(OPERATOR, "acme.example", "00:04:13:aa:bb:cc", "snom", "1002")
    before, passwords = stored(), [a1(acme, ext) for ext in ("1001", "1002", "1003", "1004")]
    with pytest.raises(error) as refused:
        app.change_device(OPERATOR, "acme.example", MAC, **kwargs)
    assert refused.value.field == field
    if error is Conflict:
        assert "1002" in str(refused.value)
    assert stored() == before and [a1(acme, ext) for ext in ("1001", "1002", "1003", "1004")] == passwords


def test_another_tenants_admin_cannot_give_a_phone_away(acme):
    app.add_device(OPERATOR, "acme.example", MAC, "yealink", "1001")
    rival = provision.find_tenant("globex.example")
    admin = AppContext(Principal(TENANT_ADMIN, rival.id, rival.domain), Config())
    with pytest.raises(NotFound):
        app.change_device(admin, "acme.example", MAC, user="1002")
    with pytest.raises(NotFound):
        app.change_device(admin, "globex.example", MAC, user="2001")  # not a phone of globex's
    assert [row[0] for row in stored()] == ["1001"]
