"""Phone auto-provisioning: devices by MAC (bad input refused naming the field, nothing stored),
the files over HTTP with per-device credentials (401 challenge, 404 for anything not the phone's
own file, 429 after repeated failures), each vendor's file well formed with the SIP account, the
phonebook, language, time zone, busy-lamp and feature-code keys, and hostile names harmless."""
from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from lxml import etree

from fs_plugins.access.principal import TENANT_ADMIN, USER, Principal
from fs_plugins.application import AppContext
from fs_plugins.config import Config
from fs_plugins.core.app import a1_hash
from fs_plugins.errors import Conflict, Forbidden, InvalidInput, NotFound
from fs_plugins.models import User
from fs_plugins.models.provisioning import Device
from fs_plugins.provisioning import app
from fs_plugins.provisioning.served import make_provisioning_app
from tests import provision
from tests.provision import OPERATOR

HOSTILE = 'Ana "x" </user_pass><user_pass>leak & \r\nlinekey.9.value = 666 ${system(id)}'
MAC_A, MAC_B = "80:5e:c0:12:34:56", "00-04-13-AA-BB-CC"


@pytest.fixture
def acme(db):
    owner = provision.tenant("Acme", "acme.example", "Europe/Madrid", "es", "ES")
    globex = provision.tenant("Globex", "globex.example", "America/New_York", "en", "US")
    provision.user(owner, "1001", "Ana")
    # What the portal refuses on input (${, line breaks) may still be in a row edited behind its back.
    User.update(display_name=HOSTILE).where(User.tenant == owner, User.extension == "1001").execute()
    provision.user(owner, "1002", "Bruno <b>")
    provision.user(owner, "1003", "Carla")
    provision.user(globex, "2001", "Gina")
    return owner


def get(server, path, user=None, password=None, address="203.0.113.7"):
    """(status line, headers, body) of a phone's GET from `address` with Basic credentials if given."""
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "REMOTE_ADDR": address, "HTTP_HOST": "pbx.example.net",
               "wsgi.url_scheme": "http"}
    if user is not None:
        environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    answer = {}
    body = b"".join(server(environ, lambda status, headers: answer.update(status=status, headers=headers)))
    return answer["status"], answer["headers"], body


@pytest.mark.parametrize("kwargs, field", [
    ({"mac": "80:5e:c0:12:34", "vendor": "yealink", "user": "1001"}, "mac"),
    ({"mac": "01:00:5e:00:00:01", "vendor": "yealink", "user": "1001"}, "mac"),  # multicast
    ({"mac": MAC_A, "vendor": "polycom", "user": "1001"}, "vendor"),
    ({"mac": MAC_A, "vendor": "yealink", "user": "9999"}, "user"),
    ({"mac": MAC_A, "vendor": "yealink", "user": "2001"}, "user"),  # globex's
    ({"mac": MAC_A, "vendor": "yealink", "user": "1001", "blf": ("1001",)}, "blf"),
    ({"mac": MAC_A, "vendor": "yealink", "user": "1001", "blf": ("2001",)}, "blf"),
    ({"mac": MAC_A, "vendor": "yealink", "user": "1001", "blf": ("12${x}",)}, "blf"),
])
def test_a_bad_device_is_refused_naming_the_field_and_nothing_changes(acme, kwargs, field):
    before = User.get(User.extension == "1001", User.tenant == acme).a1_hash
    with pytest.raises((InvalidInput, NotFound)) as refused:
        app.add_device(OPERATOR, "acme.example", **kwargs)
    assert refused.value.field == field
    assert Device.select().count() == 0
    assert User.get(User.extension == "1001", User.tenant == acme).a1_hash == before


