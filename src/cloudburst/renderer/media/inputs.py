"""First look at a scene's inputs: is each file there, of an allowed format, and within the limits?

Formats come from the files' first bytes (`cloudburst.core.media_types.sniff`), never from their names, and
the result names the ffmpeg demuxer that later steps must force. Everything here is cheap (headers only), so a
bad input is refused before any decoding or encoding starts.

Audio that the headers say is too long is refused here only when the headers give the length exactly. An
estimate (a VBR MP3 without a Xing header, a WAV written to a pipe...) can be several times too long, so it
only plans the picture, and the audio check (`audio.measure_audio`, which decodes at most the limit plus a
second) decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cloudburst.core.audio_info import AudioLength, AudioUnreadable, audio_length
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
    audio_seconds_estimate: float  # from the headers, at most the limit; the audio check measures the exact value
    subtitles: SniffedInput | None
    watermark: SniffedInput | None


def sniff_scene(inputs: SceneInputs, limits: Limits) -> SniffedScene:
    """Sniff every input and read the audio's duration from its headers; InputRejected names the first problem."""
    image = sniff_input(inputs.image, MediaKind.IMAGE, "image")
    audio = sniff_input(inputs.audio, MediaKind.AUDIO, "audio")
    subtitles = sniff_input(inputs.subtitles, MediaKind.SUBTITLES, "subtitles") if inputs.subtitles else None
    watermark = sniff_input(inputs.watermark, MediaKind.IMAGE, "watermark") if inputs.watermark else None
    length = _audio_length(audio)
    if length.surely_longer_than(limits.max_audio_seconds):
        raise too_large(
            "audio", f"{length.seconds:.1f} s of audio is more than the limit of {limits.max_audio_seconds:.1f} s"
        )
    return SniffedScene(image, audio, min(length.seconds, limits.max_audio_seconds), subtitles, watermark)


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


def _audio_length(audio: SniffedInput) -> AudioLength:
    try:
        with audio.path.open("rb") as handle:
            return audio_length(handle, audio.format)
    except AudioUnreadable as exc:
        raise unreadable(audio.role, str(exc)) from None
