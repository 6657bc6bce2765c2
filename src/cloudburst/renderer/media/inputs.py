"""First look at a scene's inputs: is each file there, of an allowed format, and within the limits?

Formats come from the files' first bytes (`cloudburst.core.media_types.sniff`), never from their names, and
the result names the ffmpeg demuxer that later steps must force. Everything here is cheap (headers only), so a
bad input is refused before any decoding or encoding starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cloudburst.core.audio_info import AudioUnreadable, audio_duration
from cloudburst.core.media_types import SNIFF_BYTES, MediaFormat, MediaKind, UnsupportedMedia, sniff
from cloudburst.renderer.media.api import Limits, SceneInputs
from cloudburst.renderer.media.rejections import too_large, unreadable, unsupported


@dataclass(frozen=True)
class SniffedInput:
    role: str
    path: Path
    format: MediaFormat


@dataclass(frozen=True)
class SniffedScene:
    image: SniffedInput
    audio: SniffedInput
    audio_seconds_estimate: float  # from the headers; the audio pre-pass measures the exact value
    subtitles: SniffedInput | None
    watermark: SniffedInput | None


def sniff_scene(inputs: SceneInputs, limits: Limits) -> SniffedScene:
    """Sniff every input and read the audio's duration from its headers; InputRejected names the first problem."""
    image = sniff_input(inputs.image, MediaKind.IMAGE, "image")
    audio = sniff_input(inputs.audio, MediaKind.AUDIO, "audio")
    subtitles = sniff_input(inputs.subtitles, MediaKind.SUBTITLES, "subtitles") if inputs.subtitles else None
    watermark = sniff_input(inputs.watermark, MediaKind.IMAGE, "watermark") if inputs.watermark else None
    seconds = _audio_seconds(audio)
    if seconds > limits.max_audio_seconds:
        raise too_large("audio", f"{seconds:.1f} s of audio is more than the limit of {limits.max_audio_seconds:.1f} s")
    return SniffedScene(image, audio, seconds, subtitles, watermark)


def sniff_input(path: Path, kind: MediaKind, role: str) -> SniffedInput:
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except FileNotFoundError:
        raise unreadable(role, "the file is missing") from None
    except OSError as exc:
        raise unreadable(role, f"cannot read the file ({exc.strerror or exc})") from None
    try:
        fmt = sniff(kind, head, role)
    except UnsupportedMedia as exc:
        raise unsupported(role, exc.detail) from None
    return SniffedInput(role, path, fmt)


def _audio_seconds(audio: SniffedInput) -> float:
    try:
        with audio.path.open("rb") as handle:
            return audio_duration(handle, audio.format)
    except AudioUnreadable as exc:
        raise unreadable(audio.role, str(exc)) from None