def test_one_phone_per_mac_and_per_user_and_only_admins_add_them(acme):
    app.add_device(OPERATOR, "acme.example", MAC_A, "yealink", "1001")
    with pytest.raises(Conflict) as taken:
        app.add_device(OPERATOR, "acme.example", "80-5E-C0-12-34-56", "snom", "1002")
    assert taken.value.field == "mac"
    with pytest.raises(Conflict):
        app.add_device(OPERATOR, "acme.example", MAC_B, "snom", "1001")
    user = AppContext(Principal(USER, acme.id, acme.domain, provision.find_user(acme, "1002").id, "1002"), Config())
    with pytest.raises(Forbidden):
        app.add_device(user, "acme.example", MAC_B, "snom", "1002")
    rival = provision.find_tenant("globex.example")
    with pytest.raises(NotFound):
        app.list_devices(AppContext(Principal(TENANT_ADMIN, rival.id, rival.domain), Config()), "acme.example")


def test_the_sip_password_in_the_file_is_the_users_and_is_stored_nowhere(acme):
    done = app.add_device(OPERATOR, "acme.example", MAC_A, "yealink", "1001", blf=("1002", "1003")).value
    server = make_provisioning_app(Config())
    status, _, body = get(server, "/provision/yealink/805ec0123456.cfg", "805ec0123456", done.secret)
    assert status.startswith("200")
    password = re.search(rb"^account\.1\.password = (\S+)$", body, re.M).group(1).decode()
    row = User.get(User.extension == "1001", User.tenant == acme)
    assert row.a1_hash == a1_hash("1001", "acme.example", password)
    stored = " ".join(str(v) for v in Device.select().dicts().get().values())
    assert password not in stored and done.secret not in stored


def test_without_credentials_a_phone_is_challenged_and_a_wrong_or_foreign_one_gets_404(acme):
    mine = app.add_device(OPERATOR, "acme.example", MAC_A, "yealink", "1001").value
    other = app.add_device(OPERATOR, "acme.example", MAC_B, "snom", "1002").value
    server = make_provisioning_app(Config())
    status, headers, _ = get(server, "/provision/yealink/805ec0123456.cfg")
    assert status.startswith("401") and "Basic" in dict(headers)["WWW-Authenticate"]
    for path, user, secret in (
            ("/provision/yealink/805ec0123456.cfg", "805ec0123456", "wrong"),
            ("/provision/yealink/805ec0123456.cfg", "000413aabbcc", other.secret),  # another phone's credentials
            ("/provision/snom/000413AABBCC.xml", "805ec0123456", mine.secret),  # another phone's file
            ("/provision/snom/805EC0123456.xml", "805ec0123456", mine.secret),  # its MAC, another vendor's file
            ("/provision/yealink/001122334455.cfg", "001122334455", mine.secret)):  # a MAC nobody has
        assert get(server, path, user, secret)[0].startswith("404"), path
    assert get(server, "/provision/snom/000413AABBCC.xml", "000413aabbcc", other.secret)[0].startswith("200")


def test_mac_guessing_is_refused_with_429_after_ten_failures_from_one_address(acme, caplog):
    done = app.add_device(OPERATOR, "acme.example", MAC_A, "yealink", "1001").value
    server = make_provisioning_app(Config())
    for n in range(10):
        assert get(server, f"/provision/yealink/{n:012x}.cfg", f"{n:012x}", "guess")[0].startswith("404")
    status, headers, _ = get(server, "/provision/yealink/805ec0123456.cfg", "805ec0123456", done.secret)
    assert status.startswith("429") and int(dict(headers)["Retry-After"]) > 0
    assert get(server, "/provision/yealink/805ec0123456.cfg", "805ec0123456", done.secret,
               address="198.51.100.9")[0].startswith("200")
    assert "provisioning: yealink/000000000003.cfg refused to 203.0.113.7" in caplog.text


def files(acme) -> dict[str, bytes]:
    server = make_provisioning_app(Config())
    found = {}
    for mac, vendor, user, path in ((MAC_A, "yealink", "1001", "805ec0123456.cfg"),
                                    ("00:0b:82:00:00:01", "grandstream", "1002", "cfg000b82000001.xml"),
                                    ("00:04:13:00:00:01", "snom", "1003", "000413000001.xml")):
        secret = app.add_device(OPERATOR, "acme.example", mac, vendor, user, blf=("1001",) if user != "1001"
                                else ("1002",)).value.secret
        status, _, body = get(server, f"/provision/{vendor}/{path}", mac.replace(":", ""), secret)
        assert status.startswith("200"), body
        found[vendor] = body
    Device.delete().execute()
    secret = app.add_device(OPERATOR, "acme.example", "00:1e:13:00:00:01", "cisco", "1001",
                            blf=("1002",)).value.secret
    found["cisco"] = get(server, "/provision/cisco/spa001e13000001.xml", "001e13000001", secret)[2]
    return found


