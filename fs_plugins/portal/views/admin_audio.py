"""The customer's audio library: listen, upload, delete, and the seed's "Grabación de voz": give the
message a name and a phone, Centralita calls it and the recording confirmed there (mod_voicemail's own
instructions, key 3 to keep) joins the library. Everything goes through fs_plugins.audio.app.

A recording by phone lasts minutes, so the pop-up does not wait for it in its request: it starts a
recording job (audio.app.start_recording, as the API and the CLI do) and shows the job in the dialog,
which htmx polls (calling, recording, saved, or failed with why); once saved, the page that started it
is shown again saying so. The IVR editor's welcome tab uses the same (admin_ivr.py)."""
from __future__ import annotations

import datetime as dt
import logging
import tempfile
import threading
from pathlib import Path
from typing import Callable

from flask import Blueprint, make_response, redirect, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from fs_plugins.audio import app
from fs_plugins.audio.phone import FreeswitchUnreachable
from fs_plugins.dbpool import cooperative, release
from fs_plugins.errors import InvalidInput, NotFound
from fs_plugins.ids import parse_id
from fs_plugins.models import database
from fs_plugins.models.audio import JOB_CALLING, JOB_DONE, JOB_FAILED, JOB_RECORDING
from fs_plugins.models.base import utcnow
from fs_plugins.portal import app_errors
from fs_plugins.portal.context import admin_tenant, app_context
from fs_plugins.portal.guard import ADMIN, area
from fs_plugins.portal.pages import Outcome, attempt, page

bp = Blueprint("admin_audio", __name__)
log = logging.getLogger(__name__)

RECORD_WAIT = 180.0  # seconds the call may last, as the API's default
POLL_SECONDS = 1
# A failed job's reason when it is not a refusal of the application layer (app_errors translates those).
JOB_DETAILS = {app.JOB_LOST: _l("the server that made the call stopped before it ended"),
               app.JOB_CRASHED: _l("the server failed; nothing was stored")}


def _library(domain: str, outcome: Outcome | None = None, form: str = "", values: dict | None = None, **more):
    more.setdefault("job_view", None)
    return page("admin/audio.html", outcome=outcome, form=form, domain=domain,
                files=app.list_audio(app_context(), domain), values=values or {}, **more)


@bp.get("/t/<domain>/audio")
@area(ADMIN)
def audio(domain: str):
    admin_tenant(domain, "manage the audio library")
    return _library(domain, recorded_notice(domain, lambda job: added(job.audio, "record")))


@bp.get("/t/<domain>/audio/<int:audio_id>.wav")
@area(ADMIN)
def listen(domain: str, audio_id: int):
    admin_tenant(domain, "manage the audio library")
    path = app.audio_path(app_context(), domain, str(audio_id))
    return send_file(path, mimetype="audio/wav", conditional=True, max_age=0)


