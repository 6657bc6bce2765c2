"""Video made of held pictures, encoded once each: the fast path for scenes without motion.

A still scene has few distinct pictures (the image, then one per change of the subtitles), so x264 encodes
only those, each once, and `h264.assemble` repeats each for as many frames as it is shown by appending
all-skip P frames. The result is a true constant-frame-rate stream at the requested rate whose held frames are
bit-exact copies, at a small fraction of the cost of encoding every frame (see docs/render-speed.md).

x264 is asked for what the skip frames need: CAVLC (`cabac=0`), no B-frames (so picture order count type 2),
one reference frame, no scene-cut or periodic keyframes of its own. IDR pictures are forced where we want
them: the first picture, and a refresh at least every `KEYFRAME_INTERVAL_S` so players can seek.

The pictures are coded by x264 in this process where `_x264` was built (as moving scenes are: see
`libx264`), else by an ffmpeg; either way the held stream goes on a pipe to the ffmpeg that writes the MP4,
which has been encoding the AAC since the render's video began. A still scene is over in about a second, so
what counts is how many processes it starts and what runs one after another: one ffmpeg, not an encoder, an
audio encoder and a final mux.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cloudburst.models.render_options import QualityOptions
from cloudburst.renderer.media.api import RenderCancelled
from cloudburst.renderer.media.audio import COMPRESSED_VIDEO_QUEUE, file_url, mp4_with_audio_args
from cloudburst.renderer.media.colour import Nv12
from cloudburst.renderer.media.encoder import MP4_OUTPUT, x264_args
from cloudburst.renderer.media.h264.assemble import hold_pictures
from cloudburst.renderer.media.h264.bits import iter_annexb, split_annexb
from cloudburst.renderer.media.inputs import SniffedInput
from cloudburst.renderer.media.libx264 import InProcessEncoder, in_process
from cloudburst.renderer.media.process import Cancel, FfmpegProcess, run_ffmpeg

KEYFRAME_INTERVAL_S = 10.0
READ_CHUNK = 1 << 20
SKIP_FRIENDLY_X264 = (("cabac", "0"), ("bframes", "0"), ("ref", "1"), ("scenecut", "0"), ("keyint", "infinite"))
"""x264's options for pictures that skip frames follow, as `x264_param_parse` pairs (and `-x264-params`)."""


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


@dataclass(frozen=True)
class PictureCoding:
    """How the pictures are coded: their size and rate, the quality settings, x264's threads."""

    width: int
    height: int
    fps: int
    quality: QualityOptions
    threads: int


def encode_held(
    plan: list[CodedPicture],
    picture: Callable[[int], Nv12],
    coding: PictureCoding,
    *,
    audio: SniffedInput,
    scratch: Path,
    target: Path,
    cancel: Cancel | None = None,
    on_picture: Callable[[int], None] | None = None,
) -> None:
    """The plan's pictures, each held for its frames, and the audio as AAC, into the MP4 at `target`.

    The raw H.264 demuxer times frames in microseconds (33333, 33334...); a video timescale of exactly the
    frame rate makes every frame one tick, instead of durations that drift by a frame an hour.
    """
    fps = str(coding.fps)
    args = mp4_with_audio_args(
        [*COMPRESSED_VIDEO_QUEUE, "-f", "h264", "-framerate", fps],
        ["-c:v", "copy", "-video_track_timescale", fps],
        audio,
        bitrate_kbps=coding.quality.audio_bitrate_kbps,
        target=target,
    )
    coded = code_pictures(plan, picture, coding, scratch=scratch, cancel=cancel, on_picture=on_picture)
    with FfmpegProcess(args, label="encode", cancel=cancel, stdin=True) as proc, contextlib.closing(coded):
        for chunk in hold_pictures(coded, [item.frames for item in plan]):
            proc.raise_if_cancelled()
            with proc.explaining_a_broken_pipe():
                proc.stdin.write(chunk)
        with proc.explaining_a_broken_pipe():
            proc.stdin.close()
        proc.wait()


