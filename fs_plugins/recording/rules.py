"""Whether a call is recorded, and the dialplan actions that record it (pure).

FreeSWITCH facts (mod_dptools and switch_ivr_async.c, checked in its source):
- `record_session <path>` adds a media bug to the channel that writes both directions of the call
  to <path> (the folders are created); a second `record_session` of the same path on the channel
  only warns "Already recording", unless RECORD_TOGGLE_ON_REPEAT is true, when it stops it.
- RECORD_STEREO=true writes the two parties on two channels; RECORD_BRIDGE_REQ=true writes
  nothing until the channel is bridged (no ringback, no voicemail greeting after a failed ring);
  RECORD_MIN_SEC drops a file shorter than that when the bug closes.
- RECORD_APPEND=true: the file is opened to add to what it holds (mod_sndfile: read-write, at its
  end; without it, truncated), and the bug's close never discards it for being short or empty.
- `bind_meta_app <key> <listen legs a|b|ab> <run on a|b|o|s> <app>::<args>`: the meta key
  (`bind_meta_key`, `*`) then <key> pressed on a listened leg runs the application.
- Application arguments expand `${uuid}` when run: the file is named after the A leg's uuid, which
  is the call log's call id, so the dialplan answer stays the same for every call (it is cached).

The decision: a call is recorded from the start when the callee's policy records what they receive
(inbound, all) or the calling user's records what they make (outbound, all); with on_demand the
party of ours may press *2 (ON_DEMAND_DIGIT) to start and stop. A call group's policy is its callee's.
"""
from __future__ import annotations

import re
from pathlib import Path

from fs_plugins.actions import Action, set_var
from fs_plugins.channel_vars import RECORDING
from fs_plugins.errors import InvalidInput
from fs_plugins.recording.kinds import ALL, INBOUND, NEVER, ON_DEMAND, ON_DEMAND_DIGIT, OUTBOUND

RECORDS_RECEIVED = (INBOUND, ALL)
RECORDS_MADE = (OUTBOUND, ALL)
MIN_SECONDS = "2"  # a call answered and dropped at once leaves no file
UUID = "${uuid}"


def file_name(tenant_id: int) -> str:
    """The file of a call, relative to recordings_dir: the tenant's folder, the call's uuid."""
    return f"{tenant_id}/{UUID}.wav"


def call_actions(recordings_dir: str, tenant_id: int, callee_mode: str = NEVER, caller_mode: str = NEVER,
                 announce: bool = False, announcement: str = "", upload_to: str = "") -> list[Action]:
    """The actions before the bridge of a call whose callee (a user or a group) has `callee_mode`
    and whose caller, when one of our users, `caller_mode`. Nothing when neither records.
    `upload_to`: the URL FreeSWITCH records to instead of the file (fs_plugins/mediaurls.py: in the
    cached answer a placeholder, which the xml_curl handler makes each call's own signed URL)."""
    recorded = callee_mode in RECORDS_RECEIVED or caller_mode in RECORDS_MADE
    listen = ("a" if caller_mode == ON_DEMAND else "") + ("b" if callee_mode == ON_DEMAND else "")
    if not recorded and not listen:
        return []
    path = upload_to or f"{recordings_dir}/{file_name(tenant_id)}"
    actions = [set_var("RECORD_STEREO", "true"), set_var("RECORD_BRIDGE_REQ", "true"),
               set_var("RECORD_MIN_SEC", MIN_SECONDS), set_var(RECORDING, file_name(tenant_id))]
    if recorded:
        if announce and announcement:
            actions.append(Action("playback", announcement))
        return actions + [Action("record_session", path)]
    # The bug runs on the A leg (where these variables are) whoever pressed the keys, so the
    # second press finds it there and stops it. A third press reopens the same file: without
    # RECORD_APPEND mod_sndfile truncates it and what was recorded before is lost. (mod_http_cache
    # opens its local copy without the flag and PUTs each stretch; the upload refuses to overwrite
    # (409), so with media_base_url only the first stretch is kept: docs/recording.md.)
    return actions + [set_var("RECORD_TOGGLE_ON_REPEAT", "true"), set_var("RECORD_APPEND", "true"),
                      Action("bind_meta_app", f"{ON_DEMAND_DIGIT} {listen} a record_session::{path}")]


# Where recordings live on disk: one folder per tenant under recordings_dir.
# The folder goes into dialplan arguments (`record_session <path>`, `bind_meta_app … ::<path>`), so it
# may hold only characters FreeSWITCH reads plainly there: no spaces (record_session reads ` +N` as a
# time limit), no `$`, `{` or `::` (an expansion, a variable block, bind_meta_app's separator).

_SAFE_DIR = re.compile(r"/(?:[A-Za-z0-9._-]+/?)*\Z")
_FILE = re.compile(r"([1-9][0-9]{0,9})/([0-9A-Za-z-]{1,64})\.wav\Z")


def recordings_dir(config) -> str:
    """The absolute folder, checked; InvalidInput names the setting when it is unfit."""
    raw = config.recordings_dir or str(Path(config.data_dir) / "recordings")
    path = str(Path(raw).resolve()).rstrip("/") or "/"
    if not _SAFE_DIR.match(path) or "::" in path:
        raise InvalidInput("recordings_dir", f"{path!r}: only letters, digits and . _ - / may name the folder")
    return path


def parse_file(relative: str) -> tuple[int, str] | None:
    """(tenant id, call id) of a stored name "<tenant id>/<call id>.wav", or None for anything else."""
    match = _FILE.match(relative)
    return (int(match.group(1)), match.group(2)) if match else None


def absolute(root: str, relative: str) -> Path:
    """The file of a stored name, refusing anything that would leave `root`."""
    if parse_file(relative) is None:
        raise InvalidInput("file", f"{relative!r} is not a recording's name")
    return Path(root) / relative
