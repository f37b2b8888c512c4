"""Which language and time zone a page is shown in, and how values read in them.

The language is, in order: the one the person chose with the switch in the page footer (a cookie),
their tenant's language, what the browser asks for, Spanish. Times are stored in UTC and shown in
the tenant's time zone (UTC for the operator). Every string of the templates and views goes through
gettext (Flask-Babel); the Spanish catalog is translations/es, English is the source language.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import g, request
from flask_babel import get_locale, get_timezone, get_translations
from flask_babel import gettext as flask_gettext
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from markupsafe import Markup

from fs_plugins.portal import app_errors

LANGUAGES = ("es", "en")
DEFAULT = "es"
COOKIE = "centralita_lang"


def language() -> str:
    chosen = request.cookies.get(COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    tenant = g.get("tenant_row")
    if tenant is not None and (tenant.language or "")[:2].lower() in LANGUAGES:
        return tenant.language[:2].lower()
    return request.accept_languages.best_match(LANGUAGES, DEFAULT)


def page_language() -> str:
    """The page's language ("es"), as Flask-Babel chose it: found once a request (Babel's Locale writes
    its identifier anew on each str(), about 8 µs; the menu and the templates' environment ask)."""
    found = g.get("_page_language")
    if found is None:
        found = g._page_language = str(get_locale())
    return found


def translations():
    """The page's catalog, looked up once a request. Flask-Babel's own template gettext asks for it on
    every string (the app's extension, the locale, its name, a cache key): about 0.1 ms each, which a
    list of 100 users with eight labels a row paid 800 times (B7: /t/…/users at 67 ms of CPU)."""
    found = g.get("_page_translations")
    if found is None:
        found = g._page_translations = get_translations()
    return found


def install_template_gettext(environment) -> None:
    """The templates' _(), gettext, ngettext, pgettext through `translations()` (newstyle, as
    Flask-Babel installs them: autoescaped, formatted with their keyword arguments). _() and gettext
    are one function that asks the catalog itself: Jinja's own _() calls gettext, which calls the
    catalog's function, each through the template context's call (three calls a string, ~30 strings
    a page: about a tenth of a portal page's CPU, cProfile on B7's portal steps)."""
    environment.install_gettext_callables(
        gettext=lambda text: translations().ugettext(text),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(context, singular, plural, n),
        newstyle=True)
    environment.globals.update(_=template_gettext, gettext=template_gettext)


@pass_eval_context
def template_gettext(eval_ctx, message: str, **variables) -> str:
    """Jinja's newstyle gettext (jinja2.ext), the catalog asked directly: escaped as the template
    is, always %-formatted (a literal % is written %%). It reads only the evaluation context (is
    the output escaped?): Jinja's own takes the whole context, which a call inside a loop or a
    block that sets a variable gets as a copy made for the call (all the page's names, its blocks):
    37 copies a view of the forwards page (B7). A call on a constant string is answered when the
    template is compiled for the page's language (translated.py, by these same rules): this one is
    left the calls on a variable's text."""
    found = translations().ugettext(message)
    if not variables and "%" not in found:
        # what % would give back (nothing to fill, no %% to unescape), without Markup's escaping
        # formatter: most of a page's strings are plain labels
        return Markup(found) if eval_ctx.autoescape else found
    if eval_ctx.autoescape:
        found = Markup(found)
    return found % variables


def gettext_raw(text: str) -> str:
    """A translation not yet filled in, for a template to fill per row with `|format` (a plain str:
    the filled text is escaped as any other value)."""
    return translations().ugettext(text)


def timezone() -> str:
    tenant = g.get("tenant_row")
    return tenant.timezone if tenant is not None and tenant.timezone else "UTC"


def text(message) -> str:
    """A view's string (plain, or lazy from `_l`) in the page's language through the page's catalog:
    a lazy string's own str() asks Flask-Babel for the catalog again (about 25 µs each)."""
    if isinstance(message, LazyString) and message._func is flask_gettext and not message._kwargs:
        return translations().ugettext(*message._args)
    return str(message)


def page_text(labels):
    """A view's table of labels (a module's constant: a dict, or (value, label) pairs) translated for
    the page, so a row's label is a lookup: the call log asked for each row's status label through the
    catalog (B7: /me/calls at 18 ms of CPU a view, 50 rows). Translated once per catalog, not on every
    page (the forwards page has seven tables, the call log five). A dict comes back read-only: every
    page shares it."""
    catalog = translations()
    found = _TRANSLATED.get((id(catalog), id(labels)))
    if found is not None and found[0] is catalog and found[1] is labels:
        _TRANSLATED.move_to_end((id(catalog), id(labels)))
        return found[2]
    if isinstance(labels, dict):
        translated = MappingProxyType({key: text(label) for key, label in labels.items()})
    else:
        translated = tuple((key, text(label)) for key, label in labels)
    # Least recently used out: a table made per page (or the catalogs of an app gone) must not fill
    # the cache and leave the constants untranslated-per-page for the rest of the process.
    _TRANSLATED[id(catalog), id(labels)] = (catalog, labels, translated)  # both kept: their ids stay theirs
    if len(_TRANSLATED) > _TRANSLATED_MAX:
        _TRANSLATED.popitem(last=False)
    return translated


_TRANSLATED: OrderedDict[tuple[int, int], tuple] = OrderedDict()
_TRANSLATED_MAX = 512  # the portal's tables times its languages, with room


@dataclass
class _PageLocale:
    """The page's locale, time zone and the date patterns built for it, found once a request."""

    locale: Locale
    zone: dt.tzinfo
    patterns: dict[str, str] = field(default_factory=dict)
    formats: dict[str, Callable[[dt.datetime], str]] = field(default_factory=dict)  # `when`'s, by style


