"""What every portal page needs and is the same from one view to the next is found once, not on each
view (benches/portal_instructions.py counts a B7 page view's instructions): the menu's links, the
views' label tables, the stylesheets' URLs, a date pattern's formatter. Each is still what the page
showed when it was found on every view, in the page's language and for the caller."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from babel import Locale
from babel import dates as babel_dates
from markupsafe import Markup

from fs_plugins.config import Config
from fs_plugins.portal import i18n, menu, translated
from fs_plugins.portal.views.me_forwards import WHEN
from fs_plugins.portal.views.me_calls import STATUS_LABELS
from tests.api_world import OWN, cheap_argon2  # noqa: F401 (fixture)
from tests.portal_world import ADMIN, USER, browser, portal_app, world  # noqa: F401
from tests.test_portal_sessions import Counted


def test_a_forwards_page_view_writes_nothing(browser, db, monkeypatch):
    """A GET reads: a write would also be a commit the xml_curl cache's watch has to look at."""
    browser.sign_in(USER)
    assert browser.get("/me/forwards").status_code == 200
    counted = Counted(db, monkeypatch)
    assert browser.get("/me/forwards").status_code == 200
    writes = [sql for sql in counted.statements if sql.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert counted.statements and not writes, writes


def test_the_menus_links_are_built_once_per_caller_and_language_and_mark_the_page_shown(browser, monkeypatch):
    built = []
    url_for = menu.url_for
    monkeypatch.setattr(menu, "url_for", lambda endpoint, **values: built.append(endpoint) or url_for(endpoint, **values))
    browser.sign_in(USER)
    first = browser.get("/me/calls").data.decode()
    assert "me.forwards" in built and '<a href="/me/calls" aria-current="page">' in first
    built.clear()
    again = browser.get("/me/forwards").data.decode()
    assert built == []  # every link as the first page built it
    assert '<a href="/me/forwards" aria-current="page">' in again and '<a href="/me/calls">' in again
    assert ">Registro de llamadas</a>" in again
    browser.client.set_cookie(i18n.COOKIE, "en")
    english = browser.get("/me/forwards").data.decode()
    assert ">Call log</a>" in english and "Registro de llamadas" not in english


def test_an_admins_menu_leads_to_the_customer_of_the_url(browser):
    browser.sign_in(ADMIN)
    html = browser.get(f"/t/{OWN}/users").data.decode()
    assert f'<a href="/t/{OWN}/numbers">' in html and f'<a href="/t/{OWN}/users" aria-current="page">' in html
    assert f'<a href="/t/{OWN}/users">' in browser.get("/").data.decode()


@pytest.mark.parametrize("mounted", ["", "/portal"])
def test_the_stylesheets_and_scripts_are_linked_where_the_portal_is_mounted(browser, mounted):
    browser.sign_in(USER)
    for _ in range(2):  # the second from what the first found
        html = browser.get("/account/password", environ_overrides={"SCRIPT_NAME": mounted}).data.decode()
        assert f'<link rel="stylesheet" href="{mounted}/static/portal.css">' in html
        assert f'<script src="{mounted}/static/vendor/htmx.min.js" defer></script>' in html


def test_a_views_label_table_is_translated_once_per_language_and_shared_read_only():
    app = portal_app(Config())
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        spanish = i18n.page_text(WHEN)
        labels = i18n.page_text(STATUS_LABELS)
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        assert i18n.page_text(WHEN) is spanish and i18n.page_text(STATUS_LABELS) is labels
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = i18n.page_text(WHEN)
    assert dict(spanish)["busy"] == "Si estoy ocupado" and dict(english)["busy"] == "When I am busy"
    with pytest.raises(TypeError):
        labels["x"] = "y"  # every page shares it


def test_tables_made_per_page_are_translated_and_never_push_the_constants_out_for_good():
    app = portal_app(Config())
    with app.test_request_context("/", headers={"Accept-Language": "es"}):
        for _ in range(i18n._TRANSLATED_MAX + 10):
            assert i18n.page_text([("busy", WHEN[2][1])]) == (("busy", "Si estoy ocupado"),)
        assert len(i18n._TRANSLATED) <= i18n._TRANSLATED_MAX
        assert i18n.page_text(WHEN) is i18n.page_text(WHEN)  # a full cache still keeps what pages share


@pytest.mark.parametrize("language", ["es", "en", "de", "ja", "ar"])
def test_a_date_patterns_formatter_writes_what_babel_does(language):
    """Number fields computed by the formatter, names (months, day periods, weekdays) and zones asked
    of Babel: every style and a few patterns of their own, over instants from year 1 to 9999."""
    locale, rng = Locale.parse(language), random.Random(7)
    page = i18n._PageLocale(locale, dt.timezone.utc)
    zones = [dt.timezone.utc, dt.timezone(dt.timedelta(hours=-5)), dt.timezone(dt.timedelta(hours=5, minutes=30))]
    for style in ("short", "medium", "long", "full", "dd.MM.yyyy HH:mm", "yy-M-d h:mm:ss a K k", "EEEE d MMM y, LL"):
        pattern = i18n._datetime_pattern(page, style)
        for _ in range(200):
            value = dt.datetime(rng.randint(1, 9999), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                                rng.randint(0, 59), rng.randint(0, 59), tzinfo=rng.choice(zones))
            expected = babel_dates.parse_pattern(pattern).apply(value, locale)
            assert i18n._formatter(pattern, locale)(value) == expected, (style, value)


def test_the_call_logs_rows_keep_their_time_and_cause(browser):
    """The rows' ISO time and cause label through the template's filters, not method calls."""
    from zoneinfo import ZoneInfo

    from fs_plugins.calllog.classify import VOICEMAIL, Status
    from fs_plugins.models import User
    from fs_plugins.models.calllog import CallEntry

    ana = User.get(User.extension == "1001")
    for n, cause in enumerate((VOICEMAIL, "unheard-of")):
        CallEntry.create(tenant=ana.tenant, user=ana, call_id=f"c{n}", kind="made", status=Status.CANCELLED.code,
                         direction="outbound", started_at=1_790_000_000 + 60 * n, caller_name="", cause=cause,
                         caller_number="1001", callee="600123456", answered_by="", ring_seconds=18, talk_seconds=0)
    browser.sign_in(USER)
    html = browser.get("/me/calls").data.decode()
    started = dt.datetime.fromtimestamp(1_790_000_000, ZoneInfo(ana.tenant.timezone or "UTC"))
    assert f'<time datetime="{started.isoformat()}">' in html
    assert "Atendida por el buzón de voz" in html and "unheard-of" in html


def test_a_forward_saved_shows_the_settings_the_change_answered_without_reading_them_again(browser, monkeypatch):
    from fs_plugins.callhandling import app as callhandling

    browser.sign_in(USER)
    token = browser.get("/me/forwards").data.decode().split('name="csrf_token" value="')[1].split('"')[0]
    read, show = [], callhandling.show
    monkeypatch.setattr(callhandling, "show", lambda *args: read.append(args) or show(*args))
    saved = browser.client.post("/me/forwards/busy", data={"csrf_token": token, "kind": "voicemail", "action": "set"})
    assert saved.status_code == 200 and read == []
    html = saved.data.decode()
    assert "Desvío guardado" in html and html.count("buzón de voz") >= 1
    assert html.split('id="forward-busy"')[1].split("</form>")[0].count("Ahora a") == 1
    refused = browser.client.post("/me/forwards/busy", data={"csrf_token": token, "kind": "user", "target": "9999",
                                                            "action": "set"})
    assert refused.status_code == 422 and len(read) == 1  # nothing changed: the page reads what is stored


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_page_and_its_language_switch_name_the_pages_language(browser, language):
    """base.html asks for the page's language once and uses it three times."""
    browser.sign_in(USER)
    browser.client.set_cookie(i18n.COOKIE, language)
    html = browser.get("/account/password").data.decode()
    assert html.startswith(f'<!doctype html>\n<html lang="{language}" data-theme="light">')
    pressed = [part.split('value="')[1][:2] for part in html.split('name="language"')[1:] if 'aria-pressed="true"' in
               part.split("</button>")[0]]
    assert pressed == [language]


def test_the_directorys_number_kinds_are_translated_once_a_page_not_once_a_number(browser, monkeypatch):
    """Each number's kind was a lazy string rendered through Flask-Babel's gettext (a catalog lookup each)."""
    import flask_babel

    from fs_plugins.models import User
    from fs_plugins.models.contacts import Contact, ContactNumber

    tenant = User.get(User.extension == "1001").tenant
    for n in range(30):
        contact = Contact.create(tenant=tenant, name=f"Proveedor {n:02d}")
        ContactNumber.create(contact=contact, tenant=tenant, kind="mobile", number=f"6001000{n:02d}",
                             e164=f"+346001000{n:02d}")
    browser.sign_in(USER)
    lookups, looked_up = [], flask_babel.Domain.get_translations
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: lookups.append(1) or looked_up(self))
    html = browser.get("/me/directory").data.decode()
    assert html.count("Móvil: <a") >= 30 and len(lookups) == 1