def add_to_library(domain: str) -> app.AudioView:
    """The uploaded file stored in the library. The IVR editor's welcome tab posts the same forms
    (macros/audio.html)."""
    name = request.form.get("name", "")
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        raise InvalidInput("file", _("choose an audio file"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"
        sent.save(path)
        return app.upload_audio(app_context(), domain, name, path).value


def how_posted() -> str:
    return "record" if request.form.get("how") == "record" else "upload"


def added(audio: app.AudioView, how: str) -> str:
    if how == "record":
        return _("%(name)s recorded by phone and added to the library.", name=audio.name)
    return _("%(name)s added to the library (%(seconds)s s).", name=audio.name, seconds=round(audio.duration_ms / 1000, 1))


def posted_values() -> dict:
    return {"name": request.form.get("name", "").strip(), "call": request.form.get("call", "").strip()}


# --- recording by phone: a job the dialog follows ----------------------------------------------------

def start_recording(domain: str, then: Callable[[app.AudioView], None] | None = None) -> app.RecordingJobView:
    """The posted name and phone: the job as it starts (calling), or the refusal (InvalidInput naming
    the field, FreeSWITCH not answering included) before anything is called or stored. `then` is given
    the file the job made once saved, in the job's background: that file by its id, never the one its
    name finds (the job failed and someone uploaded a file of that name meanwhile, say)."""
    ctx = app_context()
    name, call = posted_values()["name"], posted_values()["call"]

    def followed_by_then(work: Callable[[], app.AudioView | None]) -> None:
        made = work()
        if then is not None and made is not None:  # None: the recording failed, the job says why
            then(made)

    try:
        return app.start_recording(ctx, domain, name, call, RECORD_WAIT, lambda work: in_background(
            lambda: followed_by_then(work))).value
    except FreeswitchUnreachable as exc:  # the socket's own words (English, from the OS) kept as a detail
        raise InvalidInput("call", _("FreeSWITCH does not answer, so nobody can be called now (%(why)s).",
                                     why=exc.message)) from None


def in_background(work: Callable[[], None]) -> None:
    """`work` in a thread of its own: a greenlet under `serve`'s monkey-patching, a thread of the
    development and test servers (whose request threads end with the request). Its database connection
    is handed back when it ends."""

    def run():
        try:
            work()
        except Exception:
            log.exception("a recording by phone's background work failed")
        finally:
            bound = database.obj  # (the models' proxy: release looks at the database itself)
            if cooperative(bound):
                release(bound)
            elif bound is not None and not bound.is_closed():
                bound.close()  # this thread's own connection

    threading.Thread(target=run, name="recording-by-phone", daemon=True).start()


def job_page(job: app.RecordingJobView, poll_url: str, done_url: str, render_page: Callable[..., object],
             settling: Callable[[app.RecordingJobView], bool] = lambda job: False):
    """The job as the dialog shows it: the fragment htmx polls every POLL_SECONDS while the call goes on,
    or without JavaScript the whole page with the dialog open. Saved: the page that started it, saying so
    (`settling`: saved, but what follows the saving is not done yet, so still shown as going on)."""
    if job.state == JOB_DONE and not settling(job):
        if request.headers.get("HX-Request"):
            answer = make_response("", 200)
            answer.headers["HX-Redirect"] = done_url
            return answer
        return redirect(done_url, 303)
    values = job_values(job, poll_url)
    if request.headers.get("HX-Request"):
        return page("admin/recording_job.html", job_view=values)
    return render_page(values)


def job_values(job: app.RecordingJobView, poll_url: str) -> dict:
    """What the dialog says of `job`, in the page's language."""
    going_on = job.state in (JOB_CALLING, JOB_RECORDING) or job.state == JOB_DONE
    if job.state == JOB_CALLING:
        text = _("Calling %(call)s: answer the phone.", call=job.call)
    elif job.state == JOB_FAILED:
        text = _("The recording %(name)s failed: %(why)s", name=job.name, why=failure_reason(job.detail))
    else:  # recording, or saved with the rest still to do
        text = _("Recording %(name)s: speak after the beep, press # to end, then 3 to keep it.", name=job.name)
    return {"id": job.id, "state": job.state, "text": text, "poll_url": poll_url, "polling": going_on,
            "seconds": POLL_SECONDS}


def failure_reason(detail: str) -> str:
    if detail in JOB_DETAILS:
        return str(JOB_DETAILS[detail])
    return app_errors.translate(detail) if detail else _("no reason was given")


def recorded_notice(domain: str, say: Callable[[app.RecordingJobView], str]) -> Outcome | None:
    """The notice of `?recorded=<job>` (where a saved recording's dialog leads), when that job of the
    tenant is saved; nothing otherwise (an old or foreign link shows the page as it is)."""
    job_id = parse_id(request.args.get("recorded"))
    if job_id is None:
        return None
    try:
        job = app.recording_job(app_context(), domain, job_id)
    except NotFound:
        return None
    return Outcome(notice=say(job)) if job.state == JOB_DONE and job.audio is not None else None


def settled_within(job: app.RecordingJobView, seconds: float = 5.0) -> bool:
    """Whether the job was saved less than `seconds` ago (what follows may still be under way)."""
    return utcnow() - job.updated_at < dt.timedelta(seconds=seconds)


@bp.post("/t/<domain>/audio")
@area(ADMIN)
def add(domain: str):
    """Upload (the form posted without `how`), or the "Grabación de voz" dialog's older address."""
    admin_tenant(domain, "manage the audio library")
    if how_posted() == "record":
        return record(domain)
    outcome = attempt(lambda: add_to_library(domain), lambda audio: added(audio, "upload"))
    return _library(domain, outcome, "upload", posted_values() if not outcome.ok else None)


@bp.post("/t/<domain>/audio/record")
@area(ADMIN)
def record(domain: str):
    """The "Grabación de voz" dialog: the job starts and the dialog follows it."""
    admin_tenant(domain, "manage the audio library")
    try:
        job = start_recording(domain)
    except (InvalidInput, NotFound) as exc:
        return _library(domain, Outcome.refused(exc), "record", posted_values())
    return _job(domain, job)


@bp.get("/t/<domain>/audio/recordings/<int:job_id>")
@area(ADMIN)
def recording(domain: str, job_id: int):
    admin_tenant(domain, "manage the audio library")
    return _job(domain, app.recording_job(app_context(), domain, job_id))


def _job(domain: str, job: app.RecordingJobView):
    return job_page(job, f"/t/{domain}/audio/recordings/{job.id}", f"/t/{domain}/audio?recorded={job.id}",
                    lambda values: _library(domain, form="record", values={"name": job.name, "call": job.call},
                                            job_view=values))


@bp.post("/t/<domain>/audio/<int:audio_id>/delete")
@area(ADMIN)
def delete(domain: str, audio_id: int):
    admin_tenant(domain, "manage the audio library")
    audio = app.get_audio(app_context(), domain, str(audio_id))

    def remove():  # AudioInUse names what still plays it
        return app.remove_audio(app_context(), domain, str(audio.id)).value

    return _library(domain, attempt(remove, _("%(name)s deleted.", name=audio.name)))