def test_every_vendors_file_is_well_formed_and_says_what_the_phone_needs(acme):
    found = files(acme)
    yealink = found["yealink"].decode()
    assert yealink.startswith("#!version:1.0.0.1\n")
    lines = [line for line in yealink.splitlines() if line and not line.startswith("#")]
    assert all(re.match(r"[a-z_.0-9]+ = [^\r\n]*\Z", line) for line in lines), lines
    settings = dict(line.split(" = ", 1) for line in lines)
    assert settings["account.1.user_name"] == "1001" and settings["account.1.sip_server_host"] == "acme.example"
    assert settings["lang.gui"] == "Spanish" and settings["local_time.time_zone"] == "+1"
    assert settings["remote_phonebook.data.1.url"] == "http://pbx.example.net/phonebook/acme.example/yealink.xml"
    assert (settings["linekey.2.type"], settings["linekey.2.value"]) == ("16", "1002")
    assert settings["linekey.2.extension"] == "**"
    assert settings["linekey.2.label"] == "Bruno <b>"
    assert (settings["linekey.3.value"], settings["linekey.4.value"]) == ("*76", "*97")
    assert "linekey.9.value" not in settings  # the hostile name's line break started no line
    grandstream = etree.fromstring(found["grandstream"])
    items = {item.get("name"): item.text for item in grandstream.iter("item")}
    assert items["account.1.sip.userid"] == "1002" and items["pks.mpk.1.keyMode"] == "BLF"
    assert items["pks.mpk.1.value"] == "1001" and items["pks.mpk.1.description"].startswith('Ana "x" </user_pass>')
    snom = etree.fromstring(found["snom"])
    assert [e.text for e in snom.iter("user_pass")] == [snom.find(".//user_pass").text]  # one password, not two
    assert snom.find(".//fkey").text == "blf <sip:1001@acme.example>|**"
    assert snom.find(".//utc_offset").text == "3600"
    cisco = etree.fromstring(found["cisco"])
    assert cisco.find("User_ID_1_").text == "1001" and cisco.find("Time_Zone").text == "GMT+01:00"
    assert cisco.find("Display_Name_1_").text.startswith('Ana "x" </user_pass><user_pass>leak &')
    assert cisco.find("Extended_Function_2_").text == "fnc=blf+sd+cp;sub=1002@acme.example"
    for body in found.values():
        assert b"\r" not in body and b"\nlinekey.9" not in body


def test_removing_a_phone_changes_its_users_sip_password_and_its_file_is_gone(acme):
    done = app.add_device(OPERATOR, "acme.example", MAC_A, "yealink", "1001").value
    before = User.get(User.extension == "1001", User.tenant == acme).a1_hash
    app.remove_device(OPERATOR, "acme.example", MAC_A)
    assert User.get(User.extension == "1001", User.tenant == acme).a1_hash != before
    server = make_provisioning_app(Config())
    assert get(server, "/provision/yealink/805ec0123456.cfg", "805ec0123456", done.secret)[0].startswith("404")
    with pytest.raises(NotFound):
        app.remove_device(OPERATOR, "acme.example", MAC_A)


def test_the_time_zone_is_the_standard_offset_south_and_north(acme):
    from fs_plugins.provisioning.rules import standard_offset_minutes
    assert standard_offset_minutes("Europe/Madrid", dt.date(2026, 7, 1)) == 60
    assert standard_offset_minutes("America/Santiago", dt.date(2026, 1, 1)) == -240
    assert standard_offset_minutes("Asia/Kolkata", dt.date(2026, 1, 1)) == 330