def test_the_portals_templates_escape_with_the_cheaper_call_and_a_shown_value_is_still_escaped(browser):
    """markupsafe.escape's Markup.__new__ frame, ~600 times a call log page, is skipped for a plain str."""
    from fs_plugins.models import User
    from fs_plugins.portal import escaping

    browser.sign_in(USER)
    browser.get("/me/calls")
    compiled = _page_environment(browser).get_template("me/calls.html")  # the one that page was shown with
    assert compiled.root_render_func.__globals__["escape"] is escaping.escape
    ana = User.get(User.extension == "1001")
    ana.display_name = 'Ana <script>alert("x")</script> & Co\'s'
    ana.save()
    html = browser.get("/").data.decode() + browser.get("/me/forwards").data.decode()
    assert "<script>alert" not in html
    assert "Ana &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co&#39;s" in html


class _Text(str):
    pass


class _Markup(Markup):
    pass


class _Html:
    def __html__(self):
        return "<b>kept</b>"


@pytest.mark.parametrize("value", ['a<b>&"\'', "", "plain", "ñandú €", _Text("<i>"), _Html(), 5, -12, 10**30, True, 1.5,
                                   None, Markup("<b>a &amp; b</b>"), Markup(""), _Markup("<i>")])
def test_the_cheaper_escape_gives_what_markupsafe_gives(value):
    from markupsafe import escape as markupsafe_escape

    from fs_plugins.portal import escaping

    ours, theirs = escaping.escape(value), markupsafe_escape(value)
    assert ours == theirs and type(ours) is type(theirs)


