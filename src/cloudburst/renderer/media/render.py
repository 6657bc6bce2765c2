"""One scene to one MP4: `render_scene` (the real pipeline) and `render_stub` (the scale test's stand-in).

The order matters: every input is checked (format, size, decodability) before any video is encoded, so bad
input is reported as such and costs almost nothing; intermediate files live in a private scratch directory
inside `workdir` that is always removed, and the output is removed too when the render fails or is cancelled.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from cloudburst.models.render_options import RenderOptions
from cloudburst.renderer.media.api import Limits, RenderResult, SceneInputs
from cloudburst.renderer.media.audio import encode_audio, file_url
from cloudburst.renderer.media.canvas import compose_canvas
from cloudburst.renderer.media.cpus import container_cpus
from cloudburst.renderer.media.encoder import MP4_OUTPUT, x264_args
from cloudburst.renderer.media.image import load_image
from cloudburst.renderer.media.inputs import sniff_scene
from cloudburst.renderer.media.layout import output_size
from cloudburst.renderer.media.output import describe_output
from cloudburst.renderer.media.process import FfmpegProcess

OUTPUT_NAME = "output.mp4"

ProgressCallback = Callable[[float], None]


def render_scene(
    inputs: SceneInputs,
    options: RenderOptions,
    workdir: Path,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
) -> RenderResult:
    output = workdir / OUTPUT_NAME
    scratch = workdir / f".render-{uuid.uuid4().hex[:12]}"
    scratch.mkdir(parents=True)
    started = time.perf_counter()
    try:
        sniffed = sniff_scene(inputs, limits)
        image = load_image(sniffed.image, limits.max_image_pixels)
        width, height = output_size(options, *image.size)
        canvas = compose_canvas(image, options.fit, options.background, width, height)
        audio = encode_audio(
            sniffed.audio,
            scratch / "audio.m4a",
            bitrate_kbps=options.quality.audio_bitrate_kbps,
            max_seconds=limits.max_audio_seconds,
            cancel=cancel,
        )
        frames = frame_count(audio.duration_s, options.fps)
        still = scratch / "canvas.png"
        Image.fromarray(canvas).save(still, compress_level=1)
        progress = _ProgressParser(frames, on_progress)
        with FfmpegProcess(
            [
                "-protocol_whitelist", "file", "-f", "image2", "-loop", "1", "-framerate", str(options.fps),
                "-t", f"{(frames - 0.5) / options.fps:.6f}", "-i", file_url(still),
                "-protocol_whitelist", "file", "-f", "mp4", "-i", file_url(audio.path),
                "-map", "0:v", "-map", "1:a",
                *x264_args(options.quality, container_cpus()),
                "-c:a", "copy", "-progress", "pipe:1",
                *MP4_OUTPUT, "-y", file_url(output),
            ],
            label="encode",
            cancel=cancel,
            on_stdout_line=progress.feed,
        ) as proc:  # fmt: skip
            proc.wait()
        return describe_output(output, options.fps, {"render_s": time.perf_counter() - started, "frames": frames})
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def frame_count(duration_s: float, fps: int) -> int:
    """Frames for a video as long as the audio: the nearest whole frame, at least one."""
    return max(1, round(duration_s * fps))


class _ProgressParser:
    """Turns ffmpeg's `-progress` lines ('frame=123') into a 0..1 fraction for the caller."""

    def __init__(self, total_frames: int, callback: ProgressCallback | None) -> None:
        self._total = total_frames
        self._callback = callback

    def feed(self, line: str) -> None:
        if self._callback is None or not line.startswith("frame="):
            return
        try:
            done = int(line.removeprefix("frame="))
        except ValueError:
            return
        self._callback(min(1.0, done / self._total))


def render_stub(
    inputs: SceneInputs,
    options: RenderOptions,
    workdir: Path,
    *,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
) -> RenderResult:
    """A tiny valid MP4 as long as the audio (from its headers), for scale tests. Provisional: a 64x36 clip."""
    output = workdir / OUTPUT_NAME
    started = time.perf_counter()
    sniffed = sniff_scene(inputs, limits)
    frames = frame_count(sniffed.audio_seconds_estimate, options.fps)
    try:
        with FfmpegProcess(
            [
                "-f", "lavfi", "-i", f"color=c=black:s=64x36:r={options.fps}:d={frames / options.fps:.6f}",
                "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *MP4_OUTPUT, "-y", file_url(output),
            ],
            label="stub",
            cancel=cancel,
        ) as proc:  # fmt: skip
            proc.wait()
    except BaseException:
        output.unlink(missing_ok=True)
        raise
    if on_progress is not None:
        on_progress(1.0)
    return describe_output(output, options.fps, {"render_s": time.perf_counter() - started, "frames": frames})
