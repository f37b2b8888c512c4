"""Read-only views: the billing report (IVR menus billed per month, and the call recordings kept of
the month's calls) and the phonebook URLs a tenant's desk phones are configured with."""
from __future__ import annotations

from apiflask import APIBlueprint
from apiflask.fields import Integer, List, Nested, String
from flask import request

from fs_plugins.api.common import app_context
from fs_plugins.api.guard import OPERATOR_ONLY, SELF, TENANT, access, principal, tenant
from fs_plugins.api.schema import Schema
from fs_plugins.billing import app as billing

bp = APIBlueprint("reports", __name__, url_prefix="/api/v1", tag="Reports")
PHONES = (("yealink", "Yealink (remote phonebook)", "yealink.xml"), ("cisco", "Cisco (directory service)", "cisco.xml"),
          ("cisco-search", "Cisco (search screen)", "cisco-search.xml"), ("snom", "Snom (XML directory)", "snom.xml"),
          ("grandstream", "Grandstream (phonebook server path; the phone appends /phonebook.xml)", "grandstream"),
          ("fanvil", "Fanvil (XML phonebook key)", "fanvil.xml"))


class MonthQuery(Schema):
    month = String(required=True, metadata={"description": "YYYY-MM", "example": "2026-11"})


class BilledMenu(Schema):
    tenant = String(required=True)
    menu = String(required=True)
    created = String(required=True, metadata={"description": "UTC, YYYY-MM-DD HH:MM"})
    deleted = String(required=True, metadata={"description": "empty while the menu exists"})


class BilledRecordings(Schema):
    tenant = String(required=True)
    recordings = Integer(required=True, metadata={"description": "kept recordings of calls started in the month"})
    size = Integer(required=True, metadata={"description": "their bytes"})


class BillingOut(Schema):
    month = String(required=True)
    items = List(Nested(BilledMenu), required=True)
    recordings = List(Nested(BilledRecordings), required=True,
                      metadata={"description": "per tenant with any; a recording deleted by retention no longer counts"})


class Phonebook(Schema):
    phone = String(required=True)
    label = String(required=True)
    url = String(required=True)


class PhonebookList(Schema):
    items = List(Nested(Phonebook), required=True)
    login = String(required=True, metadata={"description": "what the phone signs in with (HTTP Basic or Digest)"})


def _billing(month: str, domain: str | None) -> dict:
    ctx = app_context()
    return {"month": month, "items": billing.billing_report(ctx, month, domain),
            "recordings": billing.recordings_report(ctx, month, domain)}


def _phonebooks(domain: str, login: str) -> dict:
    base = request.host_url.rstrip("/")
    return {"items": [{"phone": phone, "label": label, "url": f"{base}/phonebook/{domain}/{path}"}
                      for phone, label, path in PHONES], "login": login}


@bp.get("/billing")
@access(OPERATOR_ONLY)
@bp.input(MonthQuery, location="query", arg_name="query")
@bp.output(BillingOut)
def billing_all(query):
    """Every tenant's IVR menus that existed at any moment of the month (UTC), and its recordings kept."""
    return _billing(query["month"], None)


@bp.get("/tenants/<domain>/billing")
@access(TENANT)
@bp.input(MonthQuery, location="query", arg_name="query")
@bp.output(BillingOut)
def billing_tenant(domain, query):
    """This tenant's billed IVR menus for the month, and its recordings kept."""
    return _billing(query["month"], tenant().domain)


@bp.get("/tenants/<domain>/phonebooks")
@access(TENANT)
@bp.output(PhonebookList)
def tenant_phonebooks(domain):
    """The URL to configure in each kind of desk phone (each user signs in with their SIP account)."""
    return _phonebooks(tenant().domain, "each user's extension and SIP password")


@bp.get("/me/phonebooks")
@access(SELF)
@bp.output(PhonebookList)
def my_phonebooks():
    """The URL to configure in the caller's desk phone."""
    return _phonebooks(principal().tenant_domain, f"{principal().extension} and the SIP password")
