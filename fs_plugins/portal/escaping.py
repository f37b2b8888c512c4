"""The portal's templates escape their output with a cheaper call that gives the same text.

A page escapes every value it shows (autoescape): markupsafe.escape builds its Markup through
Markup.__new__, a Python frame that asks the text for __html__ again (a failed lookup, an
AttributeError made and dropped) — about 600 times a call log page (B7), the largest single cost of
its rows. For an exact str, the common case, the Markup is made here directly from the escaped
text; a Markup is already what escaping it gives, an int its digits; anything else (floats, lazy
strings, None, subclasses) goes to markupsafe.escape as before.
"""
from __future__ import annotations

from typing import Any

from flask.templating import Environment
from jinja2 import Template
from markupsafe import Markup
from markupsafe import escape as markup_escape

try:
    from markupsafe._speedups import _escape_inner
except ImportError:  # markupsafe without its C speedups, or one that renamed them: its own escape
    _escape_inner = None

_new_str = str.__new__


def escape(value: Any, /) -> Markup:
    """markupsafe.escape's result, without Markup.__new__'s frame for a plain str, an int (digits and
    a sign: nothing to escape) or a Markup (what markupsafe gives back is a copy of the same text: a
    macro's output, a form's hidden field, a translated string filled in; some 45 a forwards page)."""
    kind = type(value)
    if kind is str:
        return _new_str(Markup, _escape_inner(value))
    if kind is Markup:
        return value
    if kind is int:
        return _new_str(Markup, str(value))
    return markup_escape(value)


class PortalTemplate(Template):
    """A template whose compiled code calls `escape` above where Jinja's runtime would call markupsafe's:
    its code looks the name up in the namespace it was executed in, which this fills before use."""

    @classmethod
    def _from_namespace(cls, environment, namespace, globals):
        if _escape_inner is not None and namespace.get("escape") is markup_escape:
            namespace["escape"] = escape
        return super()._from_namespace(environment, namespace, globals)

    def _get_default_module(self, ctx=None):
        """Jinja's module of this template for an {% import %} (its macros), with the check for globals
        the importing page has and this template lacks done in C: Jinja subtracts this template's
        globals (a ChainMap's keys view) from the page's, a Python loop over every global of the
        portal on every import of every page view. Nothing lacking: the module Jinja caches, as Jinja
        answers then; else Jinja's own answer (a module made for that page)."""
        if ctx is not None and not ctx.globals_keys.difference(set(self.globals)):
            ctx = None
        return super()._get_default_module(ctx)


def install(environment: Environment) -> None:
    """Before the first template is loaded: the ones loaded later are PortalTemplates."""
    environment.template_class = PortalTemplate
