"""Sound files made on the spot for the audio and IVR tests (no fixtures downloaded)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

FORMATS = {"wav": ("WAV", "PCM_16"), "mp3": ("MP3", "MPEG_LAYER_III"), "ogg": ("OGG", "VORBIS"),
           "flac": ("FLAC", "PCM_16")}


def sine(path: Path, seconds: float = 1.0, rate: int = 44100, channels: int = 1, kind: str = "wav") -> Path:
    t = np.arange(int(seconds * rate)) / rate
    wave = (0.3 * np.sin(2 * np.pi * 440 * t)).astype("float32")
    data = np.stack([wave] * channels, axis=1) if channels > 1 else wave
    fmt, subtype = FORMATS[kind]
    soundfile.write(path, data, rate, format=fmt, subtype=subtype)
    return path
