"""IVR menus with the seed's tabs: "General" (name, comment, numbers, short number), "Gestión de los
desvíos" (forwarding none / on schedule / unconditional), "Gestión horaria" (the schedule and where
calls go while it is closed), "Mensaje de bienvenida opcional" (a welcome from the audio library), and
the key options with what happens after X loops. One form, one transaction: fs_plugins.ivr.service
checks the menu as a whole and a refused change leaves nothing written; its errors name CLI options
(`--forward-to`, `--option 1`), shown here next to the matching field (`forward_to`, `option_1`)."""
from __future__ import annotations

from flask import Blueprint, g, redirect, request
from flask_babel import gettext as _

from fs_plugins import audit, references
from fs_plugins.audio.library import list_audio
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.ivr import service
from fs_plugins.ivr.rules import KEYS
from fs_plugins.models import database
from fs_plugins.portal.context import admin_tenant
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, page
from fs_plugins.schedule.service import list_schedules

bp = Blueprint("admin_ivr", __name__)
TEXT_FIELDS = ("name", "comment", "forward", "schedule", "closed", "forward_to", "welcome", "exit", "short_number")


def form_field(cli_field: str) -> str:
    """`--forward-to` → forward_to, `--option 1` → option_1: the form field a service error is about."""
    return cli_field.lstrip("-").replace("-", "_").replace(" ", "_")


@bp.get("/t/<domain>/ivr")
@area(ADMIN)
def menus(domain: str):
    owner = admin_tenant(domain, "manage IVR menus")
    return page("admin/ivr_list.html", domain=domain, menus=service.list_menus(owner))


def _values(row) -> dict:
    numbers, shorts = service.reached_by(row)
    values = {"name": row.name, "comment": row.comment, "forward": row.forward_mode,
              "schedule": row.schedule.name if row.schedule_id else "",
              "closed": _ref(row, row.closed_destination), "forward_to": _ref(row, row.forward_destination),
              "welcome": row.welcome_audio.name if row.welcome_audio_id else "", "exit": _ref(row, row.exit_destination),
              "loops": str(row.max_loops), "timeout": str(row.timeout_seconds), "short_number": shorts[0] if shorts else "",
              "numbers": ", ".join(numbers)}
    values.update({f"option_{key}": _ref(row, d) for key, d in service.options_of(row).items()})
    return values


def _ref(row, destination) -> str:
    return references.describe(row.tenant, destination).split(" (")[0] if destination is not None else ""


def _editor(owner, domain: str, row=None, values=None, outcome: Outcome | None = None):
    return page("admin/ivr_edit.html", outcome=outcome, domain=domain, ivr=row, keys=KEYS,
                values=values if values is not None else (_values(row) if row else {"forward": "none", "loops": "3",
                                                                                       "timeout": "5", "exit": "hangup"}),
                schedules=[s.name for s in list_schedules(owner)], audio=[a.name for a in list_audio(owner)])


@bp.route("/t/<domain>/ivr/new", methods=["GET", "POST"])
@area(ADMIN)
def new_menu(domain: str):
    owner = admin_tenant(domain, "manage IVR menus")
    if request.method == "GET":
        return _editor(owner, domain)
    return _save(owner, domain, None)


@bp.route("/t/<domain>/ivr/<int:menu_id>", methods=["GET", "POST"])
@area(ADMIN)
def edit_menu(domain: str, menu_id: int):
    owner = admin_tenant(domain, "manage IVR menus")
    row = next((m for m in service.list_menus(owner) if m.id == menu_id), None)
    if row is None:
        raise NotFound("menu", "no such IVR menu")
    if request.method == "GET":
        saved = Outcome(notice=_("IVR menu %(name)s saved.", name=row.name)) if request.args.get("saved") else None
        return _editor(owner, domain, row, outcome=saved)
    return _save(owner, domain, row)


def _save(owner, domain: str, row):
    values = {name: request.form.get(name, "").strip() for name in (*TEXT_FIELDS, "loops", "timeout", "numbers")}
    values.update({f"option_{key}": request.form.get(f"option_{key}", "").strip() for key in KEYS})
    chosen = {key: values[f"option_{key}"] for key in KEYS if values[f"option_{key}"]}
    settings = service.MenuSettings(
        name=values["name"], comment=values["comment"], forward=values["forward"], schedule=values["schedule"],
        closed=values["closed"], forward_to=values["forward_to"], welcome=values["welcome"], exit=values["exit"],
        loops=values["loops"], timeout=values["timeout"], options=chosen, short_number=values["short_number"],
        numbers=[n.strip() for n in values["numbers"].split(",") if n.strip()], move_numbers=True)
    try:
        with database.atomic():
            saved = service.create_menu(owner, settings) if row is None else service.change_menu(row, settings)
            for key in set(service.options_of(saved)) - set(chosen):
                service.remove_option(saved, key)
            audit.record(g.principal, "ivr.create" if row is None else "ivr.update", f"ivr {saved.name}", owner,
                         {k: v for k, v in values.items() if v})
    except (InvalidInput, NotFound) as exc:
        return _editor(owner, domain, row, values, Outcome(errors={form_field(exc.field): exc.message}))
    return redirect(f"/t/{domain}/ivr/{saved.id}?saved=1")
