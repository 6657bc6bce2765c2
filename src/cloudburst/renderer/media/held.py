"""Video made of held pictures, encoded once each: the fast path for scenes without motion.

A still scene has few distinct pictures (the image, then one per change of the subtitles), so x264 encodes
only those, each once, and `h264.assemble` repeats each for as many frames as it is shown by appending
all-skip P frames. The result is a true constant-frame-rate stream at the requested rate whose held frames are
bit-exact copies, at a small fraction of the cost of encoding every frame (see docs/render-speed.md).

x264 is asked for what the skip frames need: CAVLC (`cabac=0`), no B-frames (so picture order count type 2),
one reference frame, no scene-cut or periodic keyframes of its own. IDR pictures are forced where we want
them: the first picture, and a refresh at least every `KEYFRAME_INTERVAL_S` so players can seek.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cloudburst.models.render_options import QualityOptions
from cloudburst.renderer.media.audio import file_url
from cloudburst.renderer.media.colour import Nv12
from cloudburst.renderer.media.encoder import MP4_OUTPUT, x264_args
from cloudburst.renderer.media.h264.assemble import hold_pictures
from cloudburst.renderer.media.h264.bits import iter_annexb
from cloudburst.renderer.media.process import Cancel, FfmpegProcess, run_ffmpeg

KEYFRAME_INTERVAL_S = 10.0
READ_CHUNK = 1 << 20
SKIP_FRIENDLY_X264 = "cabac=0:scenecut=0:keyint=infinite"


@dataclass(frozen=True)
class Hold:
    """Show picture `source` (an index into the caller's pictures) for `frames` frames."""

    source: int
    frames: int


@dataclass(frozen=True)
class CodedPicture:
    """One picture x264 encodes: which source picture, how many frames it is shown, whether it is an IDR."""

    source: int
    frames: int
    idr: bool


def coding_plan(
    holds: Iterable[Hold], fps: int, keyframe_interval_s: float = KEYFRAME_INTERVAL_S
) -> list[CodedPicture]:
    """The pictures x264 codes: each hold, split where an IDR is due (every `keyframe_interval_s`, and first)."""
    interval = max(1, math.floor(keyframe_interval_s * fps))
    plan: list[CodedPicture] = []
    since_idr = interval
    for hold in holds:
        remaining = hold.frames
        while remaining > 0:
            idr = since_idr >= interval
            if idr:
                since_idr = 0
            frames = min(remaining, interval - since_idr)
            plan.append(CodedPicture(hold.source, frames, idr))
            since_idr += frames
            remaining -= frames
    return plan


def encode_held(
    plan: list[CodedPicture],
    picture: Callable[[int], Nv12],
    *,
    width: int,
    height: int,
    fps: int,
    quality: QualityOptions,
    threads: int,
    scratch: Path,
    cancel: Cancel | None = None,
    on_picture: Callable[[int], None] | None = None,
) -> Path:
    """Encode the plan's pictures with x264 and expand them into a held-frame Annex B stream; returns its path."""
    coded = scratch / "pictures.h264"
    idr_times = [_force_time(index, fps) for index, item in enumerate(plan) if item.idr]
    with FfmpegProcess(
        [
            "-f", "rawvideo", "-pix_fmt", "nv12", "-s", f"{width}x{height}", "-framerate", str(fps), "-i", "pipe:0",
            *x264_args(quality, threads, input_pix_fmt="nv12"),
            "-bf", "0", "-refs", "1", "-x264-params", SKIP_FRIENDLY_X264,
            "-force_key_frames", ",".join(idr_times), "-forced-idr", "1",
            "-f", "h264", "-y", file_url(coded),
        ],
        label="still encode",
        cancel=cancel,
        stdin=True,
    ) as proc:  # fmt: skip
        cache: tuple[int, bytes] | None = None
        for index, item in enumerate(plan):
            proc.raise_if_cancelled()
            if cache is None or cache[0] != item.source:
                frame = picture(item.source)
                cache = (item.source, frame.y.tobytes() + frame.uv.tobytes())
            try:
                proc.stdin.write(cache[1])
            except BrokenPipeError:
                proc.wait()  # ffmpeg died: raises with its message
                raise
            if on_picture is not None:
                on_picture(index)
        proc.stdin.close()
        proc.wait()
    held = scratch / "held.h264"
    with coded.open("rb") as source, held.open("wb") as out:
        units = iter_annexb(iter(lambda: source.read(READ_CHUNK), b""))
        for chunk in hold_pictures(units, [item.frames for item in plan]):
            out.write(chunk)
    coded.unlink()
    return held


def mux_held(
    video: Path, audio: Path, *, fps: int, output: Path, cancel: Cancel | None = None, audio_format: str = "mp4"
) -> None:
    """Stream-copy the held-frame video and the AAC into an MP4 with exact constant-rate timestamps.

    The raw H.264 demuxer times frames in microseconds (33333, 33334...); a video timescale of exactly `fps`
    makes every frame one tick, instead of durations that drift by a frame an hour.
    """
    run_ffmpeg(
        [
            "-protocol_whitelist", "file", "-f", "h264", "-framerate", str(fps), "-i", file_url(video),
            "-protocol_whitelist", "file", "-f", audio_format, "-i", file_url(audio),
            "-map", "0:v", "-map", "1:a", "-c", "copy", "-video_track_timescale", str(fps),
            *MP4_OUTPUT, "-y", file_url(output),
        ],
        label="mux",
        cancel=cancel,
    )  # fmt: skip


def _force_time(index: int, fps: int) -> str:
    """A time just before picture `index` (ffmpeg forces the first frame at or after each listed time)."""
    return f"{max(0.0, (index - 0.5) / fps):.6f}"
