"""`centralita audio upload|list|remove|record`: the tenant's audio library."""
from __future__ import annotations

import gevent

from fs_plugins.audio import app
from fs_plugins.commands.common import print_table, tenant_command
from fs_plugins.ivr import app as ivr


def register(subparsers) -> None:
    parser = subparsers.add_parser("audio", help="the tenant's audio library (welcome messages, prompts)",
                                   description="Uploaded and phone-recorded messages of a tenant; they serve as "
                                               "IVR welcome messages and prompts and as message:<name> destinations.")
    commands = parser.add_subparsers(dest="audio_command", metavar="ACTION", required=True)

    upload = _command(commands, "upload", cmd_upload, "validate a WAV/MP3/OGG/FLAC file and store a playable copy")
    upload.add_argument("name", help="the name the file gets in the library (unique in the tenant)")
    upload.add_argument("file", help="path of the sound file to upload")
    _command(commands, "list", cmd_list, "list the tenant's audio files")
    remove = _command(commands, "remove", cmd_remove, "delete an audio file (refused while something plays it)")
    remove.add_argument("name", help="the file's name (or id)")
    record = _command(commands, "record", cmd_record,
                      "call a phone, record a message dictated there (# ends, 3 keeps it) and store it")
    record.add_argument("name", help="the name the recording gets in the library")
    record.add_argument("--call", required=True, metavar="EXTENSION|NUMBER",
                        help="the tenant's extension or a phone number to call")
    record.add_argument("--ivr", metavar="MENU", help="make the recording this IVR menu's welcome message")
    record.add_argument("--wait", type=float, default=180.0, metavar="SECONDS",
                        help="give up when nothing is confirmed after this long (default 180)")
    record.add_argument("--media-server", metavar="NAME",
                        help="call through this media server (default: where the phone is registered, "
                             "else the first one answering; `centralita media-server list`)")


_command = tenant_command


def cmd_upload(args, ctx) -> int:
    audio = app.upload_audio(ctx.app, args.tenant, args.name, args.file).value
    print(f"audio {audio.name!r} stored: {audio.duration_ms / 1000:.1f} s, {audio.sample_rate} Hz mono "
          f"(from {audio.original_format}); use it as message:{audio.name}")
    return 0


def cmd_list(args, ctx) -> int:
    rows = [(a.id, a.name, f"{a.duration_ms / 1000:.1f} s", a.sample_rate, a.source,
             a.created_at.strftime("%Y-%m-%d %H:%M")) for a in app.list_audio(ctx.app, args.tenant)]
    print_table(("ID", "NAME", "LENGTH", "RATE", "SOURCE", "CREATED (UTC)"), rows)
    return 0


def cmd_remove(args, ctx) -> int:
    audio = app.remove_audio(ctx.app, args.tenant, args.name).value
    print(f"audio {audio.name!r} removed")
    return 0


def cmd_record(args, ctx) -> int:
    """Record by phone as the API does, as a job (its row shows how it goes to the API and the portal
    too, and a name being recorded there is refused here); the command follows the job to its end.
    With --ivr the recording becomes that menu's welcome (the menu checked before calling)."""
    menu = ivr.get_menu(ctx.app, args.tenant, args.ivr, "ivr") if args.ivr else None
    running = []
    job = app.start_recording(ctx.app, args.tenant, args.name, args.call, args.wait,
                              lambda work: running.append(gevent.spawn(work)), args.media_server).value
    print(f"recording job {job.id} ({_job_path(job)}): calling {args.call}: record after the beep, "
          "press # to end, then 1 to listen, 3 to keep it", flush=True)
    state = job.state
    while not running[0].ready():
        running[0].join(timeout=POLL_SECONDS)  # the call goes on in the job's greenlet meanwhile
        job = app.recording_job(ctx.app, args.tenant, job.id)
        if job.state != state:
            print(f"recording job {job.id}: {job.state}", flush=True)
            state = job.state
    audio = app.recorded_audio(app.recording_job(ctx.app, args.tenant, job.id))
    print(f"audio {audio.name!r} recorded: {audio.duration_ms / 1000:.1f} s")
    if menu is not None:
        ivr.change_menu(ctx.app, args.tenant, str(menu.id), welcome=audio.name)
        print(f"IVR menu {menu.name!r}: welcome message is now {audio.name!r}")
    return 0


POLL_SECONDS = 0.5


def _job_path(job) -> str:
    return f"GET /api/v1/tenants/{job.tenant}/audio/recordings/{job.id}"