def code_pictures(
    plan: list[CodedPicture],
    picture: Callable[[int], Nv12],
    coding: PictureCoding,
    *,
    scratch: Path,
    cancel: Cancel | None = None,
    on_picture: Callable[[int], None] | None = None,
) -> Generator[bytes]:
    """The plan's pictures coded by x264 (an IDR where the plan says): their NAL units, in order, as they are
    coded. `picture(source)` is asked for each source once in a row; `on_picture(i)` follows picture i."""
    pictures = _pictures_in_order(plan, picture, cancel)
    if in_process():
        coded = _code_in_process(plan, pictures, coding)
    else:
        coded = _code_with_ffmpeg(plan, pictures, coding, scratch=scratch, cancel=cancel)
    for index, units in coded:
        if on_picture is not None and index is not None:
            on_picture(index)
        yield from units


def _code_in_process(
    plan: list[CodedPicture], pictures: Iterator[tuple[int, Nv12]], coding: PictureCoding
) -> Iterator[tuple[int | None, list[bytes]]]:
    """(index of the picture just handed to x264 or None while flushing, the units that came out)."""
    with InProcessEncoder(
        coding.width,
        coding.height,
        fps=coding.fps,
        quality=coding.quality,
        threads=coding.threads,
        extra=SKIP_FRIENDLY_X264,
    ) as encoder:
        for index, frame in pictures:
            packet = encoder.encode(frame, coding.width, idr=plan[index].idr)
            yield index, split_annexb(packet.data) if packet is not None else []
        for packet in encoder.flush():
            yield None, split_annexb(packet.data)


def _code_with_ffmpeg(
    plan: list[CodedPicture],
    pictures: Iterator[tuple[int, Nv12]],
    coding: PictureCoding,
    *,
    scratch: Path,
    cancel: Cancel | None,
) -> Iterator[tuple[int | None, list[bytes]]]:
    """As `_code_in_process`, with ffmpeg's libx264 (the stream is the same, byte for byte)."""
    coded = scratch / "pictures.h264"
    idr_times = [_force_time(index, coding.fps) for index, item in enumerate(plan) if item.idr]
    with FfmpegProcess(
        [
            "-f", "rawvideo", "-pix_fmt", "nv12", "-s", f"{coding.width}x{coding.height}",
            "-framerate", str(coding.fps), "-i", "pipe:0",
            *x264_args(coding.quality, coding.threads, input_pix_fmt="nv12"),
            "-x264-params", ":".join(f"{name}={value}" for name, value in SKIP_FRIENDLY_X264),
            "-force_key_frames", ",".join(idr_times), "-forced-idr", "1",
            "-f", "h264", "-y", file_url(coded),
        ],
        label="still encode",
        cancel=cancel,
        stdin=True,
    ) as proc:  # fmt: skip
        for index, frame in pictures:
            with proc.explaining_a_broken_pipe():
                proc.stdin.write(frame.y.data)
                proc.stdin.write(frame.uv.data)
            yield index, []
        with proc.explaining_a_broken_pipe():
            proc.stdin.close()
        proc.wait()
    with coded.open("rb") as source:  # read in chunks: a scene with thousands of cues codes as many pictures
        for unit in iter_annexb(iter(lambda: source.read(READ_CHUNK), b"")):
            yield None, [unit]
    coded.unlink()


def _pictures_in_order(
    plan: list[CodedPicture], picture: Callable[[int], Nv12], cancel: Cancel | None
) -> Iterator[tuple[int, Nv12]]:
    """Each coded picture's frame, contiguous, made once per run of the same source."""
    current: tuple[int, Nv12] | None = None
    for index, item in enumerate(plan):
        if cancel is not None and cancel.is_set():
            raise RenderCancelled("still encode: cancelled")
        if current is None or current[0] != item.source:
            made = picture(item.source)
            current = (item.source, Nv12(np.ascontiguousarray(made.y), np.ascontiguousarray(made.uv)))
        yield index, current[1]


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
