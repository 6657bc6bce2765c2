"""Tiny valid input files made in-process (Pillow, the wave module): fast enough for unit tests."""

from __future__ import annotations

import wave
from pathlib import Path

from PIL import Image

SRT_TEXT = "1\n00:00:00,000 --> 00:00:01,000\nHello\n"


def write_png(path: Path, width: int = 32, height: int = 18) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (40, 90, 160)).save(path, format="PNG")
    return path


def write_wav(path: Path, seconds: float = 1.0, rate: int = 8000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return path


def write_srt(path: Path, text: str = SRT_TEXT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def make_scene_folder(folder: Path, names: list[str], *, layout: str = "images", subtitles: bool = True) -> Path:
    """A folder in the older library's layout (`images/` + `audio/`) or with same-stem files side by side."""
    for index, name in enumerate(names):
        if layout == "images":
            write_png(folder / "images" / f"{name}.png")
            write_wav(folder / "audio" / f"{name}.wav", seconds=1.0 + index)
            if subtitles:
                write_srt(folder / "audio" / f"{name}.srt")
        else:
            write_png(folder / f"{name}.png")
            write_wav(folder / f"{name}.wav", seconds=1.0 + index)
            if subtitles:
                write_srt(folder / f"{name}.srt")
    return folder
