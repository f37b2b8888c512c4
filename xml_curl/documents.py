"""Build the XML documents FreeSWITCH expects, only through lxml (every value escaped by it).

Values we place are either ours (constants, ids, domains validated on input) or user-typed text
passed through fs_plugins.fsvalues.neutralise, so nothing can open a `${`/`$${` expansion or an
X-PRE-PROCESS instruction in the preprocessed document.
"""
from __future__ import annotations

from typing import Iterable, Sequence

from lxml import etree

from fs_plugins.fsvalues import neutralise

NOT_FOUND = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
    b'<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>\n'
)

# How FreeSWITCH reaches a registered user of a tenant (the domain is the tenant).
DIAL_STRING = (
    "{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}}"
    "${sofia_contact(*/${dialed_user}@${dialed_domain})}"
)


def _document(section: str, **attrs: str) -> tuple[etree._Element, etree._Element]:
    root = etree.Element("document", type="freeswitch/xml")
    return root, etree.SubElement(root, "section", name=section, **attrs)


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False, pretty_print=True)


def _domain(section: etree._Element, domain: str) -> etree._Element:
    element = etree.SubElement(section, "domain", name=domain)
    params = etree.SubElement(element, "params")
    etree.SubElement(params, "param", name="dial-string", value=DIAL_STRING)
    return element


def directory_user(user, variables: Sequence[tuple[str, str]], cache_ms: int,
                   extra_params: Sequence[tuple[str, str]] = ()) -> bytes:
    """One user in its domain, with its digest a1-hash (never a clear password) and extra params
    (mod_voicemail's vm-*); a user without a1-hash (a voicemail-only box) cannot register."""
    root, section = _document("directory")
    domain = _domain(section, user.tenant.domain)
    users = etree.SubElement(etree.SubElement(etree.SubElement(domain, "groups"), "group", name="default"), "users")
    attrs = {"id": user.extension}
    if cache_ms > 0:
        attrs["cacheable"] = str(cache_ms)
    element = etree.SubElement(users, "user", **attrs)
    params = etree.SubElement(element, "params")
    if user.a1_hash:
        etree.SubElement(params, "param", name="a1-hash", value=user.a1_hash)
    for name, value in extra_params:
        etree.SubElement(params, "param", name=name, value=neutralise(value, 254))
    variables_element = etree.SubElement(element, "variables")
    for name, value in variables:
        etree.SubElement(variables_element, "variable", name=name, value=neutralise(value, 200))
    return _serialise(root)


def directory_domains(domains: Iterable[str]) -> bytes:
    """The tenants' domains without users (sofia's `purpose=gateways` fetch)."""
    root, section = _document("directory")
    for domain in domains:
        _domain(section, domain)
    return _serialise(root)


def dialplan(context: str, extension_name: str, actions: Sequence[tuple[str, str]]) -> bytes:
    """One extension whose condition always matches: the handler already decided for this call."""
    root, section = _document("dialplan", description="centralita")
    context_element = etree.SubElement(section, "context", name=context)
    extension = etree.SubElement(context_element, "extension", name=extension_name)
    condition = etree.SubElement(extension, "condition")
    for application, data in actions:
        attrs = {"application": application}
        if data:
            attrs["data"] = data
        etree.SubElement(condition, "action", **attrs)
    return _serialise(root)
