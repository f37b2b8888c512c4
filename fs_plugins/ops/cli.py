"""`centralita doctor`, `centralita backup`, `centralita restore`."""
from __future__ import annotations

import datetime as dt
import sys

from fs_plugins.ops import backup as backups
from fs_plugins.ops import doctor

DEFAULT_FREESWITCH_CONF = "/etc/freeswitch"


def register(subparsers) -> None:
    parser = subparsers.add_parser("doctor", help="check the installation end to end and say what to fix")
    parser.add_argument("--freeswitch-conf", default=DEFAULT_FREESWITCH_CONF, metavar="DIR",
                        help=f"FreeSWITCH's configuration folder (default {DEFAULT_FREESWITCH_CONF})")
    parser.set_defaults(handler=_doctor)

    parser = subparsers.add_parser("backup", help="the database and the audio library into one .tar.gz")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="archive to write (default centralita-<UTC date and time>.tar.gz here)")
    parser.set_defaults(handler=_backup)

    parser = subparsers.add_parser("restore", help="put back a `centralita backup` archive (stop the servers first)")
    parser.add_argument("archive", metavar="ARCHIVE")
    parser.add_argument("--force", action="store_true", help="replace a database that already holds tenants")
    parser.set_defaults(handler=_restore)


def _doctor(args, ctx) -> int:
    findings = doctor.run(ctx.config, args.freeswitch_conf)
    for finding in findings:
        print(finding.line())
    failed = sum(1 for f in findings if f.level == doctor.FAIL)
    warned = sum(1 for f in findings if f.level == doctor.WARN)
    print(f"{len(findings)} checks: {failed} failed, {warned} warnings", file=sys.stderr)
    return 1 if failed else 0


def _backup(args, ctx) -> int:
    output = args.output or f"centralita-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}.tar.gz"
    done = backups.backup(ctx.config, output)
    print(f"backup written to {done.archive}: the {done.database} database and {done.audio_files} audio files")
    return 0


def _restore(args, ctx) -> int:
    done = backups.restore(ctx.config, args.archive, force=args.force)
    print(f"restored {done.archive}: the {done.database} database and {done.audio_files} audio files")
    return 0
