"""The stand-in renderer for scale tests: a valid MP4 of the right length and size, with nothing encoded.

A 2,000-scene job must be able to run through the whole system on one machine, so the stub does only the
cheap checks (inputs sniffed, audio length from its headers, image size from its header) and builds the file
from parts made once per process: one black IDR picture per frame size (held for every frame with skip
slices, like the still pipeline) and one AAC frame of silence (repeated). One ffmpeg stream-copy mux per
scene is all the work; the output still probes as H.264 + AAC 48 kHz stereo at the requested size and rate.
"""

from __future__ import annotations

import functools
import math
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from cloudburst.models.render_options import QualityOptions, RenderOptions
from cloudburst.renderer.media.api import Limits, RenderResult, SceneInputs
from cloudburst.renderer.media.audio import file_url
from cloudburst.renderer.media.colour import Nv12
from cloudburst.renderer.media.h264.assemble import hold_pictures
from cloudburst.renderer.media.h264.bits import split_annexb
from cloudburst.renderer.media.held import CodedPicture, PictureCoding, code_pictures, mux_held
from cloudburst.renderer.media.image import PIL_FORMATS
from cloudburst.renderer.media.inputs import sniff_scene
from cloudburst.renderer.media.layout import output_size
from cloudburst.renderer.media.output import describe_output
from cloudburst.renderer.media.process import run_ffmpeg
from cloudburst.renderer.media.rejections import unreadable

AAC_FRAME_SAMPLES = 1024
SAMPLE_RATE = 48_000
BLACK_Y, BLACK_UV = 16, 128


def render_stub(
    inputs: SceneInputs,
    options: RenderOptions,
    workdir: Path,
    *,
    on_progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
) -> RenderResult:
    started = time.perf_counter()
    sniffed = sniff_scene(inputs, limits)
    try:
        with Image.open(sniffed.image.path, formats=[PIL_FORMATS[sniffed.image.format.name]]) as image:
            size = image.size
    except (OSError, SyntaxError, ValueError) as exc:
        raise unreadable("image", f"cannot read the image header ({exc})") from None
    width, height = output_size(options, *size)
    frames = max(1, round(sniffed.audio_seconds_estimate * options.fps))
    output = workdir / "output.mp4"
    with tempfile.TemporaryDirectory(dir=workdir, prefix=".stub-") as scratch_name:
        scratch = Path(scratch_name)
        video = scratch / "video.h264"
        with video.open("wb") as out:
            for chunk in hold_pictures(split_annexb(black_picture(width, height, options.fps)), [frames]):
                out.write(chunk)
        audio = scratch / "silence.aac"
        audio_frames = math.ceil(frames / options.fps * SAMPLE_RATE / AAC_FRAME_SAMPLES)
        audio.write_bytes(silent_aac_frame() * audio_frames)
        try:
            mux_held(video, audio, fps=options.fps, output=output, cancel=cancel, audio_format="aac")
        except BaseException:
            output.unlink(missing_ok=True)
            raise
    if on_progress is not None:
        on_progress(1.0)
    return describe_output(output, options.fps, {"render_s": time.perf_counter() - started, "frames": frames})


@functools.cache
def black_picture(width: int, height: int, fps: int) -> bytes:
    """One black IDR picture (with SPS/PPS) at this size, encoded once per process."""
    with tempfile.TemporaryDirectory(prefix="cloudburst-stub-") as scratch_name:
        scratch = Path(scratch_name)
        y = np.full((height, width), BLACK_Y, dtype=np.uint8)
        uv = np.full((height // 2, width // 2, 2), BLACK_UV, dtype=np.uint8)
        coded = code_pictures(
            [CodedPicture(0, 1, idr=True)],
            lambda _source: Nv12(y, uv),
            PictureCoding(width, height, fps, QualityOptions(), threads=1),
            scratch=scratch,
        )
        return b"".join(hold_pictures(coded, [1]))


@functools.cache
def silent_aac_frame() -> bytes:
    """One ADTS frame of stereo 48 kHz silence, taken from the middle of an encoded second of silence."""
    with tempfile.TemporaryDirectory(prefix="cloudburst-stub-") as scratch_name:
        target = Path(scratch_name) / "silence.aac"
        run_ffmpeg(
            [
                "-f", "lavfi", "-i", f"anullsrc=r={SAMPLE_RATE}:cl=stereo", "-t", "1",
                "-c:a", "aac", "-b:a", "64k", "-f", "adts", "-y", file_url(target),
            ],
            label="stub audio",
        )  # fmt: skip
        frames = _adts_frames(target.read_bytes())
    return frames[len(frames) // 2]


def _adts_frames(data: bytes) -> list[bytes]:
    frames = []
    offset = 0
    while offset + 7 <= len(data):
        length = ((data[offset + 3] & 0x03) << 11) | (data[offset + 4] << 3) | (data[offset + 5] >> 5)
        if data[offset] != 0xFF or length < 7:
            break
        frames.append(data[offset : offset + length])
        offset += length
    return frames
