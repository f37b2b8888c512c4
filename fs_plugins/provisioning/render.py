"""A phone's file from its vendor's Jinja2 template (fs_plugins/provisioning/templates/).

XML templates are autoescaped (& < > " '); every text a person typed also goes through the `text`
filter (rules.cfg_text: control characters out, bounded), which is all a `key = value` line of
Yealink's format needs: a line break would otherwise start a line of the typist's choosing."""
from __future__ import annotations

import functools

import jinja2

from fs_plugins.provisioning.rules import PhoneFile, cfg_text


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("fs_plugins.provisioning", "templates"),
        autoescape=lambda name: bool(name) and name.endswith(".xml.j2"),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    environment.filters["text"] = cfg_text
    return environment


def render(phone: PhoneFile) -> bytes:
    suffix = "cfg" if phone.vendor == "yealink" else "xml"  # Fanvil's <mac>.cfg is XML
    return _environment().get_template(f"{phone.vendor}.{suffix}.j2").render(f=phone).encode("utf-8")
