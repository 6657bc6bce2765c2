"""x264 in the renderer's own process (the `_x264` C extension), where it was built.

A moving scene's frames are made in this process. Piped to ffmpeg, each 1080p frame (3.1 MB) crossed a pipe
and was copied out of it before x264 copied it again into its own picture; that was about a tenth of the
CPU a render spends beside x264 itself (docs/render-speed.md). In process, x264 reads each frame where it
was made, and only the compressed stream (a few kB per frame) goes to ffmpeg, which muxes it with the audio.
The settings are the same as ffmpeg's libx264 wrapper gives x264 (`encoder.x264_params`), and so is the
stream, byte for byte (the tests compare them).

Without the extension (no libx264 headers at install time), or with `CLOUDBURST_ENCODER=ffmpeg`, moving
scenes are piped to ffmpeg as before: the same video, more CPU.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from cloudburst.models.render_options import QualityOptions
from cloudburst.renderer.media.api import RenderError
from cloudburst.renderer.media.colour import Nv12
from cloudburst.renderer.media.encoder import x264_params

try:
    from cloudburst.renderer.media import _x264
except ImportError:  # built without libx264's headers: ffmpeg encodes the moving scenes
    _x264 = None  # type: ignore[assignment]

BUILT = _x264 is not None
"""Whether the extension was built here (`in_process` also honours `CLOUDBURST_ENCODER`)."""
ENCODER_VARIABLE = "CLOUDBURST_ENCODER"
CHOICES = ("auto", "in-process", "ffmpeg")


@dataclass(frozen=True)
class Packet:
    """One encoded frame as x264 returns it: Annex B bytes and its times in frames (dts < pts with B-frames)."""

    data: bytes
    pts: int
    dts: int
    keyframe: bool


def in_process() -> bool:
    """Whether moving scenes are encoded in this process. `CLOUDBURST_ENCODER` may force either way;
    `in-process` where the extension is missing is an installation error, not a silent fallback."""
    choice = os.environ.get(ENCODER_VARIABLE, "auto").strip().lower() or "auto"
    if choice not in CHOICES:
        raise RenderError(f"{ENCODER_VARIABLE}={choice!r}: expected one of {', '.join(CHOICES)}")
    if choice == "in-process" and _x264 is None:
        raise RenderError(f"{ENCODER_VARIABLE}=in-process, but the _x264 extension was not built")
    return _x264 is not None and choice != "ffmpeg"


def encoder_name() -> str:
    """Which encoder moving scenes use here, for the renderer's start-up log and the benchmark."""
    return f"libx264 build {_x264.BUILD} in process" if in_process() else "ffmpeg's libx264 through a pipe"


class InProcessEncoder:
    """One x264 encoder for NV12 pictures of one size; a context manager that always frees x264's threads."""

    def __init__(
        self,
        width: int,
        height: int,
        *,
        fps: int,
        quality: QualityOptions,
        threads: int,
        extra: Sequence[tuple[str, str]] = (),
    ) -> None:
        """`extra`: more `x264_param_parse` pairs, applied after the shared settings (as `-x264-params` is)."""
        if _x264 is None:
            raise RenderError("the _x264 extension was not built")
        params = [*x264_params(quality, threads), *extra]
        try:
            self._encoder = _x264.Encoder(width, height, fps, quality.preset.value, params)
        except (ValueError, RuntimeError) as exc:
            raise RenderError(f"x264: {exc}") from None

    def encode(self, picture: Nv12, stride: int, *, idr: bool = False) -> Packet | None:
        """Encode one picture whose planes are `stride` bytes per row (each plane one contiguous buffer), as an
        IDR picture if `idr`. Its memory may be reused as soon as this returns. None while x264 is still
        looking ahead."""
        return _packet(self._encoder.encode(picture.y, picture.uv, stride, idr=idr))

    def flush(self) -> Iterator[Packet]:
        """The frames x264 still holds, in decoding order."""
        while (packet := _packet(self._encoder.flush())) is not None:
            yield packet

    def close(self) -> None:
        self._encoder.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def _packet(raw: tuple[bytes, int, int, bool] | None) -> Packet | None:
    return None if raw is None else Packet(*raw)