def test_the_admin_changes_a_phones_keys_without_removing_it(acme):
    done = app.add_device(OPERATOR, "acme.example", "00:1e:13:00:00:01", "cisco", "1001", blf=("1002",)).value
    password = User.get(User.extension == "1001", User.tenant == acme).a1_hash
    view = app.change_device(OPERATOR, "acme.example", "00-1E-13-00-00-01", blf=("1003", "1002"),
                             general_mwi=True).value.device
    assert (view.blf, view.general_mwi) == (("1003", "1002"), True)
    assert User.get(User.extension == "1001", User.tenant == acme).a1_hash == password  # the phone still registers
    server = make_provisioning_app(Config())
    cisco = etree.fromstring(get(server, "/provision/cisco/spa001e13000001.xml", "001e13000001", done.secret)[2])
    functions = [cisco.find(f"Extended_Function_{n}_").text for n in (2, 3, 4)]
    assert functions == ["fnc=blf+sd+cp;sub=1003@acme.example", "fnc=blf+sd+cp;sub=1002@acme.example",
                         "fnc=mwi;sub=general@acme.example;vid=1;nme=General"]
    assert app.change_device(OPERATOR, "acme.example", "001e13000001", general_mwi=False).value.device.blf == (
        "1003", "1002")
    assert app.change_device(OPERATOR, "acme.example", "001e13000001", blf=()).value.device.blf == ()


@pytest.mark.parametrize("kwargs, field", [
    ({"mac": "00:1e:13:00:00:01", "blf": ("2001",)}, "blf"),  # globex's user
    ({"mac": "00:1e:13:00:00:01", "blf": ("1001",)}, "blf"),  # the phone's own user
    ({"mac": "00:1e:13:00:00:01", "blf": ("1;x",)}, "blf"),
    ({"mac": "00:1e:13:00:00:02", "blf": ("1003",)}, "mac"),  # no such phone
    ({"mac": "bad", "general_mwi": True}, "mac"),
])
def test_a_bad_key_change_is_refused_naming_the_field_and_nothing_changes(acme, kwargs, field):
    app.add_device(OPERATOR, "acme.example", "00:1e:13:00:00:01", "cisco", "1001", blf=("1002",))
    with pytest.raises((InvalidInput, NotFound)) as refused:
        app.change_device(OPERATOR, "acme.example", **kwargs)
    assert refused.value.field == field
    assert [(d.blf, d.general_mwi) for d in Device.select()] == [("1002", False)]


def test_another_tenants_admin_or_a_user_cannot_change_a_phone(acme):
    app.add_device(OPERATOR, "acme.example", MAC_A, "yealink", "1001")
    rival = provision.find_tenant("globex.example")
    with pytest.raises(NotFound):
        app.change_device(AppContext(Principal(TENANT_ADMIN, rival.id, rival.domain), Config()), "acme.example", MAC_A,
                       blf=("1002",))
    user = AppContext(Principal(USER, acme.id, acme.domain, provision.find_user(acme, "1002").id, "1002"), Config())
    with pytest.raises(Forbidden):
        app.change_device(user, "acme.example", MAC_A, blf=("1002",))
    assert Device.get().blf == ""


def test_the_general_box_lamp_is_only_in_files_of_phones_that_can_show_it(acme):
    server = make_provisioning_app(Config())
    done = app.add_device(OPERATOR, "acme.example", MAC_A, "yealink", "1001", general_mwi=True).value
    body = get(server, "/provision/yealink/805ec0123456.cfg", "805ec0123456", done.secret)[2].decode()
    assert "general" not in body.lower()  # no Yealink key for another box could be confirmed: none is written


def test_a_grandstream_phone_gets_the_tenants_time_zone_with_summer_time(acme):
    from fs_plugins.provisioning.rules import posix_tz
    server = make_provisioning_app(Config())
    secret = app.add_device(OPERATOR, "acme.example", "00:0b:82:00:00:01", "grandstream", "1002").value.secret
    body = get(server, "/provision/grandstream/cfg000b82000001.xml", "000b82000001", secret)[2]
    items = {item.get("name"): item.text for item in etree.fromstring(body).iter("item")}
    assert items["dateTime.timezone"] == "CET-1CEST,M3.5.0,M10.5.0/3"
    # Without a compiled zone (or with a footer that is no TZ rule) the standard offset, POSIX's sign.
    assert posix_tz(b"", 330) == "<+0530>-5:30" and posix_tz(b"", -300) == "<-0500>+5"
    assert posix_tz(b"TZif2...\n<x>\n$(id)\n", 60) == "<+0100>-1"


