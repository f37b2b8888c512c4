"""IVR menus with the seed's tabs: "General" (name, comment, numbers, short number), "Gestión de los
desvíos" (forwarding none / on schedule / unconditional), "Gestión horaria" (the schedule and where
calls go while it is closed), "Mensaje de bienvenida opcional" (a welcome from the audio library), and
the key options with what happens after X loops. One form, one change of fs_plugins.ivr.app, which
checks the menu as a whole in one transaction, so a refused change leaves nothing written; its errors
name the API's fields (`forward_to`, `options.1`), shown here next to the matching form field
(`forward_to`, `option_1`)."""
from __future__ import annotations

from flask import Blueprint, redirect, request
from flask_babel import gettext as _

from fs_plugins.audio import app as audio_app
from fs_plugins.audio.library import list_audio
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.ivr import app
from fs_plugins.ivr.rules import KEYS
from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.views.admin_audio import (add_to_library, added, how_posted, job_page, posted_values,
                                                 recorded_notice, settled_within, start_recording)
from fs_plugins.portal.pages import Outcome, attempt, page
from fs_plugins.schedule import app as schedules

bp = Blueprint("admin_ivr", __name__)
TEXT_FIELDS = ("name", "comment", "forward", "schedule", "closed", "forward_to", "welcome", "exit", "short_number")


def form_field(field: str) -> str:
    """`options.1` → option_1, `options` → option: the form field an application error is about."""
    return field.replace("options", "option").replace(".", "_")


@bp.get("/t/<domain>/ivr")
@area(ADMIN)
def menus(domain: str):
    admin_tenant(domain, "manage IVR menus")
    return page("admin/ivr_list.html", domain=domain, menus=app.list_menus(app_context(), domain))


def _values(menu: app.MenuView) -> dict:
    values = {"name": menu.name, "comment": menu.comment, "forward": menu.forward, "schedule": menu.schedule or "",
              "closed": _ref(menu.closed), "forward_to": _ref(menu.forward_to), "welcome": menu.welcome or "",
              "exit": _ref(menu.exit), "loops": str(menu.loops), "timeout": str(menu.timeout),
              "short_number": menu.short_numbers[0] if menu.short_numbers else "", "numbers": ", ".join(menu.numbers)}
    values.update({f"option_{choice.key}": _ref(choice.destination) for choice in menu.options})
    return values


def _ref(destination) -> str:
    """What a person types back: ``user:1002`` of ``user:1002 (Bruno)``."""
    return destination.label.split(" (")[0] if destination is not None else ""


def _editor(owner, domain: str, row=None, values=None, outcome: Outcome | None = None, **welcome):
    welcome.setdefault("job_view", None)
    return page("admin/ivr_edit.html", outcome=outcome, domain=domain, ivr=row, keys=KEYS, **welcome,
                values=values if values is not None else (_values(row) if row else {"forward": "none", "loops": "3",
                                                                                       "timeout": "5", "exit": "hangup"}),
                schedules=[s.name for s in schedules.list_schedules(app_context(), domain)],
                audio=[a.name for a in list_audio(owner)])


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
    row = _menu(domain, menu_id)
    if request.method == "GET":
        saved = Outcome(notice=_("IVR menu %(name)s saved.", name=row.name)) if request.args.get("saved") else None
        return _editor(owner, domain, row, outcome=saved or recorded_notice(domain, lambda job: _welcome_notice(
            job.audio, "record", row)))
    return _save(owner, domain, row)


def _welcome_notice(audio, how: str, menu: app.MenuView) -> str:
    if menu.welcome != audio.name:  # (a recording saved, but the menu changed meanwhile)
        return added(audio, how)
    return _("%(added)s It is now the welcome message of %(menu)s.", added=added(audio, how), menu=menu.name)