def _page_locale() -> _PageLocale:
    found = g.get("_page_locale")
    if found is None:
        found = g._page_locale = _PageLocale(get_locale(), get_timezone())
    return found


def _datetime_pattern(page: _PageLocale, style: str) -> str:
    """Babel's date-and-time of `style` as one pattern ("d/M/yy, H:mm"): Babel formats the date and
    the time apart and glues them on every call; the glue's quoted literals stay quoted here."""
    pattern = page.patterns.get(style)
    if pattern is None:
        if style not in ("short", "medium", "long", "full"):
            pattern = style  # a pattern of its own
        else:
            glue = babel_dates.get_datetime_format(style, page.locale)
            pattern = (glue.replace("{0}", babel_dates.get_time_format(style, page.locale).pattern)
                       .replace("{1}", babel_dates.get_date_format(style, page.locale).pattern))
        page.patterns[style] = pattern
    return pattern


def _in_zone(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(zone)


def when(value: dt.datetime | None, style: str = "short") -> str:
    """A stored (naive UTC) instant in the page's time zone and language."""
    if value is None:
        return ""
    page = _page_locale()
    return _page_format(page, style)(_in_zone(value, page.zone))


def when_formatter(style: str = "short") -> Callable[[dt.datetime | None], str]:
    """`when` for a page's rows: the page's locale, zone and formatter found once for the table,
    not on each row (the call log's fifty)."""
    page = _page_locale()
    format_, zone = _page_format(page, style), page.zone

    def shown(value: dt.datetime | None) -> str:
        return "" if value is None else format_(_in_zone(value, zone))

    return shown


def _page_format(page: _PageLocale, style: str) -> Callable[[dt.datetime], str]:
    format_ = page.formats.get(style)
    if format_ is None:
        format_ = page.formats[style] = _formatter(_datetime_pattern(page, style), page.locale)
    return format_


# Babel's number fields (dates.DateTimeFormat) that depend on the value alone, each as '%0*d' of its
# length: d, H, h, K, k, m, s, and M, L, y written with at most two letters (y: any, its last two digits
# when two). Babel builds a DateTimeFormat and reads every field through its dispatch, fifty times a
# call log page.
_NUMBER_FIELDS = {
    "d": lambda value: value.day, "H": lambda value: value.hour, "h": lambda value: value.hour % 12 or 12,
    "K": lambda value: value.hour % 12, "k": lambda value: value.hour or 24, "m": lambda value: value.minute,
    "s": lambda value: value.second, "M": lambda value: value.month, "L": lambda value: value.month,
    "y": lambda value: value.year,
}
_FIELD = re.compile(r"%\((\w+)\)s")


@functools.lru_cache(maxsize=64)
def _formatter(pattern: str, locale: Locale):
    """`pattern` in `locale` as a function of a datetime, giving what Babel's format gives: its number
    fields computed here, any other field (a month's or a day period's name, a zone) asked of Babel."""
    parsed = babel_dates.parse_pattern(pattern)
    plan = []
    for name in dict.fromkeys(_FIELD.findall(parsed.format)):
        number = _NUMBER_FIELDS.get(name[0])
        if number is not None and (name[0] not in "ML" or len(name) <= 2):
            plan.append((name, number, len(name)))
        else:
            plan.append((name, None, 0))

    def format_(value: dt.datetime) -> str:
        fields, babel = {}, None
        for name, number, length in plan:
            if number is None:
                babel = babel or babel_dates.DateTimeFormat(value, locale)
                fields[name] = babel[name]
            elif length == 2 and name[0] == "y":
                fields[name] = "%02d" % (number(value) % 100)
            else:
                fields[name] = "%0*d" % (length, number(value))
        return parsed.format % fields

    return format_


def wall(value: dt.datetime | str | None) -> str:
    """A local wall-clock time as it was written (a schedule's closure, in the schedule's own zone),
    in the page's language and never moved to another zone: "24 dic 2026, 14:00". ISO text is read."""
    if value is None or value == "":
        return ""
    value = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    locale = _page_locale().locale
    return (f"{babel_dates.format_date(value.date(), 'medium', locale=locale)}, "
            f"{babel_dates.format_time(value.time(), 'short', locale=locale)}")


def day(value: dt.date | dt.datetime | None, style: str = "medium") -> str:
    """A date, or the day an instant falls on in the page's time zone."""
    if value is None:
        return ""
    page = _page_locale()
    return babel_dates.format_date(_in_zone(value, page.zone) if isinstance(value, dt.datetime) else value, style,
                                   locale=page.locale)


def clock(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    page = _page_locale()
    return babel_dates.format_time(_in_zone(value, page.zone), "short", locale=page.locale)


def number(value) -> str:
    return "" if value is None else babel_numbers.format_decimal(value, locale=_page_locale().locale)


def duration(seconds: int | float | None) -> str:
    """1:05, 12:30, 1:02:03: the way a call's length is read on a phone's display."""
    if seconds is None:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def destination(label: str | None) -> str:
    """Where something goes, as the application layer describes it (`user:1001 (Ana García)`, what a
    person types back); the one English phrase it may hold, the general box's, in the page's language."""
    return (label or "").replace(GENERAL_BOX, "(" + gettext_raw("general box") + ")")


def label(value, labels):
    """`value`'s label in `labels` (page_text's), or `value` itself when it has none."""
    return labels.get(value, value)


GENERAL_BOX = "(general box)"  # fs_plugins.references.describe: "voicemail: (general box)"
FILTERS = {"app_error": app_errors.translate, "when": when, "wall": wall, "destination": destination, "day": day,
           "clock": clock, "number": number, "duration": duration}
