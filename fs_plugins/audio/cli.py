"""`centralita audio upload|list|remove|record`: the tenant's audio library."""
from __future__ import annotations

from fs_plugins.audio import library
from fs_plugins.commands.common import open_tenant, print_table, tenant_command


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


_command = tenant_command


def cmd_upload(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    row = library.upload(ctx.config, tenant, args.name, args.file)
    print(f"audio {row.name!r} stored: {row.duration_ms / 1000:.1f} s, {row.sample_rate} Hz mono "
          f"(from {row.original_format}); use it as message:{row.name}")
    return 0


def cmd_list(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    rows = [(r.id, r.name, f"{r.duration_ms / 1000:.1f} s", r.sample_rate, r.source,
             r.created_at.strftime("%Y-%m-%d %H:%M")) for r in library.list_audio(tenant)]
    print_table(("ID", "NAME", "LENGTH", "RATE", "SOURCE", "CREATED (UTC)"), rows)
    return 0


def cmd_remove(args, ctx) -> int:
    tenant = open_tenant(ctx, args.tenant)
    row = library.get_audio(tenant, args.name)
    library.remove_audio(row)
    print(f"audio {row.name!r} removed")
    return 0


def cmd_record(args, ctx) -> int:
    from fs_plugins.audio import phone

    return phone.record_command(args, ctx)
