"""Remote-phonebook XML for desk phones, one builder per vendor, built with lxml only.

Each builder takes the entries a user sees (already loaded `ContactView`s) and returns bytes;
lxml escapes every text node, and `_text` drops what XML 1.0 cannot carry at all.

Formats (from each vendor's documentation):
  Yealink      <YealinkIPPhoneDirectory><DirectoryEntry><Name/><Telephone/>…</DirectoryEntry>…
               several Telephone per entry.
  Cisco        <CiscoIPPhoneDirectory><Title/><Prompt/><DirectoryEntry><Name/><Telephone/></DirectoryEntry>
               at most 32 entries per page, Name/Title/Prompt at most 32 characters (Telephone too),
               one number per entry; further pages through a "Next" <SoftKeyItem><Name/><URL/><Position/>.
               Search: <CiscoIPPhoneInput> asking for the text, sent back as ?q=.
  Snom         <SnomIPPhoneDirectory><Title/><Prompt/><DirectoryEntry><Name/><Telephone/></DirectoryEntry>
               one number per entry.
  Grandstream  <AddressBook><version>1</version><Contact><FirstName/><LastName/>?
               <Phone type="Work|Home|Mobile|Other"><phonenumber/><accountindex/></Phone>…<Mail/>?</Contact>
               (GXP16xx/17xx/21xx XML phonebook guide; the phone fetches …/phonebook.xml).
  Fanvil       <FanvilIPPhoneDirectory><MenuItem><Prompt/><URI/></MenuItem>…
               one number per entry (the name in Prompt, what to dial in URI), as Wazo's phoned serves
               X-series phones the directory their `dssSoft` key of type 21 (XML phonebook) opens.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from fs_plugins.contacts.numbers import dialable
from fs_plugins.contacts.records import ContactView

CISCO_PAGE = 32
CISCO_TEXT = 32
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_KIND_LABEL = {"work": "Work", "mobile": "Mobile", "home": "Home", "other": "Other"}


@dataclass(frozen=True)
class Entry:
    """One contact as a phone shows it: a name and (label, what to dial) pairs."""

    name: str
    numbers: tuple[tuple[str, str], ...]
    email: str | None = None


def entries(views: list[ContactView], country: str) -> list[Entry]:
    result = []
    for view in views:
        numbers = tuple((_KIND_LABEL[n.kind], dialable(n.e164, country) if n.e164 else n.number)
                        for n in view.numbers)
        if numbers:
            result.append(Entry(view.name, numbers, view.email))
    return result


def _text(value: str, limit: int | None = None) -> str:
    clean = _NOT_XML.sub("", value or "")
    return clean[:limit] if limit else clean


def _sub(parent, tag: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        element.text = _text(text)
    return element


def _serialise(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _one_per_number(items: list[Entry]) -> list[tuple[str, str]]:
    """(name, number) rows for formats that hold one number per entry."""
    rows = []
    for entry in items:
        several = len(entry.numbers) > 1
        for label, number in entry.numbers:
            rows.append((f"{entry.name} ({label})" if several else entry.name, number))
    return rows


def yealink(items: list[Entry], title: str) -> bytes:
    root = etree.Element("YealinkIPPhoneDirectory")
    for entry in items:
        element = _sub(root, "DirectoryEntry")
        _sub(element, "Name", entry.name)
        for _label, number in entry.numbers:
            _sub(element, "Telephone", number)
    return _serialise(root)


def cisco(items: list[Entry], title: str, page: int = 1, next_url: str | None = None) -> bytes:
    """One page; `next_url` is the URL of the following page when there is one."""
    root = etree.Element("CiscoIPPhoneDirectory")
    _sub(root, "Title", _text(title, CISCO_TEXT))
    rows = _one_per_number(items)
    pages = max(1, -(-len(rows) // CISCO_PAGE))
    _sub(root, "Prompt", _text(f"Page {page}/{pages}" if pages > 1 else "Select an entry", CISCO_TEXT))
    for name, number in rows[(page - 1) * CISCO_PAGE: page * CISCO_PAGE]:
        element = _sub(root, "DirectoryEntry")
        _sub(element, "Name", _text(name, CISCO_TEXT))
        _sub(element, "Telephone", _text(number, CISCO_TEXT))
    keys = [("Dial", "SoftKey:Dial"), ("EditDial", "SoftKey:EditDial"), ("Exit", "SoftKey:Exit")]
    if next_url and page < pages:
        keys.append(("Next", next_url))
    for position, (name, url) in enumerate(keys, 1):
        key = _sub(root, "SoftKeyItem")
        _sub(key, "Name", name)
        _sub(key, "URL", url)
        _sub(key, "Position", str(position))
    return _serialise(root)


def cisco_pages(items: list[Entry]) -> int:
    return max(1, -(-len(_one_per_number(items)) // CISCO_PAGE))


def cisco_search(title: str, url: str) -> bytes:
    """The input screen that sends the typed text back to the directory as ?q=."""
    root = etree.Element("CiscoIPPhoneInput")
    _sub(root, "Title", _text(title, CISCO_TEXT))
    _sub(root, "Prompt", "Enter a name or number")
    _sub(root, "URL", url)
    item = _sub(root, "InputItem")
    _sub(item, "DisplayName", "Name or number")
    _sub(item, "QueryStringParam", "q")
    _sub(item, "DefaultValue", "")
    _sub(item, "InputFlags", "A")
    return _serialise(root)


def snom(items: list[Entry], title: str) -> bytes:
    root = etree.Element("SnomIPPhoneDirectory")
    _sub(root, "Title", title)
    _sub(root, "Prompt", "Dial")
    for name, number in _one_per_number(items):
        element = _sub(root, "DirectoryEntry")
        _sub(element, "Name", name)
        _sub(element, "Telephone", number)
    return _serialise(root)


def grandstream(items: list[Entry], title: str) -> bytes:
    root = etree.Element("AddressBook")
    _sub(root, "version", "1")
    for entry in items:
        contact = _sub(root, "Contact")
        _sub(contact, "FirstName", entry.name)  # one name field here; the phone shows it whole
        for label, number in entry.numbers:
            phone = _sub(contact, "Phone", type=label)
            _sub(phone, "phonenumber", number)
            _sub(phone, "accountindex", "0")
        if entry.email:
            _sub(contact, "Mail", entry.email, type="Work")
    return _serialise(root)


def fanvil(items: list[Entry], title: str) -> bytes:
    root = etree.Element("FanvilIPPhoneDirectory")
    for name, number in _one_per_number(items):
        item = _sub(root, "MenuItem")
        _sub(item, "Prompt", name)
        _sub(item, "URI", number)
    return _serialise(root)


VENDORS = {"yealink": yealink, "cisco": cisco, "snom": snom, "grandstream": grandstream, "fanvil": fanvil}
