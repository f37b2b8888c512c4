"""The first page after signing in: where each space starts."""
from __future__ import annotations

from flask import Blueprint

from fs_plugins.portal.guard import SIGNED_IN, area
from fs_plugins.portal.pages import page

bp = Blueprint("home", __name__)


@bp.get("/")
@area(SIGNED_IN)
def home():
    return page("home.html")
