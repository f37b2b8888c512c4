"""Reading mod_voicemail's answers (pure), and which recordings may be served."""
from __future__ import annotations

import json

import pytest

from fs_plugins.voicemail.messages import Message, MessageStore, VoicemailUnavailable, parse_list, parse_message, playable


def test_a_list_answer_gives_the_message_ids_in_order():
    body = json.dumps({"VM-List-Count": "2", "VM-List-Message-1-UUID": "a" * 36, "VM-List-Message-2-UUID": "b" * 36})
    assert parse_list(body) == ["a" * 36, "b" * 36]
    assert parse_list(json.dumps({"VM-List-Count": "0"})) == []


def test_an_error_answer_is_unavailable_not_empty():
    with pytest.raises(VoicemailUnavailable):
        parse_list("-ERR Profile not found\n")
    with pytest.raises(VoicemailUnavailable):
        parse_list("not json")


def test_a_message_marked_deleted_or_missing_is_not_shown():
    assert parse_message("{}") is None
    assert parse_message(json.dumps({"VM-Message-UUID": "u" * 36, "VM-Message-Flags": "delete"})) is None
    shown = parse_message(json.dumps({"VM-Message-UUID": "u" * 36, "VM-Message-Received-Epoch": "1764000000",
                                      "VM-Message-Read-Epoch": "0", "VM-Message-Duration": "12",
                                      "VM-Message-Caller-Number": "+34911234567", "VM-Message-Flags": ""}))
    assert shown.seconds == 12 and not shown.heard and shown.received.year == 2025


def _message(path: str) -> Message:
    return parse_message(json.dumps({"VM-Message-UUID": "u" * 36, "VM-Message-File-Path": path}))


def test_only_a_file_under_the_voicemail_folder_is_served(tmp_path):
    root = tmp_path / "voicemail"
    (root / "default" / "acme" / "1001").mkdir(parents=True)
    inside = root / "default" / "acme" / "1001" / "msg.wav"
    inside.write_bytes(b"RIFF")
    (tmp_path / "secret.txt").write_text("no")
    assert playable(_message(str(inside)), str(root)) == inside.resolve()
    assert playable(_message(str(root / ".." / "secret.txt")), str(root)) is None
    assert playable(_message("/etc/passwd"), str(root)) is None
    assert playable(_message(str(inside)), "") is None
    assert playable(_message(str(root / "default" / "acme" / "1001" / "gone.wav")), str(root)) is None


class _Api:
    def __init__(self):
        self.commands = []

    def api(self, command):
        self.commands.append(command)
        return json.dumps({"VM-List-Count": "0"})


@pytest.mark.parametrize("box, domain", [("1001 x", "acme.example.com"), ("1001", "acme example"), ("", "a.b")])
def test_a_box_or_domain_that_could_split_the_command_is_refused(box, domain):
    with pytest.raises(ValueError):
        MessageStore(_Api(), domain, box)


def test_an_id_that_is_not_a_uuid_is_never_sent():
    api = _Api()
    assert MessageStore(api, "acme.example.com", "1001").get("x y; uuid_kill all") is None
    assert api.commands == []
