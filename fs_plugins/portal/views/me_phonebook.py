"""The phonebook URL for the user's desk phone, and how to set it on each brand of phone."""
from __future__ import annotations

from flask import Blueprint, current_app, g, request
from flask_babel import lazy_gettext as _l

from fs_plugins.portal.guard import SELF, area
from fs_plugins.portal.pages import page

bp = Blueprint("me_phonebook", __name__)

# (phone, file the phonebook server answers for it, where the phone's menus take it)
PHONES = (
    ("Yealink", "yealink.xml", _l("Directory › Remote Phone Book: URL, and the name to show. User and password: "
                                  "your extension and SIP password.")),
    ("Cisco", "cisco.xml", _l("Directory service URL (the phone's configuration file: <directory_url>). "
                              "User and password: your extension and SIP password.")),
    ("Snom", "snom.xml", _l("Setup › Advanced › Phone book: tbook URL. User and password: your extension "
                            "and SIP password.")),
    ("Grandstream", "grandstream", _l("Phonebook › Phonebook management: download via HTTP, server path "
                                      "(the phone adds /phonebook.xml). User and password: your extension "
                                      "and SIP password.")),
    ("Fanvil", "fanvil.xml", _l("A DSS soft key of type XML Phonebook with this URL (a provisioned phone has it). "
                                "Your extension and SIP password go in the URL: http://EXTENSION:PASSWORD@…")),
)


@bp.get("/me/phonebook")
@area(SELF)
def phonebook():
    config = current_app.config["CENTRALITA"]
    base = (config.portal_url or request.url_root).rstrip("/")
    domain = g.principal.tenant_domain
    phones = [(name, f"{base}/phonebook/{domain}/{path}", how) for name, path, how in PHONES]
    return page("me/phonebook.html", phones=phones, extension=g.principal.extension, domain=domain)
