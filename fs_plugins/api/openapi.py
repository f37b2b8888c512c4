"""What APIFlask cannot infer, added to the OpenAPI document: who may call each operation
(`x-centralita-access`, read by the isolation-matrix tests), how to authenticate, and the
problem+json answers every operation can give."""
from __future__ import annotations

import re

from fs_plugins.api.guard import PUBLIC, level_of

SECURITY_SCHEMES = {
    "apiKey": {"type": "http", "scheme": "bearer",
               "description": "An API key `ck_<prefix>_<secret>` (`centralita apikey create`)."},
    "session": {"type": "apiKey", "in": "cookie", "name": "centralita_session",
                "description": "The cookie set by POST /api/v1/session; writes also need X-CSRF-Token."},
}
ERRORS = {
    400: "The body is not JSON",
    401: "No, wrong, expired or revoked credentials",
    403: ("A write with the session cookie without its X-CSRF-Token, or good credentials of a suspended tenant "
          "(type urn:centralita:problem:tenant-suspended)"),
    404: "Not found, or outside the caller's scope (never 403: existence is not confirmed)",
    409: "Clashes with what is stored (a taken name, something still routes here)",
    412: "Changed since the ETag in If-Match was read",
    428: "If-Match is required on this update",
    413: "The body is larger than the server accepts",
    429: "Too many failed attempts (see Retry-After)",
    503: "FreeSWITCH, which this operation needs, could not be reached",
}
WRITES = {"post", "put", "patch", "delete"}
CSV_EXAMPLE = "name,company,work,mobile,email\r\nPedro Pérez,Pérez S.L.,911 111 111,600 111 111,\r\n"
CSV_BODY = {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
}}


def csv_body(view):
    """Mark a view that reads a CSV file as its body (APIFlask describes JSON and form bodies only)."""
    view._csv_body = True
    return view


def needs_freeswitch(view):
    """Mark a view that asks FreeSWITCH (503 when it cannot): `x-centralita-freeswitch` in the document."""
    view._freeswitch = True
    return view


def describe_access(app, spec: dict) -> dict:
    spec.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        operations = spec["paths"].get(path)
        if not operations:
            continue
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = operations.get(method.lower())
            if operation is not None:
                if getattr(view, "_csv_body", False):
                    operation["requestBody"] = CSV_BODY
                _describe(operation, method.lower(), level_of(view), getattr(view, "_freeswitch", False))
    return spec


def _describe(operation: dict, method: str, level: str, freeswitch: bool) -> None:
    operation["x-centralita-access"] = level
    operation["security"] = [] if level == PUBLIC else [{"apiKey": []}, {"session": []}]
    wanted = set()
    if level != PUBLIC:
        wanted |= {401, 403, 404}  # 403 for every call: a suspended tenant's keys and sessions are refused
    if method in WRITES and level != PUBLIC:
        wanted |= {409}
    if method in ("patch", "put"):
        wanted |= {412, 428}
    if "requestBody" in operation:
        wanted |= {400, 413}
    if level == PUBLIC and method == "post":
        wanted |= {401, 403, 429}
    if freeswitch:
        operation["x-centralita-freeswitch"] = True
        wanted |= {503}
    responses = operation.setdefault("responses", {})
    for status in sorted(wanted):
        responses.setdefault(str(status), {"description": ERRORS[status]})
    for status, response in responses.items():
        if int(status) >= 400:
            response["content"] = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
