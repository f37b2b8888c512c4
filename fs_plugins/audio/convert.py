"""Decode an uploaded sound file and turn it into what FreeSWITCH plays without transcoding.

Decoding is libsndfile through `soundfile` (its PyPI wheels bundle libsndfile 1.2 with MP3, Ogg
Vorbis/Opus and FLAC), resampling is libsoxr through `soxr`: two small, well-kept bindings with
no external program to install. The stored copy is a mono 16-bit PCM WAV at 8 kHz (narrowband
sources: nothing to gain from upsampling) or 16 kHz (anything better: wideband phones use it and
FreeSWITCH downsamples for G.711 calls itself).

Every refusal is an InvalidInput naming the field the user gave the file in.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import soundfile
import soxr

from fs_plugins.errors import InvalidInput

ACCEPTED_FORMATS = {"WAV": "wav", "WAVEX": "wav", "RF64": "wav", "MP3": "mp3", "OGG": "ogg", "FLAC": "flac"}
NARROWBAND, WIDEBAND = 8000, 16000


@dataclass(frozen=True)
class Playable:
    """The converted sound: mono float samples in [-1, 1] at `rate` (8000 or 16000)."""

    samples: np.ndarray
    rate: int
    source_format: str

    @property
    def duration_ms(self) -> int:
        return int(round(len(self.samples) * 1000 / self.rate))


def playable_rate(source_rate: int) -> int:
    return NARROWBAND if source_rate <= NARROWBAND else WIDEBAND


def decode(path: str | os.PathLike, max_seconds: int, field: str = "file") -> Playable:
    """Read `path`, refuse what is not audio, empty or longer than `max_seconds`, convert."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise InvalidInput(field, f"cannot read {os.fspath(path)!r}: {exc.strerror}") from None
    if size == 0:
        raise InvalidInput(field, "the file is empty")
    try:
        info = soundfile.info(path)
        kind = ACCEPTED_FORMATS.get(info.format)
        if kind is None:
            raise InvalidInput(field, f"{info.format} files are not accepted; use WAV, MP3, OGG or FLAC")
        # Refuse an over-long file before decoding all of it.
        _check_length(info.frames / info.samplerate if info.samplerate else 0, max_seconds, field)
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError):
        raise InvalidInput(field, "not an audio file (WAV, MP3, OGG or FLAC expected)") from None
    if samples.size == 0 or rate <= 0:
        raise InvalidInput(field, "the file contains no sound (0 samples)")
    _check_length(len(samples) / rate, max_seconds, field)  # MP3 headers may under-state it
    mono = samples.mean(axis=1) if samples.shape[1] > 1 else samples[:, 0]
    target = playable_rate(rate)
    if rate != target:
        mono = soxr.resample(mono, rate, target, quality="HQ")
    return Playable(np.clip(mono, -1.0, 1.0).astype("float32"), target, kind)


def _check_length(seconds: float, max_seconds: int, field: str) -> None:
    if seconds > max_seconds:
        raise InvalidInput(field, f"too long: {seconds:.0f} s, the limit is {max_seconds} s")


def write_wav(playable: Playable, path: str | os.PathLike) -> None:
    soundfile.write(path, playable.samples, playable.rate, subtype="PCM_16", format="WAV")
