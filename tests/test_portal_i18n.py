"""Every string of the portal is translated, the compiled catalogs match their sources, and pages
speak the tenant's language (or the one the person chose)."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fs_plugins.models import Tenant
from fs_plugins.portal import catalogs
from tests.portal_world import ADMIN, OPERATOR, Browser, browser, portal_app, world  # noqa: F401 (fixtures)
from tests.api_world import cheap_argon2  # noqa: F401

TEMPLATES = Path(catalogs.HERE) / "templates"
# Words that read the same in every language: the product, and each language's own name.
UNTRANSLATABLE = {"Centralita", "Español", "English", "·", "›", "–", ":", "IVR", "CSV", "SIP", "PIN"}


def test_every_string_of_the_views_and_templates_has_a_spanish_translation():
    spanish = {str(m.id): m for m in catalogs.read("es") if m.id}
    source = [str(m.id) for m in catalogs.source_catalog() if m.id]
    assert source, "no strings extracted: the extraction is broken"
    missing = [text for text in source if text not in spanish or not spanish[text].string or spanish[text].fuzzy]
    assert not missing, f"untranslated (run python -m fs_plugins.portal.catalogs): {missing}"


def test_the_committed_compiled_catalog_is_the_current_po_file():
    compiled = catalogs.po_path("es").with_suffix(".mo").read_bytes()
    assert compiled == catalogs.compiled(catalogs.read("es")), "run python -m fs_plugins.portal.catalogs"


class _Text(HTMLParser):
    SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_data(self, data):
        self.found.append(data)

    def handle_starttag(self, tag, attrs):
        self.found.extend(value or "" for name, value in attrs if name in self.SHOWN_ATTRIBUTES)


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.html")))
def test_no_template_shows_text_that_gettext_does_not_translate(template):
    source = (TEMPLATES / template).read_text()
    without_jinja = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
    parser = _Text()
    parser.feed(re.sub(r"<script.*?</script>|<style.*?</style>", " ", without_jinja, flags=re.S))
    words = [w for chunk in parser.found for w in chunk.split() if re.search(r"[^\W\d_]", w)]
    assert [w for w in words if w not in UNTRANSLATABLE] == []


def test_a_spanish_tenants_pages_are_in_spanish(browser):
    browser.sign_in(ADMIN)
    html = browser.get("/").data.decode()
    assert '<html lang="es"' in html and "Cerrar sesión" in html and "Sign out" not in html


def test_an_english_tenants_pages_are_in_english_and_the_switch_overrides(browser):
    Tenant.update(language="en").where(Tenant.domain == "acme.example.com").execute()
    browser.sign_in(ADMIN)
    assert "Sign out" in browser.get("/").data.decode()
    browser.submit("/", {"language": "es", "next": "/"}, action="/language")
    assert "Cerrar sesión" in browser.get("/").data.decode()


def test_before_signing_in_the_browsers_language_is_used(world):
    browser = Browser(portal_app())
    english = browser.get("/login", headers={"Accept-Language": "en-GB,en;q=0.8"}).data.decode()
    spanish = browser.get("/login", headers={"Accept-Language": "es-ES,es;q=0.9"}).data.decode()
    assert "Forgot your password?" in english and "¿Ha olvidado su contraseña?" in spanish


def test_the_operator_sees_the_operator_menu_and_no_tenants_menu(browser):
    browser.sign_in(OPERATOR)
    html = browser.get("/", headers={"Accept-Language": "es"}).data.decode()
    assert "Mi cuenta" in html and "Telefonía fija" not in html


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("zone", ["Europe/Madrid", "America/New_York", "UTC"])
def test_the_pages_dates_and_numbers_read_as_flask_babels_own(language, zone):
    """i18n's per-page patterns (one locale lookup a page, not one a value) write what Flask-Babel does."""
    import datetime as dt

    import flask_babel
    from flask import g

    from fs_plugins.config import Config
    from fs_plugins.portal import i18n

    app = portal_app(Config())
    instants = [dt.datetime(2026, 3, 29, 0, 59), dt.datetime(2026, 3, 29, 1, 0), dt.datetime(2026, 12, 31, 23, 30),
                dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.timezone.utc)]
    with app.test_request_context("/", headers={"Accept-Language": language}):
        g.tenant_row = Tenant(timezone=zone, language=language)
        for value in instants:
            for style in ("short", "medium", "long", "full", "dd.MM.yyyy HH:mm"):
                assert i18n.when(value, style) == flask_babel.format_datetime(value, style), (value, style)
            assert i18n.clock(value) == flask_babel.format_time(value, "short")
            assert i18n.day(value) == flask_babel.format_date(value, "medium")
        assert i18n.number(1234567) == flask_babel.format_decimal(1234567)


def test_a_call_log_page_asks_for_the_catalog_once_not_once_a_row(browser, monkeypatch):
    """Each row's status label used to go through Flask-Babel's catalog lookup (about 25 µs each)."""
    import flask_babel

    from fs_plugins.calllog.classify import Status
    from fs_plugins.models import User
    from fs_plugins.models.calllog import CallEntry
    from tests.portal_world import USER

    ana = User.get(User.extension == "1001")
    for n in range(50):
        CallEntry.create(tenant=ana.tenant, user=ana, call_id=f"c{n}", kind="missed", status=Status.MISSED.code,
                         direction="inbound", started_at=1_790_000_000 + 60 * n, caller_name=f"Caller {n}",
                         caller_number="+34911234567", callee="1001", answered_by="", ring_seconds=18, talk_seconds=0)
    browser.sign_in(USER)
    lookups = []
    looked_up = flask_babel.Domain.get_translations
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: lookups.append(1) or looked_up(self))
    html = browser.get("/me/calls").data.decode()
    assert html.count('<tr class="status-missed">') == 50 and html.count("Perdido") >= 50
    assert len(lookups) == 1
    lookups.clear()
    assert browser.get("/me/forwards").status_code == 200
    assert len(lookups) == 1


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_templates_gettext_writes_what_jinjas_newstyle_gettext_does(language):
    """_() and gettext ask the page's catalog directly (one call, not Jinja's three): the same text,
    escaped and %-formatted as Jinja's own newstyle gettext writes it."""
    import jinja2

    from fs_plugins.config import Config
    from fs_plugins.portal import i18n

    app = portal_app(Config())
    jinjas = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    jinjas.install_gettext_callables(gettext=lambda text: i18n.translations().ugettext(text),
                                     ngettext=lambda s, p, n: i18n.translations().ungettext(s, p, n), newstyle=True)
    source = ('{{ _("Forward saved: %(when)s → %(to)s.", when="<b>busy</b>", to="a & b") }}|{{ _("Search") }}|'
              '{{ gettext("Forward removed: %(when)s.", when="50%") }}|{{ _("100%% <sure>") }}|'
              '{% autoescape false %}{{ _("Forward removed: %(when)s.", when="<i>") }}{% endautoescape %}|'
              '{% trans n=2 %}Forward removed: {{ n }}.{% endtrans %}')
    with app.test_request_context("/", headers={"Accept-Language": language}):
        ours = app.jinja_env.from_string(source).render()
        assert ours == jinjas.from_string(source).render()
    assert "&lt;b&gt;busy&lt;/b&gt;" in ours and "a &amp; b" in ours and "100% <sure>" in ours and "<i>" in ours
