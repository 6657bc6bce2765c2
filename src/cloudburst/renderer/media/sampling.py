"""How each frame is cut out of the base picture: the cheap resize with a sub-pixel origin, planned per frame.

A view maps output pixel x to base position u = a*x + b (a = base pixels per output pixel; likewise for y).
The fast way to resample is OpenCV's `resize` of a region of the base: with an exact scale factor f = 1/a it
maps destination column j of a region starting at integer column r to r + (j + 0.5)*a - 0.5 (checked against a
float bilinear reference in the tests). Its only limit is that r is an integer, so used directly it snaps the
picture to whole base pixels (the jitter of ffmpeg's zoompan). The way round it: resize K extra columns and
rows and start the output at column k of the result; column k sits at r + k*a + 0.5a - 0.5, and over the
choices of r and k = 0..K the fractional offsets k*a mod 1 cover the unit interval finely unless a is close to
a simple fraction. This module picks, per frame and per axis, the (r, k) with the smallest error.

When no choice is within tolerance (a close to 1/1, 1/2, 3/2... over a stretch of frames), the frame is made
with `warpAffine` instead, which is exact but about four times slower. The base picture's scale (how many
base pixels per canvas pixel) is chosen among a few candidates to make such frames rare (`choose_base_scale`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cloudburst.renderer.media.motion import View

EXTRA = 16
"""K: extra destination columns/rows resized so the start can shift by k*a (16 costs about 2% more pixels)."""
LUMA_TOLERANCE = 1.0 / 16.0  # output pixels; warpAffine itself quantises positions to 1/32 px
CHROMA_TOLERANCE = 1.0 / 8.0  # chroma pixels (a quarter of a luma pixel)
SCALE_CANDIDATES = tuple(1.0 + step / 100.0 for step in range(2, 13))  # base scale relative to the deepest zoom
MAX_DOWNSCALE = 1.6
"""Never resize by more than this at the widest view: bilinear sampling would skip pixels and alias."""


@dataclass(frozen=True)
class AxisCut:
    """Resize a base region starting at `origin` and keep destination samples from `skip` on."""

    origin: int
    skip: int
    region: int  # region length in base samples
    error: float  # in destination samples


@dataclass(frozen=True)
class FrameCut:
    scale_x: float  # a: base samples per output sample (same for luma and chroma, in their own units)
    scale_y: float
    luma_x: AxisCut
    luma_y: AxisCut
    chroma_x: AxisCut
    chroma_y: AxisCut
    # Exact affine maps (output sample → base sample) for the warp fallback.
    luma_offset: tuple[float, float]
    chroma_offset: tuple[float, float]

    @property
    def fast(self) -> bool:
        luma = max(self.luma_x.error, self.luma_y.error)
        chroma = max(self.chroma_x.error, self.chroma_y.error)
        return luma <= LUMA_TOLERANCE and chroma <= CHROMA_TOLERANCE


def base_sizes(width: int, height: int, scale: float) -> tuple[int, int]:
    """Base picture size for a canvas scale: even, at least the output size."""
    return max(width, 2 * round(width * scale / 2)), max(height, 2 * round(height * scale / 2))


def plan_cut(view: View, width: int, height: int, base_width: int, base_height: int) -> FrameCut:
    sx, sy = base_width / width, base_height / height
    ax, ay = sx / view.zoom, sy / view.zoom
    left = (view.cx - width / (2.0 * view.zoom)) * sx
    top = (view.cy - height / (2.0 * view.zoom)) * sy
    bx, by = left + 0.5 * ax - 0.5, top + 0.5 * ay - 0.5  # u = a*x + b for luma samples
    # Chroma (H.264 default siting): horizontally c = u/2; vertically c = (v - 0.5)/2 at output row 2j + 0.5.
    cbx = bx / 2.0
    cby = (0.5 * ay + by - 0.5) / 2.0
    return FrameCut(
        scale_x=ax,
        scale_y=ay,
        luma_x=solve_axis(ax, bx, width),
        luma_y=solve_axis(ay, by, height),
        chroma_x=solve_axis(ax, cbx, width // 2),
        chroma_y=solve_axis(ay, cby, height // 2),
        luma_offset=(bx, by),
        chroma_offset=(cbx, cby),
    )


def solve_axis(a: float, b: float, out_len: int, extra: int = EXTRA) -> AxisCut:
    """Best (origin r, skip k) so that r + k*a + 0.5a - 0.5 ≈ b (r may fall in the base's margin).

    The base carries a replicated margin of `margin(a)` samples on every side (see `frames.BasePicture`), so a
    region may start before 0 or end after the last sample: only discarded samples, or the border pixel
    OpenCV would have repeated anyway, come from it. The first used sample must not fall before the region's
    start (OpenCV would clamp it to the region's edge instead of reading the sample before it).
    """
    best: AxisCut | None = None
    for skip in range(extra + 1):
        first = skip * a + 0.5 * a - 0.5  # first used sample, relative to the origin
        if first < 0:
            continue
        origin = round(b - first)
        error = abs(origin + first - b) / a
        if best is None or error < best.error - 1e-9:
            region = math.ceil((skip + out_len) * a + 0.5 * a + 0.5) + 1
            best = AxisCut(origin, skip, region, error)
        if error < 1e-6:
            break
    assert best is not None  # skip = 1 is always allowed (a > 1/3)
    return best


def resized_length(out_len: int, min_scale: float, extra: int = EXTRA) -> int:
    """The most samples `cv2.resize` returns along an axis for any cut `solve_axis` makes with a scale of at
    least `min_scale`: the frame buffers are laid out for it before the first frame is made.

    A region holds at most (skip + out_len)*a + 0.5a + 2.5 samples (see `solve_axis`), and the resize returns
    round(region / a) of them, so at most extra + out_len + 1 + 2.5/a."""
    return out_len + extra + 1 + math.ceil(2.5 / min_scale)


def margin(max_scale: float, extra: int = EXTRA) -> int:
    """Replicated border, in luma samples, that any region of `solve_axis` stays within, for luma and for
    chroma (whose regions are `extra` chroma samples, twice as wide in luma terms)."""
    return 2 * (math.ceil((extra + 2) * max_scale) + 4)


def axis_errors(a: np.ndarray, b: np.ndarray, extra: int = EXTRA) -> np.ndarray:
    """`solve_axis`'s smallest error for many (a, b) pairs at once (numpy), in destination samples."""
    best = np.full(a.shape, np.inf)
    for skip in range(extra + 1):
        first = skip * a + 0.5 * a - 0.5
        origin = np.round(b - first)
        error = np.where(first >= 0, np.abs(origin + first - b) / a, np.inf)
        best = np.minimum(best, error)
    return best


def slow_frames(views: Sequence[View], width: int, height: int, base_width: int, base_height: int) -> int:
    """How many of `views` `plan_cut` would leave to the warp (computed for all frames at once)."""
    zoom = np.array([view.zoom for view in views])
    cx = np.array([view.cx for view in views])
    cy = np.array([view.cy for view in views])
    sx, sy = base_width / width, base_height / height
    ax, ay = sx / zoom, sy / zoom
    bx = (cx - width / (2.0 * zoom)) * sx + 0.5 * ax - 0.5
    by = (cy - height / (2.0 * zoom)) * sy + 0.5 * ay - 0.5
    luma = np.maximum(axis_errors(ax, bx), axis_errors(ay, by))
    chroma = np.maximum(axis_errors(ax, bx / 2.0), axis_errors(ay, (0.5 * ay + by - 0.5) / 2.0))
    return int(np.count_nonzero((luma > LUMA_TOLERANCE) | (chroma > CHROMA_TOLERANCE)))


def choose_base_scale(views: Sequence[View], width: int, height: int, max_source_scale: float) -> float:
    """The base picture's scale (base pixels per canvas pixel): large enough that the deepest zoom is not an
    upscale when the source has the pixels, small enough that the widest view does not alias, and among
    those the candidate that leaves the fewest frames to the slow warp (ties: the smaller, cheaper base)."""
    deepest = max(view.zoom for view in views)
    widest = min(view.zoom for view in views)
    best_scale, best_slow = 0.0, math.inf
    for factor in SCALE_CANDIDATES:
        scale = min(deepest * factor, MAX_DOWNSCALE * widest)
        scale = min(scale, max(max_source_scale, 1.0) * factor)
        base_width, base_height = base_sizes(width, height, scale)
        slow = slow_frames(views, width, height, base_width, base_height)
        if slow < best_slow:
            best_scale, best_slow = scale, slow
    return best_scale


class CutStats:
    """Placement error and slow-path count over a render's frames, gathered as the cuts go by (a long scene's
    cuts are planned one at a time, never all held in memory)."""

    def __init__(self) -> None:
        self._squares = 0.0
        self._worst = 0.0
        self._fast = 0
        self._slow = 0

    def add(self, cut: FrameCut) -> FrameCut:
        if cut.fast:
            error = max(cut.luma_x.error, cut.luma_y.error)
            self._squares += error * error
            self._worst = max(self._worst, error)
            self._fast += 1
        else:
            self._slow += 1
        return cut

    def summary(self) -> dict[str, float]:
        return {
            "cut_error_rms_px": math.sqrt(self._squares / self._fast) if self._fast else 0.0,
            "cut_error_max_px": self._worst,
            "warp_frames": float(self._slow),
        }
