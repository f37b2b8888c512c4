"""The REST API v1 as one WSGI app, mounted at /api/v1 by the web server (fs_plugins.web).

Resources live in one module each (tenants, users, numbers, callhandling, featurecodes, calls, contacts, voicemail,
schedules, ivr, groups, audio, flows, reports, me, keys, logins, audit_log, session); this
module wires them: problem+json errors, the access guard, the OpenAPI 3.1 document at
/api/v1/openapi.json and the docs page at /api/v1/docs/.
"""
from __future__ import annotations

from apiflask import APIFlask

from fs_plugins.api import (audio, audit_log, callhandling, calls, contacts, devices, docs, etags, featurecodes, flows,
                            groups, guard, ivr, jsonout, keys, logins, me, numbers, problems, recordings, reports,
                            schedules, session, tenants, users, voicemail)
from fs_plugins.api.openapi import describe_access
from fs_plugins.config import Config
from fs_plugins.ids import RowIdConverter

RESOURCES = (session, me, tenants, users, numbers, callhandling, featurecodes, calls, contacts, voicemail, schedules,
             ivr, groups, audio, flows, recordings, devices, reports, keys, logins, audit_log, docs)
SPEC_PATH = "/api/v1/openapi.json"
MAX_BODY = 32 * 1024 * 1024  # the largest thing sent is an audio file


def make_api_app(config: Config) -> APIFlask:
    app = APIFlask("fs_plugins.api", title="Centralita API", version="1", spec_path=SPEC_PATH, docs_path=None)
    app.json = jsonout.ApiJSONProvider(app)  # the same answers, written in a tenth of the CPU
    app.config.update(
        CENTRALITA=config,
        OPENAPI_VERSION="3.1.0",
        AUTO_SERVERS=False,
        SERVERS=[{"url": "/", "description": "this server"}],
        MAX_CONTENT_LENGTH=MAX_BODY,
        DESCRIPTION=__doc__,
    )
    app.url_map.converters["int"] = RowIdConverter  # an id no row can have is a 404, never an overflow
    problems.install(app)
    guard.install(app)
    for module in RESOURCES:
        app.register_blueprint(module.bp)
    guard.access(guard.PUBLIC)(app.view_functions["openapi.spec"])
    for endpoint in {rule.endpoint for rule in app.url_map.iter_rules() if rule.methods & etags.CONDITIONAL_METHODS}:
        app.view_functions[endpoint] = etags.conditional(app.view_functions[endpoint])
    app.spec_processor(lambda spec: describe_access(app, spec))
    return app
