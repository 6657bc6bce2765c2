"""Frames are made where the pipe reads them: the wire layout holds every resize, and what it sends is the frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cloudburst.renderer.media.frames import WIRE_ALIGN, FrameMaker, FrameSlot, WireLayout, make_base
from cloudburst.renderer.media.motion import View
from cloudburst.renderer.media.sampling import EXTRA, AxisCut, FrameCut, margin, plan_cut, resized_length, solve_axis


@pytest.mark.parametrize("min_scale", [0.35, 0.5, 0.87, 1.0, 1.6])
def test_no_resize_the_solver_asks_for_is_longer_than_the_bound(min_scale: float) -> None:
    rng = np.random.default_rng(7)
    for _ in range(2000):
        scale = float(rng.uniform(min_scale, min_scale * 1.5))
        out_len = int(rng.integers(2, 2000))
        cut = solve_axis(scale, float(rng.uniform(-5.0, 500.0)), out_len)
        assert round(cut.region / scale) <= resized_length(out_len, min_scale)
        assert resized_length(out_len, min_scale) <= out_len + EXTRA + 2 + 2.5 / min_scale


def test_the_layout_is_aligned_and_holds_both_planes() -> None:
    layout = WireLayout.for_scales(1920, 1080, 0.87)
    assert layout.stride % WIRE_ALIGN == 0
    assert layout.stride >= 2 * resized_length(960, 0.87) >= resized_length(1920, 0.87)
    assert layout.luma_rows == resized_length(1080, 0.87) + 1
    assert layout.frame_bytes == layout.stride * 1080 * 3 // 2


@pytest.fixture(scope="module")
def base_rgb() -> np.ndarray:
    rng = np.random.default_rng(3)
    rgb: np.ndarray = rng.integers(0, 256, (234, 416, 3), dtype=np.uint8)
    return rgb


@pytest.mark.parametrize("view", [View(1.0, 160, 90), View(1.0734, 150.3, 95.7), View(1.3, 160, 84.6)])
def test_the_wire_is_the_frame_row_by_row_then_what_the_crop_drops(base_rgb: np.ndarray, view: View) -> None:
    width, height = 320, 180
    base = make_base(base_rgb, margin(1.3))
    cut = plan_cut(view, width, height, base.width, base.height)
    assert cut.fast
    layout = WireLayout.for_scales(width, height, min(cut.scale_x, cut.scale_y))
    frame = FrameMaker(base).render(cut, FrameSlot(layout))
    assert frame.wire.y.flags.c_contiguous  # one iovec per plane
    assert frame.wire.uv.flags.c_contiguous
    # What ffmpeg reads: `stride`-wide NV12 rows; what its crop keeps: the left `width` columns.
    sent = np.frombuffer(frame.wire.y.tobytes() + frame.wire.uv.tobytes(), dtype=np.uint8)
    luma = sent[: height * layout.stride].reshape(height, layout.stride)[:, :width]
    chroma = sent[height * layout.stride :].reshape(height // 2, layout.stride // 2, 2)[:, : width // 2]
    assert np.array_equal(luma, _resized_then_cut(base.y, base.margin, cut, (cut.luma_x, cut.luma_y), luma.shape))
    chroma_axes = (cut.chroma_x, cut.chroma_y)
    assert np.array_equal(chroma, _resized_then_cut(base.uv, base.margin // 2, cut, chroma_axes, chroma.shape))
    assert np.array_equal(frame.picture.y, luma)  # overlays drawn on the picture are what is sent


def _resized_then_cut(
    plane: np.ndarray, pad: int, cut: FrameCut, axes: tuple[AxisCut, AxisCut], shape: tuple[int, ...]
) -> np.ndarray:
    """The frame the cut describes, made the plain way: resize the region, then crop from the skip."""
    (cut_x, cut_y), (height, width) = axes, shape[:2]
    x0, y0 = cut_x.origin + pad, cut_y.origin + pad
    region = plane[y0 : y0 + cut_y.region, x0 : x0 + cut_x.region]
    resized = np.asarray(cv2.resize(region, None, fx=1 / cut.scale_x, fy=1 / cut.scale_y))
    return resized[cut_y.skip : cut_y.skip + height, cut_x.skip : cut_x.skip + width]


def test_an_area_the_layout_cannot_hold_is_refused_not_truncated() -> None:
    slot = FrameSlot(WireLayout.for_scales(320, 180, 1.0))
    with pytest.raises(ValueError, match="does not fit"):
        slot.luma.area(slot.layout.luma_rows, slot.layout.stride + 1)
    with pytest.raises(ValueError, match="does not fit"):
        slot.chroma.area(slot.layout.chroma_rows + 1, 10)
    with pytest.raises(ValueError, match="run past"):
        slot.luma.wire(slot.layout.luma_rows - 179, 0, 180)
