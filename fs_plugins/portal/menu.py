"""The left menu, as the seed's portal lays it out: call management, contacts, configuration (the
customer's admins), the operator's pages, the person's account.

An entry appears only when its page exists in this portal and the caller may open it, so the menu
never offers a link that answers 404.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from fs_plugins.portal import guard, i18n, translated

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


class Shown(NamedTuple):
    sections: tuple[Section, ...]  # home.html lists them
    nav: Markup  # base.html's left menu (templates/menu_nav.html)


def for_caller(principal) -> Shown:
    # The customer whose settings the menu leads to: the one in the URL (an operator looking at a
    # customer), else the admin's own.
    domain = (request.view_args or {}).get("domain") or principal.tenant_domain
    return _shown(current_app._get_current_object(), guard.levels_of(principal), domain, i18n.page_language(),
                  request.script_root, request.endpoint)


@functools.lru_cache(maxsize=1024)
def _shown(app, levels: frozenset[str], domain: str | None, language: str, script_root: str, here: str) -> Shown:
    """The menu with the page shown (`here`, an endpoint) marked, and its HTML: the same for every
    view of that page by the same kind of caller, so rendered once, not with a dozen template
    lookups and escapes per page view. Bounded as _links is."""
    sections = tuple(Section(label, tuple(Entry(text, url, endpoint == here) for endpoint, text, url in links))
                     for label, links in _links(app, levels, domain, language, script_root))
    nav = translated.environment_for(app, language).get_template("menu_nav.html").render(menu=sections)
    return Shown(sections, Markup(nav))


@functools.lru_cache(maxsize=256)
def _links(app, levels: frozenset[str], domain: str | None, language: str, script_root: str):
    """The menu's sections as (label, ((endpoint, label, url), …)) for the caller's levels, the
    customer, the page's language and where the portal is mounted: the same on every page a person
    opens, so found once, not with a URL build and a catalog lookup per link on every page. The page's
    own entry is marked by the caller. Bounded: an operator visiting many customers' pages evicts."""
    views = app.view_functions
    found = []
    for label, level, entries in SECTIONS:
        if level not in levels or (level == guard.ADMIN and not domain):
            continue
        scope = {"domain": domain} if level == guard.ADMIN else {}
        shown = tuple((endpoint, i18n.text(text), url_for(endpoint, **scope)) for endpoint, text in entries
                      if endpoint in views)
        if shown:
            found.append((i18n.text(label), shown))
    return tuple(found)
