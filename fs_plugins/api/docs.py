"""The interactive docs page at /api/v1/docs: Swagger UI served from the package (works offline)."""
from __future__ import annotations

from pathlib import Path

from apiflask import APIBlueprint
from flask import redirect, send_from_directory

from fs_plugins.api.guard import PUBLIC, access

STATIC = Path(__file__).parent / "static"
bp = APIBlueprint("docs", __name__, url_prefix="/api/v1", enable_openapi=False)


@bp.get("/docs")
@access(PUBLIC)
def docs_page():
    return redirect("docs/", code=301)


@bp.get("/docs/")
@access(PUBLIC)
def docs_index():
    return send_from_directory(STATIC, "docs.html", mimetype="text/html")


@bp.get("/docs/static/<path:name>")
@access(PUBLIC)
def docs_static(name):
    return send_from_directory(STATIC, name, max_age=3600)
