"""What a suspended customer's calls get instead of its dialplan (config: suspended_cause,
suspended_announcement). The operator suspends a tenant (core.app.suspend_tenant); the Router
answers its DIDs and its context with these actions, and the ESL server refuses its flows with the
same cause (xml_curl/dialplan.py, fs_plugins/esl/server.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from fs_plugins.actions import Action, hangup
from fs_plugins.destinations import HANGUP_CAUSES
from fs_plugins.errors import InvalidInput
from fs_plugins.voices import Voice

_SOUND = re.compile(r"[A-Za-z0-9_./:-]{1,200}\Z")  # a sound file's path: nothing that could expand


@dataclass(frozen=True)
class Suspension:
    """How a suspended customer's calls end (config: suspended_cause, suspended_announcement).

    The announcement plays as early media (pre_answer): the caller hears it without the call being
    answered, so a carrier bills nothing. A relative sound is taken from the tenant's voice."""

    cause: str = "CALL_REJECTED"
    announcement: str = ""

    @classmethod
    def from_config(cls, config) -> "Suspension":
        cause = (config.suspended_cause or "").strip().upper()
        if cause not in HANGUP_CAUSES:
            raise InvalidInput("suspended_cause", f"{config.suspended_cause!r} is not one of {', '.join(HANGUP_CAUSES)}")
        announcement = (config.suspended_announcement or "").strip()
        if announcement and (not _SOUND.match(announcement) or ".." in announcement):
            raise InvalidInput("suspended_announcement", f"{announcement!r} must be a sound file path "
                               "(letters, digits and _ . / : -)")
        return cls(cause, announcement)

    def actions(self, voice: Voice) -> list[Action]:
        if not self.announcement:
            return [hangup(self.cause)]
        return [Action("pre_answer"), Action("playback", voice.path(self.announcement)), hangup(self.cause)]
