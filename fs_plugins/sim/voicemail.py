"""mod_voicemail's message API as the emulated event socket answers it (fs_plugins.sim.inbound).

A box's messages live in memory; `vm_fsdb_msg_list`, `vm_fsdb_msg_get`, `vm_fsdb_msg_delete`,
`vm_fsdb_msg_purge` and `vm_read` answer in mod_voicemail's formats (JSON of event headers, "-OK",
"-ERR …"), with its quirks: the list filter "not-read" gives unread messages, any other word read
ones; delete only marks, purge removes the file and the row.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field


@dataclass
class StoredMessage:
    uuid: str
    caller_name: str
    caller_number: str
    seconds: int
    file_path: str
    created: int = field(default_factory=lambda: int(time.time()))
    read: int = 0
    flags: str = ""


class VoicemailStore:
    COMMANDS = ("vm_fsdb_msg_list", "vm_fsdb_msg_get", "vm_fsdb_msg_delete", "vm_fsdb_msg_purge", "vm_read")

    def __init__(self):
        self.boxes: dict[tuple[str, str], list[StoredMessage]] = {}

    def leave(self, domain: str, box: str, message: StoredMessage) -> None:
        self.boxes.setdefault((domain, box), []).append(message)

    def api(self, name: str, arg: str) -> str:
        words = arg.split()
        if name == "vm_read":
            return self._read(words)
        offset = 1 if name in ("vm_fsdb_msg_list", "vm_fsdb_msg_get") else 0  # those take a format first
        if len(words) < offset + 3:
            return "-ERR Missing Arguments\n"
        profile, domain, box, rest = words[offset], words[offset + 1], words[offset + 2], words[offset + 3:]
        if profile != "default":
            return "-ERR Profile not found\n"
        messages = self.boxes.get((domain, box), [])
        return getattr(self, "_" + name.removeprefix("vm_fsdb_msg_"))(domain, box, messages, rest)

    def _list(self, _domain, _box, messages, rest):
        if len(rest) < 2:
            return "-ERR Missing Arguments\n"
        unread = rest[1] == "not-read"
        chosen = [m for m in sorted(messages, key=lambda m: m.created) if (m.read == 0) == unread]
        data = {f"VM-List-Message-{n}-UUID": m.uuid for n, m in enumerate(chosen, 1)}
        return json.dumps({**data, "VM-List-Count": str(len(chosen))})

    def _get(self, domain, box, messages, rest):
        found = next((m for m in messages if rest and m.uuid == rest[0]), None)
        if found is None:
            return "{}"
        return json.dumps({
            "VM-Message-Received-Epoch": str(found.created), "VM-Message-Read-Epoch": str(found.read),
            "VM-Message-User": box, "VM-Message-Domain": domain, "VM-Message-UUID": found.uuid,
            "VM-Message-Caller-Name": found.caller_name, "VM-Message-Caller-Number": found.caller_number,
            "VM-Message-Folder": "inbox", "VM-Message-File-Path": found.file_path,
            "VM-Message-Duration": str(found.seconds), "VM-Message-Flags": found.flags,
            "VM-Message-Read-Flags": "", "VM-Message-Forwarded-By": ""})

    def _delete(self, _domain, _box, messages, rest):
        for message in messages:
            if rest and message.uuid == rest[0]:
                message.flags = "delete"
        return "-OK\n"

    def _purge(self, domain, box, messages, _rest):
        for message in [m for m in messages if m.flags == "delete"]:
            if message.file_path and os.path.exists(message.file_path):
                os.unlink(message.file_path)
            messages.remove(message)
        return "-OK\n"

    def _read(self, words):
        if len(words) < 2 or "@" not in words[0]:
            return "-ERR Missing Arguments\n"
        box, _, domain = words[0].partition("@")
        for message in self.boxes.get((domain, box), []):
            if len(words) < 3 or message.uuid == words[2]:
                message.read = int(time.time()) if words[1] == "read" else 0
        return "+OK\n"
