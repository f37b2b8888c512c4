"""A tenant's recording policies as the dialplan reads them (frozen; loader.py builds them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from fs_plugins.recording.kinds import NEVER


@dataclass(frozen=True)
class TenantRecording:
    """Every policy of one tenant: users by extension, groups by id (absent: never)."""

    users: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[int, str] = field(default_factory=dict)
    announce: bool = False

    def user_mode(self, extension: str) -> str:
        return self.users.get(extension, NEVER)

    def group_mode(self, group_id: int) -> str:
        return self.groups.get(group_id, NEVER)


NOTHING = TenantRecording()
