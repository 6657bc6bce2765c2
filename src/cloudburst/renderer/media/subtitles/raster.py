"""Subtitle states rasterised by libass (ffmpeg's `ass` filter), once each, as NV12 overlays.

Rather than run libass on every video frame, we render each distinct subtitle state once: the ASS script
given to ffmpeg is time-compressed so that state j is shown at second j, and a 1 fps source produces exactly
one frame per state, which becomes a premultiplied overlay:

- With opaque colours only (the default style), libass draws on a transparent canvas with the filter's
  `alpha=1`: the colour planes are then the premultiplied colour and the alpha plane the coverage, exactly.
- With a translucent box, that mode is wrong (ffmpeg applies a translucent colour's alpha twice to the
  alpha plane), so each state is drawn on black and on white instead, and the exact coverage
  (alpha = 255 - (white - black)) and premultiplied colour (the render on black) follow from the pair. It
  costs twice the drawing, so it is kept for the styles that need it.

The frames stream out of ffmpeg in state order and are turned into overlays as the video needs them, so
memory stays flat however many cues a scene has.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from cloudburst.renderer.media.api import RenderError
from cloudburst.renderer.media.filtergraph import filter_spec
from cloudburst.renderer.media.overlay import Overlay, overlay_from_premultiplied
from cloudburst.renderer.media.process import Cancel, FfmpegProcess


def raster_graph(script: Path, width: int, height: int, count: int, *, translucent: bool) -> str:
    source = f"s={width}x{height}:r=1:d={count}"
    if not translucent:
        return f"color=c=black@0:{source},format=rgba,{filter_spec('ass', filename=str(script), alpha='1')}"
    ass = filter_spec("ass", filename=str(script))
    return (
        f"color=c=black:{source},format=rgb24,{ass}[onblack];"
        f"color=c=white:{source},format=rgb24,{ass}[onwhite];"
        "[onblack][onwhite]vstack"
    )


class Rasteriser:
    """One overlay per state 0..count-1 of the time-compressed `script` (None where nothing is drawn), read in
    order with `next_overlay()`. The ffmpeg starts as soon as this is created, so its start-up (and libass
    loading fonts) overlaps whatever the render prepares meanwhile; `close()` stops it.

    `translucent`: the style has translucent colours (a box with opacity below 1), see the module docstring.
    """

    def __init__(
        self,
        script: Path,
        width: int,
        height: int,
        count: int,
        *,
        translucent: bool = True,
        cancel: Cancel | None = None,
    ) -> None:
        self._width, self._height, self._remaining = width, height, count
        self._translucent = translucent
        self._frame_size = width * height * (6 if translucent else 4)
        self._proc: FfmpegProcess | None = None
        if count > 0:
            pix_fmt = "rgb24" if translucent else "rgba"
            graph = raster_graph(script, width, height, count, translucent=translucent)
            args = ["-filter_complex", graph, "-f", "rawvideo", "-pix_fmt", pix_fmt, "pipe:1"]
            self._proc = FfmpegProcess(args, label="subtitle raster", cancel=cancel, stdout=True)

    def next_overlay(self) -> Overlay | None:
        proc = self._proc
        if proc is None or self._remaining == 0:
            raise RenderError("subtitle raster: asked for more states than the script has")
        data = _read_exactly(proc.stdout, self._frame_size)
        if data is None:
            proc.wait()  # raises with ffmpeg's message if it failed
            raise RenderError("subtitle raster: ffmpeg produced fewer frames than subtitle states")
        proc.raise_if_cancelled()
        self._remaining -= 1
        if self._remaining == 0:
            proc.wait()
            self.close()
        width, height = self._width, self._height
        if self._translucent:
            both = np.frombuffer(data, dtype=np.uint8).reshape(2 * height, width, 3)
            return overlay_from_renders(both[:height], both[height:], width, height)
        return overlay_from_rgba(np.frombuffer(data, dtype=np.uint8).reshape(height, width, 4), width, height)

    def close(self) -> None:
        if self._proc is not None:
            self._proc.__exit__(None, None, None)
            self._proc = None


def rasterise(
    script: Path, width: int, height: int, count: int, *, translucent: bool = True, cancel: Cancel | None = None
) -> Iterator[Overlay | None]:
    """Every state's overlay in order (a convenience over `Rasteriser`)."""
    rasteriser = Rasteriser(script, width, height, count, translucent=translucent, cancel=cancel)
    try:
        for _ in range(count):
            yield rasteriser.next_overlay()
    finally:
        rasteriser.close()


def overlay_from_renders(on_black: np.ndarray, on_white: np.ndarray, width: int, height: int) -> Overlay | None:
    """The overlay that, blended over any picture, gives what libass drew over black and over white."""
    covered = on_white[..., 1] != 255
    covered |= on_black[..., 1] != 0
    rows = np.flatnonzero(covered.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(covered[rows[0] : rows[-1] + 1].any(axis=0))
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    black = on_black[top:bottom, left:right].astype(np.float32)
    white = on_white[top:bottom, left:right].astype(np.float32)
    alpha = np.clip(1.0 - (white - black).mean(axis=2) / 255.0, 0.0, 1.0)
    return overlay_from_premultiplied(black, alpha, x=left, y=top, frame_width=width, frame_height=height)


def overlay_from_rgba(premultiplied_rgba: np.ndarray, width: int, height: int) -> Overlay | None:
    """The overlay from a render on a transparent canvas (colour already premultiplied, alpha = coverage)."""
    alpha_plane = premultiplied_rgba[..., 3]
    rows = np.flatnonzero(alpha_plane.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(alpha_plane[rows[0] : rows[-1] + 1].any(axis=0))
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    box = premultiplied_rgba[top:bottom, left:right].astype(np.float32)
    alpha = box[..., 3] / 255.0
    return overlay_from_premultiplied(box[..., :3], alpha, x=left, y=top, frame_width=width, frame_height=height)


def _read_exactly(stream: object, size: int) -> bytes | None:
    read = stream.read  # type: ignore[attr-defined]
    chunks = []
    remaining = size
    while remaining:
        chunk = read(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