def test_every_vendors_phonebook_address_carries_a_login_the_phonebook_accepts(acme, db):
    from urllib.parse import unquote, urlsplit

    from fs_plugins.contacts.phonebook import make_phonebook_app

    def login(vendor, body):
        """(the URL without credentials, user, password) as the vendor's file gives them."""
        if vendor == "yealink":
            lines = dict(line.split(" = ", 1) for line in body.decode().splitlines() if " = " in line)
            return (lines["remote_phonebook.data.1.url"], lines["remote_phonebook.data.1.username"],
                    lines["remote_phonebook.data.1.password"])
        xml = etree.fromstring(body)
        url = {"snom": lambda: xml.find(".//dkey_directory").text.removeprefix("url "),
               "grandstream": lambda: next(item.text for item in xml.iter("item")
                                           if item.get("name") == "phonebook.download.server"),
               "cisco": lambda: xml.find("XML_Directory_Service_URL").text,
               "fanvil": lambda: xml.find("dsskey/dssSoft[Type='21']/Value").text}[vendor]()
        parts = urlsplit(url)
        return parts._replace(netloc=parts.hostname).geturl(), unquote(parts.username), unquote(parts.password)

    server, phonebook = make_provisioning_app(Config()), make_phonebook_app(Config(), db=db)
    for mac, vendor, path in (("80:5e:c0:00:00:01", "yealink", "805ec0000001.cfg"),
                              ("00:0b:82:00:00:01", "grandstream", "cfg000b82000001.xml"),
                              ("00:04:13:00:00:01", "snom", "000413000001.xml"),
                              ("00:1e:13:00:00:01", "cisco", "spa001e13000001.xml"),
                              ("0c:38:3e:00:00:02", "fanvil", "0c383e000002.cfg")):
        secret = app.add_device(OPERATOR, "acme.example", mac, vendor, "1002").value.secret
        url, user, password = login(vendor, get(server, f"/provision/{vendor}/{path}", mac.replace(":", ""), secret)[2])
        assert (url, user) == (f"http://pbx.example.net/phonebook/acme.example/{vendor}.xml", "1002")
        assert get(phonebook, urlsplit(url).path)[0].startswith("401")  # it does ask for a login
        assert get(phonebook, urlsplit(url).path, user, password)[0].startswith("200"), vendor
        app.remove_device(OPERATOR, "acme.example", mac)


def test_a_fanvil_phone_gets_its_account_keys_language_and_the_tenants_summer_time(acme):
    server = make_provisioning_app(Config())
    secret = app.add_device(OPERATOR, "acme.example", "0c:38:3e:00:00:01", "fanvil", "1001",
                            blf=("1002",), general_mwi=True).value.secret
    status, _, body = get(server, "/provision/fanvil/0c383e000001.cfg", "0c383e000001", secret)
    assert status.startswith("200")
    fanvil = etree.fromstring(body)
    line = fanvil.find("sip/line[@index='1']")
    assert (line.find("RegisterUser").text, line.find("RegisterAddr").text) == ("1001", "acme.example")
    assert line.find("DisplayName").text.startswith('Ana "x" </user_pass><user_pass>leak &')  # escaped, one line
    row = User.get(User.extension == "1001", User.tenant == acme)
    assert row.a1_hash == a1_hash("1001", "acme.example", line.find("RegisterPswd").text)
    assert fanvil.find("phone/display/DefaultLanguage").text == "es"
    date = {element.tag: element.text for element in fanvil.find("phone/date")}
    assert (date["TimeZone"], date["TimeZoneName"], date["EnableDST"]) == ("4", "UTC+1", "2")
    year = dt.date.today().year
    last_sunday = {month: max(day for day in range(22, 32) if _weekday(year, month, day) == 6) for month in (3, 10)}
    assert (date["DSTStartMon"], date["DSTStartWday"], date["DSTStartHour"]) == ("3", str(last_sunday[3]), "2")
    assert (date["DSTEndMon"], date["DSTEndWday"], date["DSTEndHour"]) == ("10", str(last_sunday[10]), "3")
    keys = [(key.find("Value").text, key.find("Title").text) for key in fanvil.iter("Fkey")]
    assert keys == [("1002@1/ba**1002", "Bruno <b>"), ("*76@1/f", "DND"), ("*97@1/f", "Voicemail")]  # no MWI key
    assert b"\r" not in body and get(server, "/provision/fanvil/0C383E000001.xml", "0c383e000001",
                                      secret)[0].startswith("404")


