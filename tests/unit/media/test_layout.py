"""Output size from options and image aspect; cover and contain geometry."""

from __future__ import annotations

import pytest

from cloudburst.models.render_options import Fit, Orientation, RenderOptions
from cloudburst.renderer.media.layout import Rect, contain_target, cover_source, fit_rects, output_size


@pytest.mark.parametrize(
    ("options", "image", "expected"),
    [
        (RenderOptions(), (4000, 3000), (1920, 1080)),
        (RenderOptions(), (1080, 1920), (1080, 1920)),
        (RenderOptions(), (1000, 1000), (1920, 1080)),  # square: landscape
        (RenderOptions(orientation=Orientation.PORTRAIT), (4000, 3000), (1080, 1920)),
        (RenderOptions(orientation=Orientation.LANDSCAPE), (1080, 1920), (1920, 1080)),
        (RenderOptions(width=640, height=480, orientation=Orientation.PORTRAIT), (1080, 1920), (640, 480)),
    ],
)
def test_output_size(options: RenderOptions, image: tuple[int, int], expected: tuple[int, int]) -> None:
    assert output_size(options, *image) == expected


def test_cover_crops_the_overflowing_sides_centred() -> None:
    assert cover_source(4000, 3000, 1920, 1080) == Rect(0.0, 375.0, 4000.0, 2250.0)
    assert cover_source(1000, 1000, 1080, 1920) == Rect(218.75, 0.0, 562.5, 1000.0)


def test_contain_centres_the_whole_image() -> None:
    assert contain_target(1000, 1000, 1920, 1080) == Rect(420.0, 0.0, 1080.0, 1080.0)
    odd = contain_target(1001, 333, 640, 360)
    assert (odd.x, odd.y, odd.width, odd.height) == pytest.approx((0.0, 73.55, 640.0, 212.9), abs=0.05)


def test_fit_rects_pairs_source_and_target() -> None:
    source, target = fit_rects(Fit.CONTAIN, 200, 100, 100, 100)
    assert source == Rect(0.0, 0.0, 200.0, 100.0)
    assert target == Rect(0.0, 25.0, 100.0, 50.0)
