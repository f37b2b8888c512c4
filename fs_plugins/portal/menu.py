"""The left menu, as the seed's portal lays it out: call management, contacts, configuration (the
customer's admins), the operator's pages, the person's account.

An entry appears only when its page exists in this portal and the caller may open it, so the menu
never offers a link that answers 404.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l

from fs_plugins.portal import guard, i18n

SECTIONS = (
    (_l("Fixed telephony – Call management"), guard.SELF, (
        ("me.forwards", _l("Forwarding and do not disturb")),
        ("me_calls.calls", _l("Call log")),
        ("me_voicemail.messages", _l("Voicemail")),
        ("recordings.mine", _l("Call recordings")),
    )),
    (_l("Contacts"), guard.SELF, (
        ("me_contacts.contacts", _l("My contacts")),
        ("me_contacts.directory", _l("Common directory")),
        ("me_phonebook.phonebook", _l("Phonebook on your phone")),
    )),
    (_l("Settings"), guard.ADMIN, (
        ("admin.users", _l("Users")),
        ("admin_logins.logins", _l("Logins")),
        ("admin.numbers", _l("Numbers")),
        ("admin_ivr.menus", _l("IVR")),
        ("admin_groups.groups", _l("Call groups")),
        ("admin_schedules.schedules", _l("Schedules")),
        ("admin_audio.audio", _l("Audio library")),
        ("admin_featurecodes.feature_codes", _l("Feature codes")),
        ("admin_devices.devices", _l("Desk phones")),
        ("admin_flows.flows", _l("Call flows")),
        ("me_voicemail.general", _l("General voicemail")),
        ("recordings.tenant_recordings", _l("Call recordings")),
        ("admin_billing.billing_page", _l("Billing")),
    )),
    (_l("Operator"), guard.OPERATOR, (
        ("operator.tenants", _l("Customers")),
        ("operator.keys", _l("API keys")),
        ("operator.audit_log", _l("Audit log")),
        ("operator.health", _l("System health")),
    )),
    (_l("My account"), guard.SIGNED_IN, (
        ("account.password", _l("Change password")),
    )),
)


@dataclass(frozen=True)
class Entry:
    label: str
    url: str
    current: bool


@dataclass(frozen=True)
class Section:
    label: str
    entries: tuple[Entry, ...]


def for_caller(principal) -> list[Section]:
    views = current_app.view_functions
    # The customer whose settings the menu leads to: the one in the URL (an operator looking at a
    # customer), else the admin's own.
    domain = (request.view_args or {}).get("domain") or principal.tenant_domain
    found = []
    for label, level, entries in SECTIONS:
        if not guard.allowed(level, principal) or (level == guard.ADMIN and not domain):
            continue
        shown = tuple(Entry(i18n.text(text), url_for(endpoint, **({"domain": domain} if level == guard.ADMIN else {})),
                            request.endpoint == endpoint)
                      for endpoint, text in entries if endpoint in views)
        if shown:
            found.append(Section(i18n.text(label), shown))
    return found
