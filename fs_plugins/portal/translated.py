"""The portal's templates compiled once per language, their constant strings already translated.

A template's `_("Save")` was a call on every view: Jinja sends it through the context's call
(Context.call asks the function what it takes), then i18n's gettext asks the page's catalog. The
templates hold some 640 such strings, each the same text on every view in one language. So each
language has its own environment (an overlay of the app's: the same globals, filters, loader and
code generator, a cache of its own), whose code generator replaces a call of the templates' gettext
on a constant string by what that call answers in the language: the translation, made Markup where
the output is escaped, %-formatted with the call's keyword arguments (i18n.template_gettext's
rules). Jinja then folds a constant into the page's text like any other. What cannot be known when
the template is compiled (a variable's text, ngettext's count) is left to the runtime call.
"""
from __future__ import annotations

from flask import Flask, current_app, has_app_context
from flask_babel import force_locale, get_translations
from jinja2 import nodes
from jinja2.visitor import NodeTransformer

from fs_plugins.portal import i18n

EXTENSION = "centralita_translated"  # app.extensions[…]: {language: environment}
CACHE_SIZE = 400  # Jinja's default cache: every template of the portal, with room


def install(app: Flask) -> None:
    """Once the app's environment is complete (globals, filters, code generator, autoescape): what is
    set on it later is not seen by the overlays."""
    environments = {}
    for language in i18n.LANGUAGES:
        environment = app.jinja_env.overlay(cache_size=CACHE_SIZE)
        environment.portal_language = language
        environments[language] = environment
    app.extensions[EXTENSION] = environments


def environment_for(app: Flask, language: str):
    """`language`'s environment; the app's own for a language without one (strings translated as
    the page is rendered)."""
    return app.extensions[EXTENSION].get(language, app.jinja_env)


def page_environment():
    """The environment of the page being served: its language's."""
    return environment_for(current_app, i18n.page_language())


def translate_constants(template: nodes.Template, environment) -> nodes.Template:
    """`template` (as parsed) with its constant strings translated, when compiled for a language and
    its app's catalogs are at hand (within the app's context: Flask-Babel loads a catalog there, the
    one it gives the pages of that language). Otherwise unchanged: the runtime calls, right in any
    language."""
    language = getattr(environment, "portal_language", None)
    if language is None or not has_app_context() or current_app._get_current_object() is not environment.app:
        return template
    bound = {name.name for name in template.find_all(nodes.Name) if name.ctx in ("store", "param")}
    return _Translator(_catalog(environment, language), environment, bound).visit(template)


def _catalog(environment, language: str):
    """`language`'s catalog, as Flask-Babel gives it to that language's pages; looked up once an
    environment (Flask-Babel keeps it for the app's life too)."""
    catalog = getattr(environment, "portal_catalog", None)
    if catalog is None:
        with force_locale(language):
            catalog = environment.portal_catalog = get_translations()
    return catalog


class _Translator(NodeTransformer):
    def __init__(self, catalog, environment, bound: set[str] = frozenset()):
        self.catalog, self.environment = catalog, environment
        # the names bound to the portal's functions; a name the template binds itself ({% set %}, a
        # loop variable, a macro's parameter) may mean something else there: its calls stay calls
        self.gettext = {name for name in ("_", "gettext")
                        if environment.globals.get(name) is i18n.template_gettext and name not in bound}
        self.raw = {name for name in ("gettext_raw",)
                    if environment.globals.get(name) is i18n.gettext_raw and name not in bound}

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        self.generic_visit(node)  # a call among its arguments first
        message = _constant_message(node)
        if message is None:
            return node
        if node.node.name in self.gettext:
            found = self._translated(node, self.catalog.ugettext(message))
        elif node.node.name in self.raw and not node.kwargs:
            found = nodes.Const(self.catalog.ugettext(message))  # a plain str, as gettext_raw gives
        else:
            return node
        return found.set_lineno(node.lineno).set_environment(self.environment)

    @staticmethod
    def _translated(node: nodes.Call, found: str) -> nodes.Expr:
        """i18n.template_gettext's answer as an expression: Markup where escaped, then `%` its
        keyword arguments (none and no % in the text: the text as it is)."""
        text = nodes.MarkSafeIfAutoescape(nodes.Const(found))
        if not node.kwargs and "%" not in found:
            return text
        return nodes.Mod(text, nodes.Dict([nodes.Pair(nodes.Const(keyword.key), keyword.value)
                                           for keyword in node.kwargs]))


def _constant_message(node: nodes.Call) -> str | None:
    """The text of `name("text", key=value…)`, a call of a name on one constant string; else None."""
    if not (isinstance(node.node, nodes.Name) and node.node.ctx == "load" and len(node.args) == 1
            and node.dyn_args is None and node.dyn_kwargs is None):
        return None
    argument = node.args[0]
    return argument.value if isinstance(argument, nodes.Const) and type(argument.value) is str else None