def test_a_pages_macros_and_numbers_are_written_without_markupsafes_escape(browser, monkeypatch):
    """A macro's output, the forms' hidden field and a number were each escaped by markupsafe (a copy of
    a Markup made through Markup.__new__): about 45 a view of the forwards page."""
    from fs_plugins.portal import escaping

    browser.sign_in(USER)
    browser.get("/me/forwards")
    escaped, real = [], escaping.markup_escape
    monkeypatch.setattr(escaping, "markup_escape", lambda value: escaped.append(type(value)) or real(value))
    html = browser.get("/me/forwards").data.decode()
    assert '<label for="f-always-kind">' in html and 'name="csrf_token"' in html
    assert len(escaped) < 5, escaped


def _thirty_made_calls(prefix: str) -> None:
    """Thirty calls user 1001 made, a minute apart (call ids prefix0…prefix29)."""
    from fs_plugins.calllog.classify import Status
    from fs_plugins.models import User
    from fs_plugins.models.calllog import CallEntry

    ana = User.get(User.extension == "1001")
    for n in range(30):
        CallEntry.create(tenant=ana.tenant, user=ana, call_id=f"{prefix}{n}", kind="made", status=Status.MADE.code,
                         direction="outbound", started_at=1_790_000_000 + 60 * n, caller_name="", cause="",
                         caller_number="1001", callee="600123456", answered_by="", ring_seconds=3, talk_seconds=9)


def test_the_call_logs_rows_ask_the_status_table_not_each_status(browser, monkeypatch):
    """A row's code, colour and label come from the page's table (status_looks): the status' own
    properties are asked once per status a page, not once per row (thirty rows here)."""
    from fs_plugins.calllog.classify import Status

    _thirty_made_calls("s")
    browser.sign_in(USER)
    asked, code = [], Status.code

    def counting(status):
        asked.append(status)
        return code.fget(status)

    monkeypatch.setattr(Status, "code", property(counting))
    html = browser.get("/me/calls").data.decode()
    assert html.count('<tr class="status-made">') == 30
    assert len(asked) <= len(Status), len(asked)


