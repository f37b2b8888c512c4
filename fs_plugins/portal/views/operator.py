"""The operator's space: customers (list, create, suspend and resume, open their administration), API keys (created as
`centralita apikey create` does: shown once, revocable), the audit log, and the system's health
(database, FreeSWITCH's event socket, the CDR files waiting to be swept)."""
from __future__ import annotations

import time
from pathlib import Path

from flask import Blueprint, current_app, request
from flask_babel import gettext as _

from fs_plugins import audit
from fs_plugins.access import app as keys_app
from fs_plugins.core import app as core
from fs_plugins.fsapi import FreeswitchApi
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.ids import parse_id
from fs_plugins.models import database
from fs_plugins.models.access import ROLES
from fs_plugins.portal.context import app_context
from fs_plugins.portal.guard import OPERATOR, area
from fs_plugins.portal.pages import Outcome, attempt, page

bp = Blueprint("operator", __name__)
TENANT_FIELDS = ("domain", "name", "timezone", "language", "country", "region")
AUDIT_PAGE = 50


def _tenants_page(outcome: Outcome | None = None, values: dict | None = None):
    return page("operator/tenants.html", outcome=outcome, tenants=core.list_tenants(app_context()),
                values=values or {"timezone": "Europe/Madrid", "language": "es", "country": "ES"})


@bp.get("/operator/tenants")
@area(OPERATOR)
def tenants():
    return _tenants_page()


@bp.post("/operator/tenants")
@area(OPERATOR)
def add_tenant():
    values = {name: request.form.get(name, "").strip() for name in TENANT_FIELDS}
    outcome = attempt(lambda: core.add_tenant(app_context(), values["domain"], values["name"], values["timezone"],
                                              values["language"], values["country"], values["region"] or None),
                      lambda done: _("Customer %(name)s (%(domain)s) created.", name=done.value.name,
                                     domain=done.value.domain))
    return _tenants_page(outcome, values if not outcome.ok else None)


@bp.post("/operator/tenants/<domain>/suspension")
@area(OPERATOR)
def suspension(domain: str):
    """Suspend (its phones, numbers, sign-ins and keys are refused) or resume a customer: core.suspend_tenant."""
    suspend = request.form.get("action") == "suspend"
    outcome = attempt(lambda: core.suspend_tenant(app_context(), domain, suspend),
                      lambda done: (_("Customer %(name)s suspended: its phones, numbers, sign-ins and API keys "
                                      "are refused until you resume it.", name=done.value.name) if suspend else
                                    _("Customer %(name)s resumed.", name=done.value.name)))
    return _tenants_page(outcome)


@bp.get("/operator/audit")
@area(OPERATOR)
def audit_log():
    entries = audit.entries(app_context().principal, before_id=parse_id(request.args.get("before")), limit=AUDIT_PAGE)
    older = entries[-1].id if len(entries) == AUDIT_PAGE else None
    return page("operator/audit.html", entries=entries, older=older)


@bp.get("/operator/health")
@area(OPERATOR)
def health():
    config = current_app.config["CENTRALITA"]
    return page("operator/health.html", checks=[_database(), _freeswitch(config), _cdr_backlog(config)])


def _database() -> tuple[str, bool, str]:
    started = time.perf_counter()
    try:
        database.execute_sql("SELECT 1").fetchall()
    except Exception as exc:  # any failure means the database is not usable
        return _("Database"), False, _("does not answer: %(why)s", why=str(exc)[:200])
    elapsed = f"{1000 * (time.perf_counter() - started):.1f}"
    return _("Database"), True, _("answers in %(ms)s ms", ms=elapsed)


def _freeswitch(config) -> tuple[str, bool, str]:
    where = f"{config.fs_event_socket_host}:{config.fs_event_socket_port}"
    try:
        status = FreeswitchApi(config).api("status")
    except Exception as exc:  # unreachable, refused, wrong password: all are "not reachable"
        return _("FreeSWITCH event socket"), False, _("%(where)s not reachable: %(why)s", where=where, why=str(exc)[:160])
    return _("FreeSWITCH event socket"), True, f"{where}: {status.splitlines()[0] if status else ''}"


def _cdr_backlog(config) -> tuple[str, bool, str]:
    if not config.cdr_sweep_dir:
        return _("CDR files waiting"), True, _("no sweep folder is set (cdr_sweep_dir)")
    folder = Path(config.cdr_sweep_dir)
    if not folder.is_dir():
        return _("CDR files waiting"), False, _("%(folder)s is not readable here", folder=folder)
    waiting = sum(1 for _path in folder.glob("*.cdr.json"))
    return _("CDR files waiting"), waiting == 0, _("%(count)s in %(folder)s", count=waiting, folder=folder)


@bp.get("/operator/keys")
@area(OPERATOR)
def keys():
    return _keys_page()


def _keys_page(outcome: Outcome | None = None, values: dict | None = None, shown: str | None = None):
    return page("operator/keys.html", outcome=outcome, keys=keys_app.list_keys(app_context()), values=values or {"role": "tenant-admin"},
                roles=ROLES, shown=shown)


@bp.post("/operator/keys")
@area(OPERATOR)
def create_key():
    values = {name: request.form.get(name, "").strip() for name in ("name", "role", "tenant", "extension")}

    def create():
        try:
            return keys_app.create_key(app_context(), values["name"], values["role"], values["tenant"] or None,
                                       values["extension"] or None).value
        except NotFound as missing:
            if missing.field != "tenant":
                raise
            raise InvalidInput("tenant", _("no customer with the SIP domain %(domain)s", domain=values["tenant"])) \
                from None

    outcome = attempt(create, lambda new: _("API key %(name)s created. Copy it now: it is shown only this once.",
                                            name=new.key.name))
    if not outcome.ok:
        return _keys_page(outcome, values)
    return _keys_page(outcome, shown=outcome.value.secret)


@bp.post("/operator/keys/<prefix>/revoke")
@area(OPERATOR)
def revoke_key(prefix: str):
    def revoke():
        return keys_app.revoke_key(app_context(), prefix).value

    return _keys_page(attempt(revoke, lambda row: _("API key %(name)s revoked.", name=row.name)))
