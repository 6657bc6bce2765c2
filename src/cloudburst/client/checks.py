"""Check local input files the way the Plan Lambda checks objects in S3, before anything is uploaded.

The type comes from the first bytes (`cloudburst.core.media_types.sniff`), the audio length from the headers
(`cloudburst.core.audio_info.audio_length`), the size caps are the Plan Lambda's (`SIZE_CAPS`) and the
picture and length limits the renderer's (`Limits`), and subtitles are read whole by the renderer's own cue
parser (`cloudburst.core.subtitle_cues`), so a job that passes here is not refused later for its inputs, and a
job refused here gets the same reason, sooner.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from PIL import Image, UnidentifiedImageError

from cloudburst.core.audio_info import AudioUnreadable, audio_length
from cloudburst.core.media_types import SNIFF_BYTES, MediaFormat, MediaKind, UnsupportedMedia, sniff
from cloudburst.core.subtitle_cues import SubtitlesRejected, cues_from_bytes
from cloudburst.pipeline.input_checks import MIB, ROLE_KINDS, SIZE_CAPS
from cloudburst.renderer.media.api import Limits

DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class InputFacts:
    """What the checks learned about one valid input (the planner needs the audio durations)."""

    path: Path
    format: MediaFormat
    size_bytes: int
    audio_seconds: float | None = None
    audio_estimate: str | None = None  # why `audio_seconds` is only an estimate (the renderer measures it)
    pixels: tuple[int, int] | None = None


class InputProblem(ValueError):
    """One input is unusable; the message names the file and says why."""


def check_input(path: Path, role: str, limits: Limits = DEFAULT_LIMITS) -> InputFacts:
    """Facts about `path` used as `role` (image, audio, subtitles, watermark), or `InputProblem`."""
    try:
        return _checked_input(path, role, limits)
    except OSError as exc:  # a name too long, no permission, a file that vanished while being read
        raise InputProblem(f"{_shortened(path)}: cannot be read ({exc.strerror or type(exc).__name__})") from None


def _checked_input(path: Path, role: str, limits: Limits) -> InputFacts:
    kind = ROLE_KINDS[role]
    cap = SIZE_CAPS[role]
    if not path.exists():
        raise InputProblem(f"{path}: no such file")
    if not path.is_file():
        raise InputProblem(f"{path}: not a file")
    size = path.stat().st_size
    if size == 0:
        raise InputProblem(f"{path}: the file is empty")
    if size > cap:
        raise InputProblem(f"{path} is {size / MIB:.1f} MiB, above the {cap // MIB} MiB limit for {role}")
    with path.open("rb") as stream:
        head = stream.read(SNIFF_BYTES)
        try:
            fmt = sniff(kind, head, role)
        except UnsupportedMedia as exc:
            raise InputProblem(f"{path}: {exc.detail}") from None
        if kind is MediaKind.AUDIO:
            return _audio_facts(path, fmt, size, stream, limits)
        if kind is MediaKind.SUBTITLES:
            _check_cues(path, fmt, head + stream.read(cap), limits)  # the whole file: it is under its cap
    if kind is MediaKind.IMAGE:
        return InputFacts(path, fmt, size, pixels=_image_size(path, limits))
    return InputFacts(path, fmt, size)


def _shortened(path: Path, limit: int = 120) -> str:
    """A path fit for one line of an error message (the OS refuses names longer than this anyway)."""
    text = str(path)
    return text if len(text) <= limit else f"{text[: limit // 2]}…{text[-limit // 2 :]}"


def _audio_facts(path: Path, fmt: MediaFormat, size: int, stream: IO[bytes], limits: Limits) -> InputFacts:
    """The audio's length; refused only when the headers prove it too long, never on an estimate."""
    try:
        length = audio_length(stream, fmt)
    except AudioUnreadable as exc:
        raise InputProblem(f"{path}: {exc}") from None
    if length.surely_longer_than(limits.max_audio_seconds):
        raise InputProblem(
            f"{path}: {length.seconds / 3600:.1f} h of audio is longer than the "
            f"{limits.max_audio_seconds / 3600:.0f} h a scene may last; split it into several scenes"
        )
    return InputFacts(path, fmt, size, audio_seconds=length.seconds, audio_estimate=length.estimate)


def _check_cues(path: Path, fmt: MediaFormat, data: bytes, limits: Limits) -> None:
    try:
        cues_from_bytes(data, fmt, limits.max_subtitle_cues)
    except SubtitlesRejected as exc:
        raise InputProblem(f"{path}: {exc}") from None


def _image_size(path: Path, limits: Limits) -> tuple[int, int]:
    """Width and height from the image header (Pillow reads no pixels here)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise InputProblem(f"{path}: cannot read the image header ({exc})") from None
    if width * height > limits.max_image_pixels:
        raise InputProblem(
            f"{path}: {width}x{height} is more than the {limits.max_image_pixels:,} pixels allowed; scale it down"
        )
    return width, height
