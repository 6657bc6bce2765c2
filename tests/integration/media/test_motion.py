"""Motion measured from decoded frames: zoom and pan really happen, monotonically, along the planned path, and
smoothly at sub-pixel precision (whole-pixel rounding, as in ffmpeg's zoompan, would fail these bounds).

The picture is a grey field with nine dark Gaussian spots at known places. In every decoded frame each spot's
intensity-weighted centroid is measured, and a scale and offset are fitted (output = s * canvas + t): the fit
residual shows distortion or jitter inside a frame, and (s, t) over time shows the camera path, which is
compared with the ideal one and checked for monotonic motion and the expected travel.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cloudburst.models.render_options import Easing, Effect, QualityOptions, RenderOptions
from cloudburst.renderer.media.api import SceneInputs
from cloudburst.renderer.media.motion import plan_views

from .helpers import frames, render, tone

W, H, FPS, SECONDS = 480, 270, 30, 2.0
STRENGTH = 0.3
SEED = 5
SPOTS = [(fx * W, fy * H) for fy in (0.36, 0.5, 0.64) for fx in (0.36, 0.5, 0.64)]  # canvas coordinates
SIGMA = 3.0  # canvas pixels


@pytest.fixture(scope="module")
def spots_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2x-resolution source, so canvas coordinate c is source coordinate 2c."""
    y, x = np.mgrid[0 : 2 * H, 0 : 2 * W].astype(np.float64) + 0.5  # pixel centres, continuous coordinates
    field = np.full((2 * H, 2 * W), 170.0)
    for cx, cy in SPOTS:
        field -= 120.0 * np.exp(-((x - 2 * cx) ** 2 + (y - 2 * cy) ** 2) / (2 * (2 * SIGMA) ** 2))
    path = tmp_path_factory.mktemp("motion") / "spots.png"
    Image.fromarray(np.clip(field + 0.5, 0, 255).astype(np.uint8)).convert("RGB").save(path)
    return path


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone(tmp_path_factory.mktemp("motion-audio") / "a.wav", SECONDS)


def _centroid(frame: np.ndarray, guess: tuple[float, float], radius: int) -> tuple[float, float]:
    background = float(np.median(frame))
    x, y = guess
    for _ in range(3):  # re-centre the window on the estimate
        x0, y0 = round(x) - radius, round(y) - radius
        window = frame[y0 : y0 + 2 * radius + 1, x0 : x0 + 2 * radius + 1].astype(np.float64)
        weight = np.clip(background - window, 0, None)
        rows, cols = np.mgrid[y0 : y0 + window.shape[0], x0 : x0 + window.shape[1]]
        x, y = float((weight * cols).sum() / weight.sum()), float((weight * rows).sum() / weight.sum())
    return x, y


def _measure(decoded: np.ndarray, guesses: list[tuple[float, float, float]]) -> np.ndarray:
    """Per frame: fitted scale, x offset, y offset, and the RMS residual of the fit (pixels)."""
    canvas = np.array(SPOTS)
    rows = []
    for frame, (scale, tx, ty) in zip(decoded, guesses, strict=True):
        radius = int(4 * SIGMA * scale) + 2
        measured = np.array([_centroid(frame, (scale * cx + tx, scale * cy + ty), radius) for cx, cy in canvas])
        design = np.column_stack([np.concatenate([canvas[:, 0], canvas[:, 1]]), np.repeat([[1, 0], [0, 1]], 9, axis=0)])
        target = np.concatenate([measured[:, 0], measured[:, 1]])
        solution, *_ = np.linalg.lstsq(design, target, rcond=None)
        residual = target - design @ solution
        rows.append([*solution, float(np.sqrt(np.mean(residual**2)))])
    return np.array(rows)


def _ideal(effect: Effect, frames_count: int) -> list[tuple[float, float, float]]:
    """(scale, tx, ty) mapping canvas to output pixel indices: index = (c - left) * zoom - 0.5."""
    views = plan_views(
        effect, strength=STRENGTH, easing=Easing.EASE_IN_OUT, seed=SEED, width=W, height=H, frames=frames_count
    )
    return [
        (
            view.zoom,
            -(view.cx - W / (2 * view.zoom)) * view.zoom - 0.5,
            -(view.cy - H / (2 * view.zoom)) * view.zoom - 0.5,
        )
        for view in views
    ]


def _render(effect: Effect, image: Path, audio: Path, workdir: Path) -> np.ndarray:
    options = RenderOptions(
        width=W, height=H, fps=FPS, effect=effect, strength=STRENGTH, seed=SEED, quality=QualityOptions(crf=10)
    )
    return frames(render(SceneInputs(image, audio), options, workdir).path)


@pytest.mark.parametrize(
    "effect", [Effect.ZOOM_IN, Effect.ZOOM_OUT, Effect.PAN_LEFT, Effect.PAN_RIGHT, Effect.KEN_BURNS]
)
def test_motion_follows_the_path_smoothly_at_sub_pixel_precision(
    tmp_path: Path, spots_image: Path, audio: Path, effect: Effect
) -> None:
    decoded = _render(effect, spots_image, audio, tmp_path)
    assert len(decoded) == round(SECONDS * FPS)
    ideal = np.array(_ideal(effect, len(decoded)))
    measured = _measure(decoded, [tuple(row) for row in ideal])
    assert measured[:, 3].max() < 0.15  # within each frame: no distortion, no per-spot jitter
    scale_error = measured[:, 0] - ideal[:, 0]
    offset_error = measured[:, 1:3] - ideal[:, 1:3]
    assert np.abs(scale_error).max() < 0.002
    assert np.sqrt(np.mean(offset_error**2)) < 0.12  # whole-pixel steps would give about 0.3
    assert np.abs(offset_error).max() < 0.35
    # Smooth from frame to frame: the error never jumps by a sizeable fraction of a pixel between neighbours.
    assert np.abs(np.diff(offset_error, axis=0)).max() < 0.25


def test_zoom_really_zooms_monotonically(tmp_path: Path, spots_image: Path, audio: Path) -> None:
    decoded = _render(Effect.ZOOM_IN, spots_image, audio, tmp_path)
    measured = _measure(decoded, _ideal(Effect.ZOOM_IN, len(decoded)))
    scales = measured[:, 0]
    assert scales[0] == pytest.approx(1.0, abs=0.003)
    assert scales[-1] == pytest.approx(1 + STRENGTH, abs=0.003)
    assert np.diff(scales).min() > -0.001


@pytest.mark.parametrize(("effect", "direction"), [(Effect.PAN_LEFT, 1), (Effect.PAN_RIGHT, -1)])
def test_pans_really_move_monotonically(
    tmp_path: Path, spots_image: Path, audio: Path, effect: Effect, direction: int
) -> None:
    decoded = _render(effect, spots_image, audio, tmp_path)
    measured = _measure(decoded, _ideal(effect, len(decoded)))
    offsets = measured[:, 1]
    travel = (offsets[-1] - offsets[0]) * direction  # panning left moves the picture right on screen
    assert travel == pytest.approx(W * STRENGTH, abs=0.5)  # 144 px: the whole room the 1.3x zoom makes
    assert (np.diff(offsets) * direction).min() > -0.05
    assert np.abs(measured[:, 2] - measured[0, 2]).max() < 0.2  # and nothing moves vertically