_SAME_TEXT_TEMPLATES = {
    "base.html": "<title>{% block title %}{{ title }}{% endblock %}</title>{% block body %}<p>{{ 1 + 1 }} & {{ x }}</p>"
                 "{% endblock %}<i>{{ x }}{{ y }}</i>",
    "page.html": "{% extends 'base.html' %}outside {{ x }} is dropped{% block title %}T{{ x }}-{{ super() }}{% endblock %}"
                 "{% block body %}{% import 'macros.html' as m %}{% for row in rows %}<tr><td>{{ row }}</td>"
                 "<td>{{ m.cell(row, x) }}</td>{% if loop.last %}!{% endif %}</tr>{% else %}none{% endfor %}"
                 "{% set kept %}<b>{{ x }}</b>{{ y }}{% endset %}{{ kept }}{% filter upper %}a{{ x }}b{% endfilter %}"
                 "{% autoescape false %}{{ x }}{{ y }}{% endautoescape %}{% call m.wrap() %}in {{ x }}{% endcall %}"
                 "{{ 'constant' }}{{ 3 }}{% endblock %}",
    "macros.html": "{% macro cell(a, b) %}[{{ a }}|{{ b }}]{% endmacro %}"
                   "{% macro wrap() %}<div>{{ caller() }}</div>{% endmacro %}",
}


@pytest.mark.parametrize("rows", [[], ["a<b", 2, "ñ"]])
def test_the_portals_code_generator_writes_the_text_jinjas_own_writes(rows):
    """Blocks, super(), an extends' dropped output, loops with else, macros, call and filter blocks,
    `set` blocks, autoescape switched off: the same text, escaped the same."""
    from jinja2 import DictLoader, Environment

    from fs_plugins.portal.codegen import PortalCodeGenerator

    theirs = Environment(loader=DictLoader(_SAME_TEXT_TEMPLATES), autoescape=True)
    ours = Environment(loader=DictLoader(_SAME_TEXT_TEMPLATES), autoescape=True)
    ours.code_generator_class = PortalCodeGenerator
    values = {"x": "<x & 'y'>", "y": None, "title": "T", "rows": rows}
    for name in ("base.html", "page.html"):
        assert ours.get_template(name).render(values) == theirs.get_template(name).render(values)


def test_a_call_log_row_is_yielded_as_few_pieces_not_one_per_value(browser):
    """Each piece a template yields passes through the block's, the page's and base.html's generators:
    a row of the call log is one or two pieces (its note apart), not the twenty Jinja writes."""
    _thirty_made_calls("y")
    browser.sign_in(USER)
    browser.get("/me/calls")
    pieces = []
    template = _page_environment(browser).get_template("me/calls.html")
    real = template.root_render_func

    def counted(context):
        for piece in real(context):
            pieces.append(piece)
            yield piece

    template.root_render_func = counted
    try:
        html = browser.get("/me/calls").data.decode()
    finally:
        template.root_render_func = real
    assert html.count('<tr class="status-made">') == 30
    assert len(pieces) < 30 * 6, len(pieces)


def test_a_templates_strings_are_translated_without_copying_the_page_context(browser, monkeypatch):
    """_() reads only whether the output is escaped: Jinja copies the whole context for a function that
    takes it when called inside a loop or a block that sets a variable (the forwards page: 37 copies)."""
    from jinja2.runtime import Context

    browser.sign_in(USER)
    browser.get("/me/forwards")
    copies, derived = [], Context.derived
    monkeypatch.setattr(Context, "derived", lambda self, *args: copies.append(1) or derived(self, *args))
    html = browser.get("/me/forwards").data.decode()
    assert '<h2 id="h-forwards">Desvío de llamadas</h2>' in html
    assert copies == [], len(copies)


def test_the_call_logs_rows_are_shown_from_one_tuple_a_row_not_a_dozen_template_lookups(browser, monkeypatch):
    """A row's values are found in the view (me_calls._rows), unpacked by the template: Jinja's getattr
    and filter calls were a dozen a row (fifty rows a page)."""
    from fs_plugins.calllog.classify import Status
    from fs_plugins.models import User
    from fs_plugins.models.calllog import CallEntry
    from fs_plugins.models.callflows import FlowNote

    ana = User.get(User.extension == "1001")
    for n in range(30):
        CallEntry.create(tenant=ana.tenant, user=ana, call_id=f"g{n}", kind="made", status=Status.CANCELLED.code,
                         direction="outbound", started_at=1_790_000_000 + 60 * n, caller_name="", cause="busy",
                         caller_number="1001", callee="60012<3>", answered_by="", ring_seconds=3, talk_seconds=3671)
    FlowNote.create(tenant=ana.tenant, call_uuid="g7", flow="survey", note="nota & <b>")
    browser.sign_in(USER)
    environment = _page_environment(browser)
    asked, real = [], environment.getattr
    monkeypatch.setattr(environment, "getattr", lambda obj, name: asked.append(name) or real(obj, name))
    html = browser.get("/me/calls").data.decode()
    assert html.count('<tr class="status-cancelled">') == 30 and html.count("<td>60012&lt;3&gt;</td>") == 30
    assert html.count('<td class="num">1:01:11</td>') == 30 and html.count('<td class="num">0:03</td>') == 30
    assert html.count('<td class="cause">Ocupado</td>') == 29
    assert '<td class="cause">Ocupado\n          <small class="flow-note">nota &amp; &lt;b&gt;</small></td>' in html
    assert 0 < len(asked) < 30 * 3, len(asked)  # the page's (drawn in this environment), none a row


