"""`centralita device add|list|remove` on a database file, and /provision through the web server's
mounts (the phone's side of `serve`)."""
from __future__ import annotations

import base64
import re

import pytest

from fs_plugins.cli import main
from fs_plugins.config import Config
from fs_plugins.web import make_web_app
from tests import provision
from tests.wsgi import call


@pytest.fixture
def acme(db, db_url, monkeypatch):
    """Acme with users 1001 to 1003, and the CLI pointed at its database."""
    owner = provision.tenant("Acme", "acme.example")
    for ext in ("1001", "1002", "1003"):
        provision.user(owner, ext, f"User {ext}")
    monkeypatch.setenv("CENTRALITA_DATABASE_URL", db_url)
    return owner


def test_device_commands_add_list_and_remove_and_the_web_server_serves_the_file(acme, capsys):
    add = ["device", "add", "--tenant", "acme.example", "80:5E:C0:12:34:56", "--vendor", "yealink",
           "--user", "1001", "--blf", "1002"]
    assert main(add) == 0
    out = capsys.readouterr().out
    secret = re.search(r"provisioning password \(shown once\): (\S+)", out).group(1)
    assert "/provision/yealink/" in out and "805ec0123456.cfg" in out
    assert main(["device", "list", "--tenant", "acme.example"]) == 0
    listed = capsys.readouterr().out
    assert "805ec0123456" in listed and "1002" in listed and secret not in listed
    web = make_web_app(Config())
    token = base64.b64encode(f"805ec0123456:{secret}".encode()).decode()
    status, _, body = call(web, method="GET", path="/provision/yealink/805ec0123456.cfg",
                           headers={"Authorization": f"Basic {token}", "Host": "pbx.example.net"})
    assert status == 200 and b"account.1.user_name = 1001" in body
    assert main(["device", "remove", "--tenant", "acme.example", "805ec0123456"]) == 0
    status, _, _ = call(web, method="GET", path="/provision/yealink/805ec0123456.cfg",
                        headers={"Authorization": f"Basic {token}"})
    assert status == 404


def test_device_set_changes_the_keys_and_a_bad_key_exits_non_zero_naming_it_with_nothing_stored(acme, capsys):
    from fs_plugins.models.provisioning import Device
    assert main(["device", "add", "--tenant", "acme.example", "00:1e:13:00:00:01", "--vendor", "cisco",
                 "--user", "1001", "--blf", "1002"]) == 0
    capsys.readouterr()
    assert main(["device", "set", "--tenant", "acme.example", "001e13000001", "--blf", "1003,1002",
                 "--general-voicemail", "on"]) == 0
    assert "busy lamps 1003,1002; general voicemail lamp on" in capsys.readouterr().out
    assert main(["device", "set", "--tenant", "acme.example", "001e13000001", "--blf", "1002,9999"]) != 0
    assert "blf" in capsys.readouterr().err
    assert main(["device", "list", "--tenant", "acme.example"]) == 0
    assert re.search(r"001e13000001\s+cisco\s+1001\s+1003,1002\s+on", capsys.readouterr().out)
    assert (Device.get().blf, Device.get().general_mwi) == ("1003,1002", True)


def test_device_set_gives_the_phone_to_another_user_and_vendor_and_refuses_a_user_with_a_phone(acme, capsys):
    from fs_plugins.models.provisioning import Device
    for mac, user in (("00:1e:13:00:00:01", "1001"), ("00:1e:13:00:00:02", "1002")):
        assert main(["device", "add", "--tenant", "acme.example", mac, "--vendor", "cisco", "--user", user]) == 0
    capsys.readouterr()
    assert main(["device", "set", "--tenant", "acme.example", "001e13000001", "--user", "1002"]) != 0
    assert "user 1002 already has a provisioned phone" in capsys.readouterr().err
    assert main(["device", "set", "--tenant", "acme.example", "001e13000001", "--user", "1003",
                 "--vendor", "yealink"]) == 0
    out = capsys.readouterr().out
    assert "phone 001e13000001 (yealink) for user 1003" in out and "001e13000001.cfg" in out
    secret = re.search(r"provisioning password \(shown once; give it to the phone\): (\S+)", out).group(1)
    assert [(d.mac, d.user.extension, d.vendor) for d in Device.select().order_by(Device.mac)] == [
        ("001e13000001", "1003", "yealink"), ("001e13000002", "1002", "cisco")]
    token = base64.b64encode(f"001e13000001:{secret}".encode()).decode()
    status, _, body = call(make_web_app(Config()), method="GET", path="/provision/yealink/001e13000001.cfg",
                           headers={"Authorization": f"Basic {token}", "Host": "pbx.example.net"})
    assert status == 200 and b"account.1.user_name = 1003" in body
