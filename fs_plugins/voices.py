"""The language a tenant's calls are spoken in: FreeSWITCH's language and the voice (sound set).

FreeSWITCH picks what a caller hears from three channel variables (checked in its source,
src/switch_ivr_play_say.c and src/switch_ivr.c):
  * `sound_prefix`: the folder a relative path (`ivr/ivr-you_are_number.wav`, `digits/3.wav`)
    is played from, for `playback`, `file_string://` and phrase macros;
  * `default_language`: the language of phrase macros (mod_voicemail speaks only through them,
    with no language of its own) and of `say` when no language is given;
  * `sound_prefix_enforced=true`: keep that folder even inside a phrase macro or `say`, which
    otherwise switch to the `sound-path` of their language in FreeSWITCH's languages section
    (the stock Spanish one points at `es/ES/cristina`, a voice that was never published).
The dialplan Centralita serves sets the three on every call that enters a tenant (and the
originates Centralita places set them too), from the tenant's `language` and the `voices`
setting: ``language=folder`` pairs under FreeSWITCH's sounds folder (`sounds_dir`). A language
with no voice there is spoken with the English one, never with a folder that does not exist.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from fs_plugins.errors import InvalidInput

# The voices FreeSWITCH publishes as Debian packages, where those packages install them
# (freeswitch-sounds-en-us-callie, freeswitch-sounds-es-ar-mario).
DEFAULT_VOICES = "en=en/us/callie,es=es/ar/mario"
DEFAULT_SOUNDS_DIR = "/usr/share/freeswitch/sounds"
FALLBACK = "en"
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?\Z")
_FOLDER = re.compile(r"[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\Z")
_ABSOLUTE = re.compile(r"/[A-Za-z0-9_./-]*\Z")


@dataclass(frozen=True)
class Voice:
    language: str  # FreeSWITCH's language name: the phrase macros' language and the say module
    prefix: str  # absolute folder of the voice's sound files

    def variables(self) -> list[tuple[str, str]]:
        """The channel variables that make FreeSWITCH speak this voice."""
        return [("default_language", self.language), ("sound_prefix", self.prefix),
                ("sound_prefix_enforced", "true")]

    def path(self, sound: str) -> str:
        """A stock sound as an absolute path in this voice (for legs that do not carry sound_prefix)."""
        return sound if sound.startswith("/") or "://" in sound else f"{self.prefix}/{sound}"


class Voices:
    """The configured voices, by language; `for_language` never fails."""

    def __init__(self, sounds_dir: str = DEFAULT_SOUNDS_DIR, voices: str = DEFAULT_VOICES):
        if not _ABSOLUTE.match(sounds_dir or "") or ".." in sounds_dir:
            raise InvalidInput("sounds_dir", f"must be an absolute folder like {DEFAULT_SOUNDS_DIR}, got {sounds_dir!r}")
        self.sounds_dir = sounds_dir.rstrip("/") or "/"
        self.folders = parse(voices)
        if FALLBACK not in self.folders:
            raise InvalidInput("voices", f"needs a voice for {FALLBACK!r}, the language used when a tenant's has none")

    @classmethod
    def from_config(cls, config) -> "Voices":
        return cls(config.sounds_dir, config.voices)

    def has(self, language: str) -> bool:
        return self._folder_key(language) is not None

    def for_language(self, language: str) -> Voice:
        key = self._folder_key(language) or FALLBACK
        return Voice(key.split("-")[0], f"{self.sounds_dir}/{self.folders[key]}")

    def _folder_key(self, language: str) -> str | None:
        wanted = (language or "").strip().lower().replace("_", "-")
        for key in (wanted, wanted.split("-")[0]):
            if key in self.folders:
                return key
        return None


def parse(text: str) -> dict[str, str]:
    """``es=es/ar/mario,en=en/us/callie`` as {language: folder}; a bad pair names the setting."""
    folders = {}
    for pair in filter(None, (part.strip() for part in (text or "").split(","))):
        language, _, folder = (side.strip() for side in pair.partition("="))
        language = language.lower().replace("_", "-")
        if not _LANGUAGE.match(language) or not _FOLDER.match(folder):
            raise InvalidInput("voices", f"expected language=folder pairs like {DEFAULT_VOICES!r}, got {pair!r}")
        folders[language] = folder
    return folders