def test_the_rows_formatter_shows_an_instant_as_the_when_filter_does():
    from zoneinfo import ZoneInfo

    app = portal_app()
    instants = [None, dt.datetime(2026, 1, 5, 23, 30), dt.datetime(2026, 7, 1, 6, 5, tzinfo=dt.timezone.utc),
                dt.datetime(2026, 3, 29, 1, 0, tzinfo=ZoneInfo("Europe/Madrid"))]
    for language in i18n.LANGUAGES:
        with app.test_request_context(headers={"Cookie": f"{i18n.COOKIE}={language}"}):
            shown = i18n.when_formatter()
            assert [shown(value) for value in instants] == [i18n.when(value) for value in instants]


def test_the_menu_is_rendered_once_per_page_and_caller_and_still_marks_the_page_shown(browser, monkeypatch):
    """base.html's left menu was rendered on every view: a dozen links, each asked for its URL, label and
    mark through Jinja's getattr and escaped. Now once per page shown, caller's links and language."""
    browser.sign_in(USER)
    first = browser.get("/me/forwards").data.decode()
    environment = _page_environment(browser)
    asked, real = [], environment.getattr
    monkeypatch.setattr(environment, "getattr", lambda obj, name: asked.append((type(obj), name)) or real(obj, name))
    again = browser.get("/me/forwards").data.decode()
    assert again == first.replace(_csrf_of(first), _csrf_of(again))
    assert asked and [name for kind, name in asked if kind in (menu.Section, menu.Entry)] == []  # drawn here
    assert '<a href="/me/forwards" aria-current="page">' in again and '<a href="/me/calls">' in again
    calls = browser.get("/me/calls").data.decode()
    assert '<a href="/me/calls" aria-current="page">' in calls and '<a href="/me/forwards">' in calls
    browser.client.set_cookie(i18n.COOKIE, "en")
    english = browser.get("/me/forwards").data.decode()
    assert '<nav class="menu" aria-label="Main menu">' in english and ">Call log</a>" in english


def _page_environment(browser):
    """The environment the world's pages are compiled in: Spanish, the tenant's language."""
    return translated.environment_for(browser.app, "es")


def _csrf_of(html: str) -> str:
    import re

    return re.search(r'name="csrf_token" value="([^"]*)"', html).group(1)


def test_a_pages_import_of_the_form_macros_takes_the_module_jinja_keeps_without_a_loop_over_the_globals(
        browser, monkeypatch):
    """Jinja subtracted the macros template's globals (a ChainMap's keys view: a Python loop over each
    of the portal's globals) from the page's on every {% import %} of every view: ~80 µs a view."""
    from collections.abc import KeysView

    browser.sign_in(USER)
    browser.get("/me/forwards")
    subtracted, rsub = [], KeysView.__rsub__
    monkeypatch.setattr(KeysView, "__rsub__", lambda self, other: subtracted.append(other) or rsub(self, other))
    html = browser.get("/me/forwards").data.decode()
    assert '<label for="f-always-kind">' in html and subtracted == []


def test_macros_imported_by_a_page_with_globals_of_its_own_still_see_them():
    """What Jinja does for such a page (a module made for it), not the module kept for the others."""
    from jinja2 import DictLoader, Environment

    from fs_plugins.portal import escaping

    page = "{% import 'm.html' as m %}{{ m.f() }}"
    environment = Environment(loader=DictLoader({"m.html": "{% macro f() %}[{{ extra }}]{% endmacro %}"}))
    escaping.install(environment)
    assert environment.from_string(page).render() == "[]"
    assert environment.from_string(page, globals={"extra": "E"}).render() == "[E]"
    assert environment.from_string(page).render() == "[]"


