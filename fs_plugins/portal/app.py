"""The portal as one WSGI app, mounted at `/` of the web server (after /cdr, /phonebook, /api/v1).

This module only wires: the session guard, the languages, the templates' helpers, each space's
pages (one module each in views/), and the error pages.
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path

import peewee
from flask import Flask, current_app, g, request, url_for
from markupsafe import Markup
from flask_babel import Babel
from flask_babel import gettext as _

from fs_plugins import validate
from fs_plugins.config import Config
from fs_plugins.dbpool import RETRY_AFTER_BUSY, database_busy
from fs_plugins.errors import Forbidden, NotFound
from fs_plugins.ids import RowIdConverter
from fs_plugins.portal import codegen, escaping, guard, i18n, translated
from fs_plugins.portal.pages import page
from fs_plugins.portal.views import (account, admin_audio, admin_billing, admin_devices, admin_featurecodes,
                                    admin_flows, admin_groups, admin_ivr, admin_logins, admin_schedules, admin_users,
                                    auth, home, me_calls, me_contacts, me_forwards, me_phonebook, me_voicemail,
                                    operator, operator_flows, recordings)

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
VIEWS = (auth, account, home, me_forwards, me_calls, me_contacts, me_voicemail, me_phonebook, admin_users,
         admin_logins, admin_billing, admin_schedules, admin_ivr, admin_groups, admin_audio, admin_featurecodes,
         admin_flows, admin_devices, operator, operator_flows, recordings)
MAX_BODY = 32 * 1024 * 1024  # the largest upload is an audio file
STATIC_MAX_AGE = 24 * 3600


def make_portal_app(config: Config) -> Flask:
    app = Flask("fs_plugins.portal", static_folder=str(HERE / "static"), static_url_path="/static",
                template_folder=str(HERE / "templates"))
    app.config.update(
        CENTRALITA=config,
        MAX_CONTENT_LENGTH=MAX_BODY,
        SEND_FILE_MAX_AGE_DEFAULT=STATIC_MAX_AGE,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT,
        BABEL_TRANSLATION_DIRECTORIES=str(HERE / "translations"),
    )
    Babel(app, locale_selector=i18n.language, timezone_selector=i18n.timezone)
    escaping.install(app.jinja_env)  # before any template is loaded
    app.jinja_env.code_generator_class = codegen.PortalCodeGenerator  # likewise
    i18n.install_template_gettext(app.jinja_env)
    app.jinja_env.filters.update(i18n.FILTERS)
    app.jinja_env.globals.update(csrf_field=guard.CSRF_FIELD, current_language=i18n.page_language,
                                 gettext_raw=i18n.gettext_raw,
                                 min_password=validate.MIN_PASSWORD, csrf_input=_csrf_input, static_url=_static_url,
                                 pairs=lambda names: [(name, name) for name in names])
    app.jinja_env.autoescape = True
    translated.install(app)  # the environment complete: its overlays, one a language, copy it
    app.url_map.converters["int"] = RowIdConverter  # an id no row can have is a 404, never an overflow
    guard.install(app)
    for module in VIEWS:
        app.register_blueprint(module.bp)
    _error_pages(app)
    return app


def _static_url(filename: str) -> str:
    """url_for('static', filename=…): the same on every page, so built once per file and mount point
    (werkzeug's URL build, four on every page)."""
    return _static_urls(current_app._get_current_object(), request.script_root, filename)


@functools.lru_cache(maxsize=64)
def _static_urls(_app: Flask, _script_root: str, filename: str) -> str:
    return url_for("static", filename=filename)


def _csrf_input() -> Markup:
    """The hidden field every form posts (guard.py checks it)."""
    return Markup('<input type="hidden" name="%s" value="%s">') % (guard.CSRF_FIELD, g.get("csrf_token", ""))


def _error_pages(app: Flask) -> None:
    @app.errorhandler(403)
    def _refused(_error):
        return page("error.html", 403, title=_("This form has expired"),
                    message=_("The page was open too long or came from elsewhere. Reload it and try again."))

    @app.errorhandler(404)
    def _missing(_error):
        return page("error.html", 404, title=_("Page not found"),
                    message=_("There is nothing here, or it is not yours to see."))

    @app.errorhandler(NotFound)
    @app.errorhandler(Forbidden)
    def _not_in_scope(_error):  # outside the caller's scope, or not theirs to do: the same 404
        return _missing(None)

    @app.errorhandler(413)
    def _too_large(_error):
        return page("error.html", 413, title=_("File too large"), message=_("The file is larger than allowed."))

    @app.errorhandler(peewee.OperationalError)
    def _database_busy(exc: peewee.OperationalError):
        """The database did not answer within api_deadline (docs/operations.md): as the API, 503 with
        Retry-After and nothing changed, in a page that says so, not a server error."""
        if not database_busy(exc):
            raise exc
        log.warning("portal request %s %s answered 503: %s", request.method, request.path, exc)
        body, status = page("error.html", 503, title=_("Busy right now"),
                            message=_("The server could not answer in time, and nothing was changed. "
                                      "Please try again in a moment."))
        return body, status, {"Retry-After": str(RETRY_AFTER_BUSY)}

    @app.context_processor
    def _csrf():
        return {"csrf_token": g.get("csrf_token", "")}
