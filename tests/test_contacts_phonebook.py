"""Phone phonebooks: authentication with SIP credentials, visibility, vendor XML structure
(checked against small XSDs written from each vendor's documentation), search, paging, escaping."""
import base64
import hashlib
import io
from wsgiref.util import setup_testing_defaults

import pytest
from lxml import etree

from fs_plugins.config import Config
from fs_plugins.contacts import service
from fs_plugins.contacts.phonebook import make_phonebook_app, route
from fs_plugins.contacts.records import ContactInput
from fs_plugins.models import Tenant, User
from fs_plugins.web import make_web_app
from tests.contact_directories import operator_directory


def xsd(body: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">{body}</xs:schema>'.encode()))


def text32(name, occurs='minOccurs="0"'):
    return (f'<xs:element name="{name}" {occurs}><xs:simpleType><xs:restriction base="xs:string">'
            f'<xs:maxLength value="32"/></xs:restriction></xs:simpleType></xs:element>')


YEALINK = xsd("""
<xs:element name="YealinkIPPhoneDirectory"><xs:complexType><xs:sequence>
  <xs:element name="DirectoryEntry" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
    <xs:element name="Name" type="xs:string"/>
    <xs:element name="Telephone" type="xs:string" maxOccurs="unbounded"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:sequence></xs:complexType></xs:element>""")

CISCO = xsd(f"""
<xs:element name="CiscoIPPhoneDirectory"><xs:complexType><xs:sequence>
  {text32("Title")}{text32("Prompt")}
  <xs:element name="DirectoryEntry" minOccurs="0" maxOccurs="32"><xs:complexType><xs:sequence>
    {text32("Name", "")}{text32("Telephone", "")}
  </xs:sequence></xs:complexType></xs:element>
  <xs:element name="SoftKeyItem" minOccurs="0" maxOccurs="8"><xs:complexType><xs:sequence>
    <xs:element name="Name" type="xs:string"/><xs:element name="URL" type="xs:string"/>
    <xs:element name="Position" type="xs:positiveInteger"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:sequence></xs:complexType></xs:element>""")

CISCO_INPUT = xsd("""
<xs:element name="CiscoIPPhoneInput"><xs:complexType><xs:sequence>
  <xs:element name="Title" type="xs:string" minOccurs="0"/><xs:element name="Prompt" type="xs:string" minOccurs="0"/>
  <xs:element name="URL" type="xs:anyURI"/>
  <xs:element name="InputItem" maxOccurs="5"><xs:complexType><xs:sequence>
    <xs:element name="DisplayName" type="xs:string"/><xs:element name="QueryStringParam" type="xs:string"/>
    <xs:element name="DefaultValue" type="xs:string"/>
    <xs:element name="InputFlags"><xs:simpleType><xs:restriction base="xs:string">
      <xs:pattern value="[ATNEUL]P?"/></xs:restriction></xs:simpleType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:sequence></xs:complexType></xs:element>""")

SNOM = xsd("""
<xs:element name="SnomIPPhoneDirectory"><xs:complexType><xs:sequence>
  <xs:element name="Title" type="xs:string" minOccurs="0"/><xs:element name="Prompt" type="xs:string" minOccurs="0"/>
  <xs:element name="DirectoryEntry" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
    <xs:element name="Name" type="xs:string"/><xs:element name="Telephone" type="xs:string"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:sequence></xs:complexType></xs:element>""")

GRANDSTREAM = xsd("""
<xs:element name="AddressBook"><xs:complexType><xs:sequence>
  <xs:element name="version" type="xs:integer" minOccurs="0"/>
  <xs:element name="Contact" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
    <xs:element name="FirstName" type="xs:string" minOccurs="0"/>
    <xs:element name="LastName" type="xs:string" minOccurs="0"/>
    <xs:element name="Phone" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
      <xs:element name="phonenumber" type="xs:string"/>
      <xs:element name="accountindex"><xs:simpleType><xs:restriction base="xs:integer">
        <xs:minInclusive value="0"/><xs:maxInclusive value="5"/></xs:restriction></xs:simpleType></xs:element>
    </xs:sequence>
    <xs:attribute name="type" use="required"><xs:simpleType><xs:restriction base="xs:string">
      <xs:enumeration value="Work"/><xs:enumeration value="Home"/><xs:enumeration value="Mobile"/>
      <xs:enumeration value="Fax"/><xs:enumeration value="Other"/></xs:restriction></xs:simpleType></xs:attribute>
    </xs:complexType></xs:element>
    <xs:element name="Mail" minOccurs="0"><xs:complexType><xs:simpleContent><xs:extension base="xs:string">
      <xs:attribute name="type" type="xs:string"/></xs:extension></xs:simpleContent></xs:complexType></xs:element>
  </xs:sequence></xs:complexType></xs:element>
</xs:sequence></xs:complexType></xs:element>""")

FANVIL = xsd("""
<xs:element name="FanvilIPPhoneDirectory"><xs:complexType><xs:sequence>
  <xs:element name="MenuItem" minOccurs="0" maxOccurs="unbounded"><xs:complexType><xs:sequence>
    <xs:element name="Prompt" type="xs:string"/><xs:element name="URI" type="xs:string"/>
  </xs:sequence></xs:complexType></xs:element>
</xs:sequence></xs:complexType></xs:element>""")

SCHEMAS = {"yealink.xml": YEALINK, "fanvil.xml": FANVIL, "cisco.xml": CISCO, "snom.xml": SNOM, "grandstream.xml": GRANDSTREAM,
           "grandstream/phonebook.xml": GRANDSTREAM, "cisco-search.xml": CISCO_INPUT}


def a1(ext, domain, password):
    return hashlib.md5(f"{ext}:{domain}:{password}".encode()).hexdigest()


@pytest.fixture
def acme(db):
    tenant = Tenant.create(name="Acme & Co <Madrid>", domain="acme.example", country="ES")
    for ext, name in (("100", "Ana Admin"), ("101", "Bruno Bajo")):
        User.create(tenant=tenant, extension=ext, display_name=name, a1_hash=a1(ext, "acme.example", "pw" + ext))
    User.create(tenant=tenant, extension="102", display_name="Disabled", enabled=False,
                a1_hash=a1("102", "acme.example", "pw102"))
    other = Tenant.create(name="Other", domain="other.example", country="ES")
    User.create(tenant=other, extension="100", display_name="Otto Other", a1_hash=a1("100", "other.example", "pwo"))
    service.add_contact(operator_directory("other.example"), ContactInput("Other Secret", numbers=(("work", "911000000"),)))
    service.add_contact(operator_directory("acme.example"), ContactInput(
        "Proveedor <S&A> \"]]>\"", numbers=(("work", "91 123 45 67"), ("mobile", "+44 20 7946 0000")),
        email="p@s.es"))
    service.add_contact(operator_directory("acme.example", "100"), ContactInput(
        "Mamá de Ana", numbers=(("mobile", "600 111 222"),)))
    service.add_contact(operator_directory("acme.example", "101"), ContactInput(
        "Bruno Private", numbers=(("home", "600 999 888"),)))
    return tenant


@pytest.fixture
def app(db):
    return make_phonebook_app(Config(), db=db)


def call(app, path, user=None, password=None, query="", method="GET", headers=None):
    environ = {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": method,
               "HTTP_HOST": "pbx.example:18082", "wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    if user is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        environ["HTTP_AUTHORIZATION"] = f"Basic {token}"
    environ.update(headers or {})
    seen = {}

    def start_response(status, response_headers):
        seen["status"], seen["headers"] = status, response_headers

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


def names(body, tag="Name"):
    return [e.text for e in etree.fromstring(body).iter(tag)]


def test_phonebook_paths_name_the_format_and_optionally_the_domain():
    assert route("/phonebook/yealink.xml") == (None, "yealink")
    assert route("/cisco.xml") == (None, "cisco")
    assert route("/phonebook/Acme.Example/snom.xml") == ("acme.example", "snom")
    assert route("/phonebook/acme.example/grandstream/phonebook.xml") == ("acme.example", "grandstream")
    for bad in ("/phonebook/", "/phonebook/other.xml", "/phonebook/phonebook.xml", "/a/b/yealink.xml",
                "/phonebook/bad_domain!/yealink.xml", "/phonebook/../yealink.xml"):
        assert route(bad) is None, bad


@pytest.mark.parametrize("file", sorted(SCHEMAS))
def test_every_vendor_format_matches_its_documented_structure(acme, app, file):
    status, headers, body = call(app, f"/phonebook/{file}", "100@acme.example", "pw100")
    assert status == "200 OK"
    assert ("Content-Type", "text/xml; charset=utf-8") in headers and ("Cache-Control", "no-store") in headers
    assert body.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    SCHEMAS[file].assertValid(etree.fromstring(body))


def test_a_user_sees_their_personal_contacts_the_common_directory_and_the_users(acme, app):
    _, _, body = call(app, "/phonebook/yealink.xml", "100@acme.example", "pw100")
    assert names(body) == ["Ana Admin", "Bruno Bajo", "Mamá de Ana", 'Proveedor <S&A> "]]>"']
    _, _, body = call(app, "/phonebook/yealink.xml", "101@acme.example", "pw101")
    assert "Mamá de Ana" not in names(body) and "Bruno Private" in names(body)
    assert "Other Secret" not in names(body) and "Otto Other" not in names(body)


def test_numbers_are_served_as_phones_dial_them(acme, app):
    _, _, body = call(app, "/phonebook/yealink.xml", "100@acme.example", "pw100")
    entry = etree.fromstring(body).xpath("//DirectoryEntry[Name='Proveedor <S&A> \"]]>\"']")[0]
    assert [t.text for t in entry.iter("Telephone")] == ["911234567", "+442079460000"]
    ana = etree.fromstring(body).xpath("//DirectoryEntry[Name='Ana Admin']")[0]
    assert [t.text for t in ana.iter("Telephone")] == ["100"]


def test_hostile_names_are_escaped_and_read_back_exactly(acme, app):
    for file in ("yealink.xml", "cisco.xml", "snom.xml", "grandstream.xml", "fanvil.xml"):
        _, _, body = call(app, f"/phonebook/{file}", "100@acme.example", "pw100")
        texts = [e.text for e in etree.fromstring(body).iter()]
        assert any(t and t.startswith('Proveedor <S&A> "]]>"') for t in texts), file
        assert b"<S&A>" not in body and b"&lt;S&amp;A&gt;" in body


def test_one_number_per_entry_formats_label_several_numbers(acme, app):
    _, _, body = call(app, "/phonebook/snom.xml", "100@acme.example", "pw100")
    assert 'Proveedor <S&A> "]]>" (Work)' in names(body) and 'Proveedor <S&A> "]]>" (Mobile)' in names(body)


def test_a_fanvil_phone_gets_one_menu_item_per_number_of_its_users_contacts_only(acme, app):
    _, _, body = call(app, "/phonebook/acme.example/fanvil.xml", "100", "pw100")
    items = [(item.findtext("Prompt"), item.findtext("URI")) for item in etree.fromstring(body).iter("MenuItem")]
    assert ("Mamá de Ana", "600111222") in items and ("Ana Admin", "100") in items
    assert ('Proveedor <S&A> "]]>" (Mobile)', "+442079460000") in items
    assert not any(name in ("Otto Other", "Other Secret", "Bruno Private") for name, _ in items)
    assert route("/phonebook/acme.example/fanvil.xml") == ("acme.example", "fanvil")


def test_grandstream_types_numbers_and_carries_the_email(acme, app):
    _, _, body = call(app, "/phonebook/acme.example/grandstream/phonebook.xml", "100", "pw100")
    contact = etree.fromstring(body).xpath("//Contact[FirstName='Mamá de Ana']")[0]
    assert [(p.get("type"), p.findtext("phonenumber")) for p in contact.iter("Phone")] == [("Mobile", "600111222")]
    assert etree.fromstring(body).xpath("//Mail/text()") == ["p@s.es"]


def test_search_filters_by_name_or_number(acme, app):
    _, _, body = call(app, "/phonebook/yealink.xml", "100@acme.example", "pw100", query="q=mam%C3%A1")
    assert names(body) == ["Mamá de Ana"]
    _, _, body = call(app, "/phonebook/yealink.xml", "100@acme.example", "pw100", query="q=600111")
    assert names(body) == ["Mamá de Ana"]
    _, _, body = call(app, "/phonebook/yealink.xml", "100@acme.example", "pw100", query="q=nobody")
    assert names(body) == []


def test_cisco_search_screen_sends_the_text_back_to_the_directory(acme, app):
    _, _, body = call(app, "/phonebook/acme.example/cisco-search.xml", "100", "pw100")
    root = etree.fromstring(body)
    assert root.findtext("URL") == "http://pbx.example:18082/phonebook/acme.example/cisco.xml"
    assert root.findtext("InputItem/QueryStringParam") == "q"


def test_cisco_directories_are_paged_by_32_with_a_next_key(acme, app):
    common = operator_directory("acme.example")
    for i in range(40):
        service.add_contact(common, ContactInput(f"Bulk {i:02d} with a name far longer than thirty-two",
                                                 numbers=(("work", f"9100000{i:02d}"),)))
    _, _, first = call(app, "/phonebook/cisco.xml", "100@acme.example", "pw100")
    CISCO.assertValid(etree.fromstring(first))
    root = etree.fromstring(first)
    assert len(root.findall("DirectoryEntry")) == 32 and root.findtext("Prompt") == "Page 1/2"
    next_url = root.xpath("SoftKeyItem[Name='Next']/URL/text()")[0]
    assert next_url == "http://pbx.example:18082/phonebook/cisco.xml?page=2"
    _, _, second = call(app, "/phonebook/cisco.xml", "100@acme.example", "pw100", query="page=2")
    root = etree.fromstring(second)
    assert len(root.findall("DirectoryEntry")) == 45 - 32 and not root.xpath("SoftKeyItem[Name='Next']")
    _, _, clamped = call(app, "/phonebook/cisco.xml", "100@acme.example", "pw100", query="page=x")
    assert etree.fromstring(clamped).findtext("Prompt") == "Page 1/2"


@pytest.mark.parametrize("user, password, path", [
    (None, None, "/phonebook/yealink.xml"),
    ("100@acme.example", "wrong", "/phonebook/yealink.xml"),
    ("100", "pw100", "/phonebook/yealink.xml"),                     # no domain anywhere
    ("102@acme.example", "pw102", "/phonebook/yealink.xml"),        # disabled
    ("999@acme.example", "pw100", "/phonebook/yealink.xml"),        # no such user
    ("100@other.example", "pwo", "/phonebook/acme.example/yealink.xml"),  # another tenant's path
    ("100@acme.example", "pwo", "/phonebook/other.example/yealink.xml"),
    ("", "", "/phonebook/yealink.xml"),
])
def test_requests_without_the_users_sip_credentials_are_refused(acme, app, user, password, path):
    status, headers, body = call(app, path, user, password)
    assert status == "401 Unauthorized"
    assert ("WWW-Authenticate", 'Basic realm="Centralita phonebook", charset="UTF-8"') in headers
    assert b"Secret" not in body and b"Ana" not in body


def test_malformed_basic_credentials_are_refused(acme, app):
    status, _, _ = call(app, "/phonebook/yealink.xml", headers={"HTTP_AUTHORIZATION": "Basic !!!notbase64"})
    assert status == "401 Unauthorized"


def _digest_header(challenge, user, password, domain, uri, method="GET"):
    fields = dict(part.strip().split("=", 1) for part in challenge[len("Digest "):].split(","))
    nonce = fields["nonce"].strip('"')
    ha1 = a1(user, domain, password)
    ha2 = hashlib.md5(f"{method}:{uri}".encode()).hexdigest()
    response = hashlib.md5(f"{ha1}:{nonce}:00000001:abc:auth:{ha2}".encode()).hexdigest()
    return (f'Digest username="{user}", realm="{domain}", nonce="{nonce}", uri="{uri}", qop=auth, '
            f'nc=00000001, cnonce="abc", response="{response}", algorithm=MD5')


def test_digest_authentication_with_the_sip_password_is_accepted_when_the_path_names_the_domain(acme, app):
    path = "/phonebook/acme.example/yealink.xml"
    status, headers, _ = call(app, path)
    assert status == "401 Unauthorized"
    challenge = [v for k, v in headers if k == "WWW-Authenticate" and v.startswith("Digest ")][0]
    assert 'realm="acme.example"' in challenge
    good = _digest_header(challenge, "100", "pw100", "acme.example", path)
    status, _, body = call(app, path, headers={"HTTP_AUTHORIZATION": good})
    assert status == "200 OK" and "Mamá de Ana" in names(body)
    wrong = _digest_header(challenge, "100", "nope", "acme.example", path)
    assert call(app, path, headers={"HTTP_AUTHORIZATION": wrong})[0] == "401 Unauthorized"
    other_uri = _digest_header(challenge, "100", "pw100", "acme.example", "/phonebook/acme.example/snom.xml")
    assert call(app, path, headers={"HTTP_AUTHORIZATION": other_uri})[0] == "401 Unauthorized"
    forged = good.replace(challenge.split('nonce="')[1].split('"')[0], "1.deadbeef")
    assert call(app, path, headers={"HTTP_AUTHORIZATION": forged})[0] == "401 Unauthorized"
    superscript = good.replace(challenge.split('nonce="')[1].split('"')[0], "\u00b2.deadbeef")  # "²".isdigit()
    assert call(app, path, headers={"HTTP_AUTHORIZATION": superscript})[0] == "401 Unauthorized"
    nonce = challenge.split('nonce="')[1].split('"')[0]
    for text in (nonce + "é", nonce.replace(".", ".é")):  # a fresh stamp, then text compare_digest refuses as str
        accented = good.replace(nonce, text)
        assert call(app, path, headers={"HTTP_AUTHORIZATION": accented})[0] == "401 Unauthorized"
    response = good.split('response="')[1].split('"')[0]
    accented = good.replace(response, "é" + response[1:])
    assert call(app, path, headers={"HTTP_AUTHORIZATION": accented})[0] == "401 Unauthorized"


def test_unknown_paths_and_other_methods_are_refused(acme, app):
    assert call(app, "/phonebook/polycom.xml", "100@acme.example", "pw100")[0] == "404 Not Found"
    assert call(app, "/phonebook/yealink.xml", "100@acme.example", "pw100", method="POST")[0].startswith("405")
    status, headers, body = call(app, "/phonebook/yealink.xml", "100@acme.example", "pw100", method="HEAD")
    assert status == "200 OK" and body == b"" and int(dict(headers)["Content-Length"]) > 0


def test_the_app_uses_the_bound_database_when_none_is_given(acme):
    app = make_phonebook_app(Config())
    assert call(app, "/phonebook/yealink.xml", "100@acme.example", "pw100")[0] == "200 OK"


def test_the_web_server_mount_serves_the_phonebook_at_its_prefix(acme, db):
    web = make_web_app(Config())  # every installed plugin's mounts: the contacts plugin's /phonebook
    status, _, body = call(web, "/phonebook/acme.example/snom.xml", "100", "pw100")
    assert status == "200 OK" and "Mamá de Ana" in names(body)


def test_an_address_guessing_passwords_is_locked_out_in_every_process_and_others_are_not(acme, db):
    guesser = {"REMOTE_ADDR": "203.0.113.9"}
    first = make_phonebook_app(Config(), db=db)
    for attempt in range(10):
        assert call(first, "/phonebook/yealink.xml", "100@acme.example", f"guess{attempt}", headers=guesser)[0] \
            == "401 Unauthorized"
    status, headers, body = call(first, "/phonebook/yealink.xml", "100@acme.example", "pw100", headers=guesser)
    assert status == "429 Too Many Requests" and b"Ana" not in body
    assert 0 < int(dict(headers)["Retry-After"]) <= 15 * 60
    another_process = make_phonebook_app(Config(), db=db)  # the count is in the database, not in the app
    assert call(another_process, "/phonebook/yealink.xml", "100@acme.example", "pw100", headers=guesser)[0] \
        == "429 Too Many Requests"
    elsewhere = {"REMOTE_ADDR": "198.51.100.7"}
    assert call(another_process, "/phonebook/yealink.xml", "100@acme.example", "pw100", headers=elsewhere)[0] \
        == "200 OK"


def test_asking_for_the_challenge_without_credentials_counts_as_no_failure(acme, app):
    phone = {"REMOTE_ADDR": "203.0.113.10"}
    for _ in range(15):
        assert call(app, "/phonebook/yealink.xml", headers=phone)[0] == "401 Unauthorized"
    assert call(app, "/phonebook/yealink.xml", "100@acme.example", "pw100", headers=phone)[0] == "200 OK"
