"""The directory section: who a SIP user is, for authentication and for calls to them.

Requests seen from a real FreeSWITCH (tests/fixtures/freeswitch/xml_curl): `sip_auth` for
REGISTER and INVITE, `user_call` for `bridge user/…` and originate, `message-count` and
`voicemail-lookup` from mod_voicemail (all with `user` and `domain`), `purpose=gateways` when a
sofia profile starts (the tenant domains), `purpose=network-list` for ACLs (not ours: not found).
"""
from __future__ import annotations

import functools
import logging
import re
from typing import Callable

from fs_plugins import channel_vars
from fs_plugins.config import Config
from fs_plugins.voicemail import boxes as voicemail
from xml_curl import documents
from xml_curl.cache import NOT_KEPT
from xml_curl.form import Form, Names
from xml_curl.lookups import DirectoryUser, Lookups, directory_user_from_row

log = logging.getLogger(__name__)

USER_ACTIONS = {"sip_auth", "user_call", "message-count", "voicemail-lookup"}
VOICEMAIL_ACTIONS = {"message-count", "voicemail-lookup"}
_EXTENSION = re.compile(r"[0-9]{2,16}\Z")
# The fields answer reads, in one Form.values. Not `purpose`: FreeSWITCH sends it only on fetches
# without an action (sofia's gateways, the ACLs' network-list: tests/fixtures/freeswitch/xml_curl),
# and it is read only when the action is not a user's. Absent, it is searched for through the whole
# body: ~4,500 instructions of a ~70,000-instruction REGISTER (benches/instructions.py).
_ASKED = Names("action", "user", "domain", "key_value")


def answer(fields: Form, lookups: Lookups, config: Config, reading: Callable) -> bytes:
    """`reading(function, *args)`: function(*args) as a request that may read the database (within
    the answer's deadline: xml_curl/app.py); a REGISTER whose row is kept goes without."""
    action, extension, domain, key_value = fields.values(_ASKED)
    if action not in USER_ACTIONS:
        purpose = fields.get("purpose", "")
        if purpose == "gateways":
            return reading(lambda: documents.directory_domains((t.domain for t in lookups.tenants()),
                                                               documents.dial_string(config.sip_proxy)))
        if not purpose:
            log.info("directory: unhandled action %r", action)
        return documents.NOT_FOUND
    domain = domain or key_value
    if key_value and key_value != domain:
        log.warning("directory: domain %r differs from key_value %r", domain, key_value)
        return documents.NOT_FOUND
    if extension == voicemail.GENERAL and action in VOICEMAIL_ACTIONS:
        return reading(_general_box, lookups, domain)
    if not _EXTENSION.match(extension):
        return documents.NOT_FOUND
    row = lookups.kept_directory_row(domain, extension)
    if row is NOT_KEPT:
        row = reading(lookups.directory_row, domain, extension)  # the user and its box, one query
    if row is None:
        return documents.NOT_FOUND
    return _user_document(row, config.directory_cache_ms, config.sip_proxy)


@functools.lru_cache(maxsize=20000)
def _user_document(row: tuple, cache_ms: int, sip_proxy: str) -> bytes:
    """Rendered once per distinct row (the user's and its box's columns as read): any change to
    either is a new key, so it renders anew; a phone registering again costs a dict look-up."""
    user = directory_user_from_row(row)
    if not user.enabled:
        return documents.NOT_FOUND
    box = voicemail.box_from_row(row[len(row) - len(voicemail.BOX_COLUMNS):])
    return documents.directory_user(user, user_variables(user), cache_ms, voicemail.directory_params(box),
                                    documents.dial_string(sip_proxy))


def _general_box(lookups: Lookups, domain: str) -> bytes:
    """The tenant's general box as a directory user mod_voicemail can use (no a1-hash: it never
    registers; not cacheable, so a later SIP lookup of "general" never finds it)."""
    tenant = lookups.tenant(domain)
    box = voicemail.box_info(lookups.db, None, tenant.id) if tenant and not tenant.suspended else None
    if box is None or not box.enabled:
        return documents.NOT_FOUND
    user = DirectoryUser(0, tenant, voicemail.GENERAL, "Voicemail", None, True, "")
    return documents.directory_user(user, [("user_context", tenant.domain)], 0, voicemail.directory_params(box))


def user_variables(user: DirectoryUser) -> list[tuple[str, str]]:
    """Variables every channel of this user carries (the dialplan and the call log read them)."""
    return [
        ("user_context", user.tenant.domain),
        ("effective_caller_id_name", user.display_name),
        ("effective_caller_id_number", user.extension),
        ("accountcode", user.tenant.domain),
        (channel_vars.TENANT, user.tenant.domain),
        (channel_vars.USER_ID, user.user_id),
    ]
