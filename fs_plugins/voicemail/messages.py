"""Voicemail messages, read and removed through mod_voicemail's own API over the event socket.

mod_voicemail keeps its messages in its own store (a SQLite file, or ODBC) and the recordings in
FreeSWITCH's storage folder; its `vm_fsdb_*` API commands (the ones its own vmivr menus use) are
the supported way in, whatever the store: `vm_fsdb_msg_list json <profile> <domain> <box> inbox
<filter>` lists message ids (`VM-List-Count`, `VM-List-Message-<n>-UUID`), `vm_fsdb_msg_get json …
<uuid>` one message (`VM-Message-*`), `vm_fsdb_msg_delete` marks it deleted and
`vm_fsdb_msg_purge` removes what is marked (file, row, message-waiting lamp). `vm_read` marks a
message heard. The list has no "all" filter: unread ("not-read") and read (any other word) are
asked for separately. Messages marked deleted but not yet purged are not shown.

The recording itself is a file on the FreeSWITCH machine: it can be played in the browser only when
that folder is readable here (same machine, or shared storage), under `voicemail_files_dir`; a path
outside it is never served. Parsing is pure (`parse_list`, `parse_message`); only `MessageStore`
talks to FreeSWITCH.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

PROFILE = "default"  # freeswitch/conf/autoload_configs/voicemail.conf.xml
_UUID = re.compile(r"[0-9A-Za-z-]{8,64}\Z")
_BOX = re.compile(r"[0-9A-Za-z._-]{1,64}\Z")
_DOMAIN = re.compile(r"[0-9A-Za-z.-]{1,253}\Z")


class VoicemailUnavailable(RuntimeError):
    """FreeSWITCH could not be asked (not reachable, or mod_voicemail answered an error)."""


@dataclass(frozen=True)
class Message:
    uuid: str
    received: dt.datetime  # UTC, naive (as the database keeps times)
    caller_name: str
    caller_number: str
    seconds: int
    heard: bool
    urgent: bool
    file_path: str


def parse_list(body: str) -> list[str]:
    data = _json(body)
    count = int(data.get("VM-List-Count") or 0)
    return [data[key] for key in (f"VM-List-Message-{n}-UUID" for n in range(1, count + 1)) if data.get(key)]


def parse_message(body: str) -> Message | None:
    """The message, or None when mod_voicemail no longer has it or it is marked deleted."""
    data = _json(body)
    if not data.get("VM-Message-UUID") or data.get("VM-Message-Flags") == "delete":
        return None
    return Message(
        uuid=data["VM-Message-UUID"],
        received=dt.datetime.fromtimestamp(int(data.get("VM-Message-Received-Epoch") or 0), dt.timezone.utc)
        .replace(tzinfo=None),
        caller_name=data.get("VM-Message-Caller-Name") or "",
        caller_number=data.get("VM-Message-Caller-Number") or "",
        seconds=int(data.get("VM-Message-Duration") or 0),
        heard=int(data.get("VM-Message-Read-Epoch") or 0) != 0,
        urgent="urgent" in (data.get("VM-Message-Read-Flags") or ""),
        file_path=data.get("VM-Message-File-Path") or "",
    )


def _json(body: str) -> dict:
    if body.startswith("-ERR"):
        raise VoicemailUnavailable(body.strip())
    try:
        data = json.loads(body)
    except ValueError:
        raise VoicemailUnavailable(f"mod_voicemail answered {body[:80]!r}") from None
    return data if isinstance(data, dict) else {}


def playable(message: Message, files_dir: str) -> Path | None:
    """The recording's path when it is a file under `files_dir` readable here; else None."""
    if not files_dir or not message.file_path:
        return None
    root, path = Path(files_dir).resolve(), Path(message.file_path).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


class MessageStore:
    """One box's messages (`box`: the user's extension, or "general") through FreeSWITCH's API.

    `api` is fs_plugins.fsapi.FreeswitchApi (or anything with the same `api(command) -> str`)."""

    def __init__(self, api, domain: str, box: str):
        if not _BOX.match(box or "") or not _DOMAIN.match(domain or ""):  # one word each in the API command
            raise ValueError(f"not a voicemail box: {box!r}@{domain!r}")
        self.api, self.domain, self.box = api, domain, box

    def _ask(self, command: str) -> str:
        try:
            return self.api.api(command)
        except Exception as exc:  # unreachable, refused, timed out: all mean "not now"
            raise VoicemailUnavailable(str(exc)) from exc

    def messages(self) -> list[Message]:
        """Newest first, unheard and heard together."""
        where = f"{PROFILE} {self.domain} {self.box}"
        ids = [*parse_list(self._ask(f"vm_fsdb_msg_list json {where} inbox not-read")),
               *parse_list(self._ask(f"vm_fsdb_msg_list json {where} inbox read"))]
        found = [self.get(uuid) for uuid in dict.fromkeys(ids)]
        return sorted((m for m in found if m is not None), key=lambda m: m.received, reverse=True)

    def get(self, uuid: str) -> Message | None:
        if not _UUID.match(uuid or ""):
            return None
        return parse_message(self._ask(f"vm_fsdb_msg_get json {PROFILE} {self.domain} {self.box} {uuid}"))

    def mark_heard(self, uuid: str) -> None:
        self._ask(f"vm_read {self.box}@{self.domain} read {uuid}")

    def delete(self, uuid: str) -> Message | None:
        """Remove the message (the file too) and update the phone's lamp; None if it was not there."""
        message = self.get(uuid)
        if message is None:
            return None
        self._ask(f"vm_fsdb_msg_delete {PROFILE} {self.domain} {self.box} {uuid}")
        self._ask(f"vm_fsdb_msg_purge {PROFILE} {self.domain} {self.box}")
        return message