def test_a_pages_constant_strings_are_translated_when_it_is_compiled_not_on_every_view(browser, monkeypatch):
    """A template's _("…") on a constant string was Jinja's context call and a catalog lookup on every
    view (about 50 a forwards page): its language's compiled template holds the translation as text.
    A page in another language is compiled in that one."""
    from babel.support import Translations

    browser.sign_in(USER)
    browser.get("/me/forwards")
    asked, real = [], Translations.ugettext
    monkeypatch.setattr(Translations, "ugettext", lambda self, message: asked.append(message) or real(self, message))
    html = browser.get("/me/forwards").data.decode()
    assert '<h2 id="h-forwards">Desvío de llamadas</h2>' in html and ">Guardar</button>" in html
    assert len(asked) < 5, asked
    browser.client.set_cookie(i18n.COOKIE, "en")
    english = browser.get("/me/forwards").data.decode()
    assert '<h2 id="h-forwards">Call forwarding</h2>' in english and ">Save</button>" in english
    assert "Desvío" not in english and "Guardar" not in english


_STRINGS = ('{{ _("Forward saved: %(when)s → %(to)s.", when="<b>busy</b>", to="a & b") }}|{{ _("Search") }}|'
            '{{ gettext("Forward removed: %(when)s.", when="50%") }}|{{ _("100%% <sure>") }}|'
            '{% autoescape false %}{{ _("Forward removed: %(when)s.", when="<i>") }}{{ _("Search") }}'
            '{% endautoescape %}|{% trans n="<n>" %}Forward removed: {{ n }}.{% endtrans %}|'
            '{% set label = _("Call log") %}{{ label }}|{{ _("Save")|upper }}|{{ gettext_raw("general box") }}|'
            '{{ (gettext_raw("Forward removed: %(when)s.") % {"when": "<x>"}) }}|{{ "%s" % _("Search") }}|'
            '{% macro shown(text) %}[{{ text }}]{% endmacro %}{{ shown(_("Call log")) }}')


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_template_compiled_in_a_language_writes_what_the_translation_at_each_view_writes(language, monkeypatch):
    """Escaped where the output is, %-formatted with the call's arguments (escaped), autoescape switched
    off, trans blocks, gettext_raw's plain text, a translation passed on to a filter or a macro."""
    from babel.support import Translations

    app = portal_app(Config())
    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}={language}"}):
        at_each_view = app.jinja_env.from_string(_STRINGS).render()
        compiled = translated.page_environment().from_string(_STRINGS)
        asked, real = [], Translations.ugettext
        monkeypatch.setattr(Translations, "ugettext", lambda self, message: asked.append(message) or real(self, message))
        assert compiled.render() == at_each_view
        assert asked == []
    assert ("Buscar" in at_each_view) is (language == "es")


def test_a_name_the_template_binds_itself_is_called_not_translated_when_it_is_compiled():
    """`_` or `gettext` set, looped over or taken as a macro's parameter is the template's own:
    its calls are left to run, whatever the portal's function of that name would have said."""
    source = ('{% set _ = "x".format %}{{ _("Search") }}|'
              '{% macro shown(gettext) %}{{ gettext("Search") }}{% endmacro %}{{ shown("y".format) }}|'
              '{% for gettext_raw in ["z".format] %}{{ gettext_raw("Search") }}{% endfor %}|{{ gettext("Search") }}')
    app = portal_app(Config())
    with app.test_request_context("/", headers={"Cookie": f"{i18n.COOKIE}=es"}):
        assert translated.page_environment().from_string(source).render() == "x|y|z|Buscar"


def test_what_a_kind_of_caller_may_open_is_decided_once_not_for_every_menu_level_on_every_page(browser, monkeypatch):
    """The menu asked the guard about each of its five levels on every page (each check a dict of
    every level's rule); the areas of a role, with or without an extension, are the same for all."""
    from fs_plugins.access.principal import Principal

    browser.sign_in(ADMIN)
    browser.get(f"/t/{OWN}/users")
    asked, real = [], Principal.has_self
    monkeypatch.setattr(Principal, "has_self", property(lambda self: asked.append(1) or real.fget(self)))
    html = browser.get(f"/t/{OWN}/users").data.decode()
    assert f'<a href="/t/{OWN}/numbers">' in html and "/me/forwards" not in html  # an admin without an extension
    assert browser.get("/me/forwards").status_code == 404
    assert len(asked) <= 4, len(asked)  # two a page: the guard's and the menu's