def _menu(domain: str, menu_id: int) -> app.MenuView:
    """The tenant's menu by id: another tenant's id is the same 404 as a missing one."""
    row = next((m for m in app.list_menus(app_context(), domain) if m.id == menu_id), None)
    if row is None:
        raise NotFound("menu", "no such IVR menu")
    return row


@bp.post("/t/<domain>/ivr/<int:menu_id>/welcome")
@area(ADMIN)
def welcome(domain: str, menu_id: int):
    """The welcome tab's "Upload a file" and "Grabación de voz": the new message joins the audio
    library (as on the library's page) and becomes this menu's welcome (ivr.app.change_menu). A recording
    is a job the dialog follows (admin_audio.py); the menu takes it as its welcome once it is saved."""
    owner = admin_tenant(domain, "manage IVR menus")
    row = _menu(domain, menu_id)
    how = how_posted()
    ctx = app_context()

    def use(audio):
        app.change_menu(ctx, domain, str(row.id), welcome=audio.name)

    def add_and_use():
        if how == "record":
            return start_recording(domain, then=use)
        audio = add_to_library(domain)
        use(audio)
        return audio

    outcome = attempt(add_and_use, lambda done: "" if how == "record" else _welcome_notice(done, how, _menu(domain,
                                                                                                           menu_id)))
    if not outcome.ok:  # shown in its dialog, not next to the menu's own fields of the same name
        return _editor(owner, domain, row, outcome=Outcome(errors={"_welcome": next(iter(outcome.errors.values()))}),
                       welcome_form=how, welcome_errors=outcome.errors, welcome_values=posted_values())
    if how == "record":
        return _welcome_job(owner, domain, row, outcome.value)
    return _editor(owner, domain, _menu(domain, menu_id), outcome=outcome)


@bp.get("/t/<domain>/ivr/<int:menu_id>/welcome/<int:job_id>")
@area(ADMIN)
def welcome_job(domain: str, menu_id: int, job_id: int):
    owner = admin_tenant(domain, "manage IVR menus")
    return _welcome_job(owner, domain, _menu(domain, menu_id), audio_app.recording_job(app_context(), domain, job_id))


def _welcome_job(owner, domain: str, row, job):
    def settling(job) -> bool:  # saved, and the menu about to take it as its welcome
        return _menu(domain, row.id).welcome != job.name and settled_within(job)

    return job_page(job, f"/t/{domain}/ivr/{row.id}/welcome/{job.id}", f"/t/{domain}/ivr/{row.id}?recorded={job.id}",
                    lambda values: _editor(owner, domain, row, welcome_form="record", job_view=values,
                                           welcome_values={"name": job.name, "call": job.call}),
                    settling)


def _save(owner, domain: str, row):
    values = {name: request.form.get(name, "").strip() for name in (*TEXT_FIELDS, "loops", "timeout", "numbers")}
    values.update({f"option_{key}": request.form.get(f"option_{key}", "").strip() for key in KEYS})
    chosen = {key: values[f"option_{key}"] for key in KEYS if values[f"option_{key}"]}
    settings = dict(
        comment=values["comment"], forward=values["forward"], schedule=values["schedule"], closed=values["closed"],
        forward_to=values["forward_to"], welcome=values["welcome"], exit=values["exit"], loops=values["loops"],
        timeout=values["timeout"], options=chosen, short_number=values["short_number"],
        numbers=[n.strip() for n in values["numbers"].split(",") if n.strip()], move_numbers=True)
    ctx = app_context()
    try:
        if row is None:
            saved = app.add_menu(ctx, domain, values["name"], **settings).value
        else:
            dropped = tuple(sorted({o.key for o in row.options} - set(chosen)))
            saved = app.change_menu(ctx, domain, str(row.id), dropped, name=values["name"], **settings).value
    except (InvalidInput, NotFound) as exc:
        return _editor(owner, domain, row, values, Outcome.refused(exc, form_field(exc.field)))
    return redirect(f"/t/{domain}/ivr/{saved.id}?saved=1")
