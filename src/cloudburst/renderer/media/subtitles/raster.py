"""Subtitle states rasterised by libass (ffmpeg's `ass` filter), once each, as NV12 overlays.

Rather than run libass on every video frame, we render each distinct subtitle state once: the ASS script
given to ffmpeg is time-compressed so that state j is shown at second j, and a 1 fps source produces exactly
one frame per state. Each state is drawn on black and on white; from the two renders the exact coverage
(alpha = 255 - (white - black)) and the premultiplied colour (the render on black) follow, whatever libass
blended (anti-aliased edges, translucent boxes). ffmpeg's own `alpha=1` mode cannot be used for this: it
applies a translucent colour's alpha twice.

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


def raster_graph(script: Path, width: int, height: int, count: int) -> str:
    ass = filter_spec("ass", filename=str(script))
    source = f"s={width}x{height}:r=1:d={count}"
    return (
        f"color=c=black:{source},format=rgb24,{ass}[onblack];"
        f"color=c=white:{source},format=rgb24,{ass}[onwhite];"
        "[onblack][onwhite]vstack"
    )


def rasterise(
    script: Path, width: int, height: int, count: int, cancel: Cancel | None = None
) -> Iterator[Overlay | None]:
    """One overlay per state 0..count-1 of the time-compressed `script` (None where nothing is drawn)."""
    if count == 0:
        return
    frame_size = width * height * 3 * 2
    with FfmpegProcess(
        [
            "-filter_complex",
            raster_graph(script, width, height, count),
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "pipe:1",
        ],
        label="subtitle raster",
        cancel=cancel,
        stdout=True,
    ) as proc:
        for _ in range(count):
            data = _read_exactly(proc.stdout, frame_size)
            if data is None:
                proc.wait()  # raises with ffmpeg's message if it failed
                raise RenderError("subtitle raster: ffmpeg produced fewer frames than subtitle states")
            proc.raise_if_cancelled()
            both = np.frombuffer(data, dtype=np.uint8).reshape(2 * height, width, 3)
            yield overlay_from_renders(both[:height], both[height:], width, height)
        proc.wait()


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
