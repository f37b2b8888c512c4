"""xml_curl's documents are written from templates: byte for byte what lxml's serialiser writes for
the same tree (the reference below is the lxml builder the handler used before), on any values."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st
from lxml import etree

from fs_plugins.fsvalues import neutralise
from xml_curl import documents
from xml_curl.lookups import DirectoryUser, TenantInfo


def _serialise(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=False, pretty_print=True)


def _lxml_domain(section, domain):
    element = etree.SubElement(section, "domain", name=domain)
    params = etree.SubElement(element, "params")
    etree.SubElement(params, "param", name="dial-string", value=documents.DIAL_STRING)
    return element


def _lxml_directory_user(user, variables, cache_ms, extra_params=()):
    root = etree.Element("document", type="freeswitch/xml")
    section = etree.SubElement(root, "section", name="directory")
    domain = _lxml_domain(section, user.tenant.domain)
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


def _lxml_domains(domains):
    root = etree.Element("document", type="freeswitch/xml")
    section = etree.SubElement(root, "section", name="directory")
    for domain in domains:
        _lxml_domain(section, domain)
    return _serialise(root)


def _lxml_dialplan(context, extension_name, actions):
    root = etree.Element("document", type="freeswitch/xml")
    section = etree.SubElement(root, "section", name="dialplan", description="centralita")
    context_element = etree.SubElement(section, "context", name=context)
    extension = etree.SubElement(context_element, "extension", name=extension_name)
    condition = etree.SubElement(extension, "condition")
    for application, data in actions:
        attrs = {"application": application}
        if data:
            attrs["data"] = data
        etree.SubElement(condition, "action", **attrs)
    return _serialise(root)


def _same(ours, reference, *args):
    """Both give the same bytes, or both refuse the values with a ValueError."""
    try:
        expected = reference(*args)
    except ValueError:
        with pytest.raises(ValueError):
            ours(*args)
        return
    assert ours(*args) == expected


TEXT = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from('&<>"\'\t\r\n\x00\x0b\ufffe${}'), max_size=30)
ACTIONS = st.lists(st.tuples(TEXT, TEXT | st.just("")), max_size=5)


@settings(max_examples=300, deadline=None)
@given(context=TEXT, name=TEXT, actions=ACTIONS)
def test_dialplan_documents_are_lxml_s_bytes(context, name, actions):
    _same(documents.dialplan, _lxml_dialplan, context, name, actions)


@settings(max_examples=300, deadline=None)
@given(domain=TEXT, extension=TEXT, a1=TEXT, variables=st.lists(st.tuples(TEXT, TEXT), max_size=4),
       params=st.lists(st.tuples(TEXT, TEXT), max_size=4), cache_ms=st.sampled_from([0, -1, 300000]))
def test_directory_documents_are_lxml_s_bytes(domain, extension, a1, variables, params, cache_ms):
    user = DirectoryUser(1, TenantInfo(1, domain, "T", "Europe/Madrid", "es", "ES"), extension, "N", None, True, a1)
    _same(documents.directory_user, _lxml_directory_user, user, variables, cache_ms, params)


@settings(max_examples=100, deadline=None)
@given(domains=st.lists(TEXT, max_size=4))
def test_domain_lists_are_lxml_s_bytes(domains):
    _same(documents.directory_domains, _lxml_domains, domains)


@pytest.mark.parametrize("value", ['a&b<c>d"e\'f', "tab\there", "cr\rlf\n", "José ☎ 😀", "${x} $${y}", "", "\x7f\x85"])
def test_every_special_character_is_escaped_as_lxml_does(value):
    _same(documents.dialplan, _lxml_dialplan, value, value, [(value, value), ("answer", "")])


@pytest.mark.parametrize("value", ["nul\x00", "vt\x0b", "\ufffe", "\uffff", "lone \ud800"])
def test_values_lxml_refuses_are_refused(value):
    with pytest.raises(ValueError):
        documents.dialplan("t1.example", "call", [("set", value)])
