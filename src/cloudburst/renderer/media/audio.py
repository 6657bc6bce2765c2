"""The audio pre-pass: the scene's narration decoded once and encoded to AAC stereo 48 kHz in an MP4.

Doing this before the video starts has three uses. It proves ffmpeg can decode the audio (a corrupt file is
refused as bad input before any video work), it measures the exact duration (which fixes the frame count;
header estimates can be wrong for VBR MP3), and the video encode can then stream-copy the AAC instead of
decoding and encoding audio alongside the picture.

Safety: the demuxer is forced from the sniffed format and only the `file` protocol is allowed, so a crafted
file cannot make ffmpeg open a playlist, a concat list or an external reference.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from cloudburst.renderer.media.api import RenderError
from cloudburst.renderer.media.inputs import SniffedInput
from cloudburst.renderer.media.mp4info import Mp4Unreadable, track
from cloudburst.renderer.media.process import run_ffmpeg
from cloudburst.renderer.media.rejections import too_large, unreadable

SAMPLE_RATE = 48_000
CHANNELS = 2


@dataclass(frozen=True)
class EncodedAudio:
    path: Path
    duration_s: float


def safe_input_args(path: Path, demuxer: str) -> list[str]:
    """ffmpeg input options that read exactly this local file with exactly this demuxer, nothing else."""
    args = ["-protocol_whitelist", "file", "-f", demuxer]
    if demuxer == "mov":
        args += ["-enable_drefs", "0"]  # never follow an MP4's data references to other files
    return [*args, "-i", file_url(path)]


def file_url(path: Path) -> str:
    """The `file:` form of a path, so a ':' in a name is never read as a protocol prefix."""
    return "file:" + str(path.resolve())


def encode_audio(
    audio: SniffedInput,
    target: Path,
    *,
    bitrate_kbps: int,
    max_seconds: float,
    cancel: threading.Event | None = None,
) -> EncodedAudio:
    assert audio.format.demuxer is not None
    try:
        run_ffmpeg(
            [
                *safe_input_args(audio.path, audio.format.demuxer),
                "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1",
                "-t", f"{max_seconds + 1:.3f}",  # a header can lie about the length: cap the work
                "-ac", str(CHANNELS), "-ar", str(SAMPLE_RATE),
                "-c:a", "aac", "-b:a", f"{bitrate_kbps}k",
                "-f", "mp4", "-y", file_url(target),
            ],
            label="audio pre-pass",
            cancel=cancel,
        )  # fmt: skip
    except RenderError as exc:
        raise unreadable(audio.role, f"ffmpeg cannot decode this {audio.format.name.upper()} audio ({exc})") from None
    try:
        duration = track(target, "soun").duration_s
    except (Mp4Unreadable, OSError) as exc:
        raise unreadable(audio.role, f"no audio could be decoded ({exc})") from None
    if duration <= 0:
        raise unreadable(audio.role, "the audio decodes to nothing (0 s)")
    if duration > max_seconds:
        raise too_large(audio.role, f"{duration:.0f} s of audio is more than the limit of {max_seconds:.0f} s")
    return EncodedAudio(target, duration)
