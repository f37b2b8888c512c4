"""Build the XML documents FreeSWITCH expects, from fixed templates with every value escaped.

The documents have a handful of fixed shapes, so they are written as text: the output is byte for
byte what lxml's serialiser gave (tests/test_xml_curl_documents.py checks it against lxml on
arbitrary values) at a fraction of the cost on the hot path (figures in the module's commit and
benches/b1_xml_curl.py). A value lxml would refuse (NUL, control characters other than tab/CR/LF,
U+FFFE/U+FFFF, lone surrogates) raises ValueError here as it did there, so the callers' error
handling is unchanged.

Values we place are either ours (constants, ids, domains validated on input) or user-typed text
passed through fs_plugins.fsvalues.neutralise, so nothing can open a `${`/`$${` expansion or an
X-PRE-PROCESS instruction in the preprocessed document.
"""
from __future__ import annotations

import functools
import re
from typing import Iterable, Sequence

from fs_plugins.fsvalues import neutralise

NOT_FOUND = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
    b'<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>\n'
)

# How FreeSWITCH reaches a registered user of a tenant (the domain is the tenant).
# pbx_leg_user (fs_plugins.channel_vars.LEG_USER): the user this leg rings, on the leg however it
# reaches the phone (through a proxy too), so the members' busy state finds them.
_DIAL_VARIABLES = ("{^^:sip_invite_domain=${dialed_domain}:presence_id=${dialed_user}@${dialed_domain}"
                   ":pbx_leg_user=${dialed_user}@${dialed_domain}}")
DIAL_STRING = _DIAL_VARIABLES + "${sofia_contact(*/${dialed_user}@${dialed_domain})}"


def dial_string(sip_proxy: str = "") -> str:
    """Phones registered at FreeSWITCH are found with sofia_contact; with Kamailio in front (config
    sip_proxy, a checked host:port) they registered there, so the call goes to user@domain through it
    (sofia's fs_path: a Route to the proxy, `;lr` url-encoded as sofia decodes it), and Kamailio's
    usrloc finds the phone (kamailio/kamailio.cfg, route TOPHONE)."""
    if not sip_proxy:
        return DIAL_STRING
    return _DIAL_VARIABLES + f"sofia/internal/${{dialed_user}}@${{dialed_domain}};fs_path=sip:{sip_proxy}%3Blr"

_HEAD = "<?xml version='1.0' encoding='UTF-8' standalone='no'?>\n<document type=\"freeswitch/xml\">\n"
_TAIL = "  </section>\n</document>\n"
# What an attribute value may need: escaping (XML's specials and the three whitespace characters
# an attribute would otherwise normalise away) or refusing (not an XML character).
_SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]')
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ESCAPES = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord('"'): "&quot;",
            ord("\t"): "&#9;", ord("\n"): "&#10;", ord("\r"): "&#13;"}


@functools.lru_cache(maxsize=16384)  # the same values come back call after call (set_var pairs, domains)
def attr(value: str) -> str:
    """`value` escaped for a double-quoted attribute, as libxml2 writes it."""
    if _SPECIAL.search(value) is None:
        return value
    if _NOT_XML.search(value) is not None:
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")
    return value.translate(_ESCAPES)


def _domain(domain: str, inner: str = "", dial: str = DIAL_STRING) -> str:
    return (f'    <domain name="{attr(domain)}">\n      <params>\n'
            f'        <param name="dial-string" value="{attr(dial)}"/>\n      </params>\n'
            f"{inner}    </domain>\n")


def _element(indent: str, tag: str, children: list[str]) -> str:
    """An element holding `children` (lines already indented), or empty as <tag/>."""
    if not children:
        return f"{indent}<{tag}/>\n"
    return f"{indent}<{tag}>\n{''.join(children)}{indent}</{tag}>\n"


def directory_user(user, variables: Sequence[tuple[str, str]], cache_ms: int,
                   extra_params: Sequence[tuple[str, str]] = (), dial: str = DIAL_STRING) -> bytes:
    """One user in its domain, with its digest a1-hash (never a clear password) and extra params
    (mod_voicemail's vm-*); a user without a1-hash (a voicemail-only box) cannot register."""
    cacheable = f' cacheable="{cache_ms}"' if cache_ms > 0 else ""
    params = [f'                <param name="a1-hash" value="{attr(user.a1_hash)}"/>\n'] if user.a1_hash else []
    params += [f'                <param name="{attr(name)}" value="{attr(neutralise(value, 254))}"/>\n'
               for name, value in extra_params]
    variable_lines = [f'                <variable name="{attr(name)}" value="{attr(neutralise(value, 200))}"/>\n'
                      for name, value in variables]
    users = (f'      <groups>\n        <group name="default">\n          <users>\n'
             f'            <user id="{attr(user.extension)}"{cacheable}>\n'
             f'{_element("              ", "params", params)}{_element("              ", "variables", variable_lines)}'
             f"            </user>\n          </users>\n        </group>\n      </groups>\n")
    return (_HEAD + '  <section name="directory">\n' + _domain(user.tenant.domain, users, dial) + _TAIL).encode()


def directory_domains(domains: Iterable[str], dial: str = DIAL_STRING) -> bytes:
    """The tenants' domains without users (sofia's `purpose=gateways` fetch)."""
    inner = "".join(_domain(domain, "", dial) for domain in domains)
    if not inner:
        return (_HEAD + '  <section name="directory"/>\n</document>\n').encode()
    return (_HEAD + '  <section name="directory">\n' + inner + _TAIL).encode()


def dialplan(context: str, extension_name: str, actions: Sequence[tuple[str, str]]) -> bytes:
    """One extension whose condition always matches: the handler already decided for this call."""
    lines = [f'          <action application="{attr(application)}" data="{attr(data)}"/>\n' if data
             else f'          <action application="{attr(application)}"/>\n' for application, data in actions]
    return (f'{_HEAD}  <section name="dialplan" description="centralita">\n'
            f'    <context name="{attr(context)}">\n      <extension name="{attr(extension_name)}">\n'
            f'{_element("        ", "condition", lines)}      </extension>\n    </context>\n{_TAIL}').encode()