def test_a_fanvil_phones_directory_soft_key_opens_its_users_phonebook(acme):
    server = make_provisioning_app(Config())
    secret = app.add_device(OPERATOR, "acme.example", "0c:38:3e:00:00:01", "fanvil", "1001").value.secret
    fanvil = etree.fromstring(get(server, "/provision/fanvil/0c383e000001.cfg", "0c383e000001", secret)[2])
    soft = fanvil.find("dsskey/dssSoft[@index='1']")
    assert (soft.find("Type").text, soft.find("Title").text) == ("21", "acme.example")  # 21: XML phonebook
    assert soft.find("Value").text.endswith("@pbx.example.net/phonebook/acme.example/fanvil.xml")
    assert fanvil.find("phone/softkey/DesktopSoftkey").text == "history;dss1;;menu;"  # the key on the idle screen


@pytest.mark.parametrize("proxy, host, port", [
    ("", "acme.example", "5060"), ("sbc.example.net", "sbc.example.net", "5060"),
    ("10.0.0.5:5080", "10.0.0.5", "5080"), ("sbc.example.net:5062", "sbc.example.net", "5062"),
    ("[2001:db8::5]:5070", "2001:db8::5", "5070"), ("[2001:db8::5]", "2001:db8::5", "5060")])
def test_a_fanvil_phone_gets_the_sip_proxys_host_and_port_apart(acme, proxy, host, port):
    server = make_provisioning_app(Config(sip_proxy=proxy))
    secret = app.add_device(OPERATOR, "acme.example", "0c:38:3e:00:00:01", "fanvil", "1001").value.secret
    line = etree.fromstring(get(server, "/provision/fanvil/0c383e000001.cfg", "0c383e000001", secret)[2]).find(
        "sip/line[@index='1']")
    assert (line.find("ProxyAddr").text, line.find("ProxyPort").text) == (host, port)


@pytest.mark.parametrize("proxy", ["sbc.example.net:70000", "[2001:db8::5]5070"])
def test_a_proxy_port_out_of_range_or_after_unclosed_brackets_is_refused_naming_the_setting(proxy):
    from types import SimpleNamespace

    from fs_plugins.provisioning.rules import PhoneFile

    with pytest.raises(InvalidInput) as refused:
        PhoneFile.proxy_address.fget(SimpleNamespace(proxy=proxy))  # only the file's proxy is read
    assert refused.value.field == "sip_proxy"


def _weekday(year, month, day):
    try:
        return dt.date(year, month, day).weekday()
    except ValueError:
        return -1


def test_a_database_from_before_the_general_box_key_upgrades_with_every_phone_without_it(acme, db):
    from fs_plugins import db as dbmod
    app.add_device(OPERATOR, "acme.example", MAC_A, "yealink", "1001", blf=("1002",))
    db.execute_sql("ALTER TABLE device DROP COLUMN general_mwi")  # as version 1 of "provisioning" made it
    db.execute_sql("UPDATE schema_version SET version = 1 WHERE component = 'provisioning'")
    assert ("provisioning", 1, 2) in dbmod.upgrade(db)
    assert [(d.mac, d.blf, d.general_mwi) for d in Device.select()] == [("805ec0123456", "1002", False)]
    assert dbmod.upgrade(db) == []
