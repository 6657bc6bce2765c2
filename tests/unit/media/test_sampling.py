"""The sub-pixel cut: OpenCV's resize mapping as assumed, solver accuracy, and fast frames matching exact ones."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cloudburst.models.render_options import Easing, Effect
from cloudburst.renderer.media.frames import make_base, render_frame
from cloudburst.renderer.media.motion import View, plan_views
from cloudburst.renderer.media.sampling import (
    LUMA_TOLERANCE,
    AxisCut,
    FrameCut,
    base_sizes,
    choose_base_scale,
    margin,
    plan_cut,
    slow_frames,
    solve_axis,
)


def _bilinear(plane: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Float bilinear sampling at sample positions (index units), edges clamped."""
    image = plane.astype(np.float64)
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    fx, fy = (xs - x0)[None, :], (ys - y0)[:, None]
    xa, xb = np.clip(x0, 0, image.shape[1] - 1), np.clip(x0 + 1, 0, image.shape[1] - 1)
    ya, yb = np.clip(y0, 0, image.shape[0] - 1), np.clip(y0 + 1, 0, image.shape[0] - 1)
    top = image[ya][:, xa] * (1 - fx) + image[ya][:, xb] * fx
    bottom = image[yb][:, xa] * (1 - fx) + image[yb][:, xb] * fx
    sampled: np.ndarray = top * (1 - fy) + bottom * fy
    return sampled


@pytest.fixture(scope="module")
def texture() -> np.ndarray:
    rng = np.random.default_rng(1)
    noise = np.asarray(cv2.GaussianBlur(rng.uniform(0, 255, (300, 400)).astype(np.float32), (0, 0), 2.0))
    contrasted: np.ndarray = np.clip((noise - noise.mean()) * 4 + 128, 0, 255).astype(np.uint8)
    return contrasted


@pytest.mark.parametrize("scale", [1.0731, 1.2345, 1.5, 0.87])
def test_opencv_resize_maps_column_j_of_a_region_at_r_to_r_plus_j_half_times_a_minus_half(
    texture: np.ndarray, scale: float
) -> None:
    """The assumption the whole fast path rests on, checked against float bilinear sampling."""
    origin = 37
    region = texture[origin : origin + 200, origin : origin + 300]
    resized = cv2.resize(region, None, fx=1 / scale, fy=1 / scale, interpolation=cv2.INTER_LINEAR)
    columns, rows = np.arange(1, 120), np.arange(1, 100)  # column 0 may clamp at the region edge when a < 1
    expected = _bilinear(texture, origin + (columns + 0.5) * scale - 0.5, origin + (rows + 0.5) * scale - 0.5)
    assert np.abs(resized[1:100, 1:120] - expected).max() <= 1.0


def test_the_solver_finds_sub_pixel_origins_within_tolerance_for_typical_scales() -> None:
    offsets = np.linspace(0.0, 3.0, 61)
    for scale in (1.07, 1.13, 1.21, 1.29):
        errors = [solve_axis(scale, 100.0 + offset, 1920).error for offset in offsets]
        assert max(errors) <= LUMA_TOLERANCE


def test_the_solver_honours_its_own_equation() -> None:
    cut = solve_axis(1.1234, 57.31, 640)
    achieved = cut.origin + cut.skip * 1.1234 + 0.5 * 1.1234 - 0.5
    assert abs(achieved - 57.31) / 1.1234 == pytest.approx(cut.error)
    assert cut.skip * 1.1234 + 0.5 * 1.1234 - 0.5 >= 0  # the first sample is inside the region


def test_a_base_scale_is_chosen_that_leaves_few_frames_to_the_slow_warp() -> None:
    views = plan_views(
        Effect.ZOOM_IN, strength=0.15, easing=Easing.EASE_IN_OUT, seed=1, width=1920, height=1080, frames=900
    )
    scale = choose_base_scale(views, 1920, 1080, max_source_scale=2.0)
    assert 1.15 <= scale <= 1.15 * 1.13
    base_width, base_height = base_sizes(1920, 1080, scale)
    slow = sum(1 for view in views if not plan_cut(view, 1920, 1080, base_width, base_height).fast)
    assert slow < 0.05 * len(views)


@pytest.mark.parametrize(
    "view", [View(1.0, 160, 90), View(1.0734, 150.3, 95.7), View(1.15, 139.1, 90), View(1.3, 160, 84.6)]
)
def test_fast_frames_match_exact_warped_frames(texture: np.ndarray, view: View) -> None:
    width, height = 320, 180
    rgb = np.asarray(cv2.cvtColor(cv2.resize(texture, (416, 234)), cv2.COLOR_GRAY2RGB), dtype=np.uint8)
    base = make_base(rgb, margin(1.3))
    cut = plan_cut(view, width, height, 416, 234)
    fast = render_frame(base, cut, width, height)
    forced_warp = FrameCut(**{**cut.__dict__, "luma_x": AxisCut(0, 0, 0, error=1.0)})
    assert not forced_warp.fast
    exact = render_frame(base, forced_warp, width, height)
    difference = np.abs(fast.y.astype(int) - exact.y.astype(int))
    assert cut.fast
    assert difference.mean() < 0.5
    assert np.percentile(difference, 99.5) <= 3


@pytest.mark.parametrize("effect", [Effect.ZOOM_IN, Effect.PAN_RIGHT, Effect.KEN_BURNS])
def test_the_vectorised_slow_frame_count_agrees_with_the_per_frame_planner(effect: Effect) -> None:
    views = plan_views(effect, strength=0.4, easing=Easing.EASE_IN_OUT, seed=3, width=640, height=360, frames=300)
    for base_width, base_height in ((704, 396), (768, 432), (840, 472)):
        per_frame = sum(1 for view in views if not plan_cut(view, 640, 360, base_width, base_height).fast)
        assert slow_frames(views, 640, 360, base_width, base_height) == per_frame
