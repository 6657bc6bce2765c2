"""Composing the still picture: transparency shows the background colour, and a large image costs memory in
proportion to the part that shows, not floats over every decoded pixel."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from PIL import Image

from cloudburst.models.render_options import Fit
from cloudburst.renderer.media.canvas import compose_canvas, flatten


def _half_transparent(width: int, height: int) -> Image.Image:
    """Green; the left half fully transparent, the right quarter half transparent."""
    rgba = np.zeros((height, width, 4), dtype=np.uint8)
    rgba[..., 1] = 200
    rgba[:, width // 2 :, 3] = 255
    rgba[:, 3 * width // 4 :, 3] = 128
    return Image.fromarray(rgba, "RGBA")


def test_transparent_pixels_show_the_background_and_partial_alpha_blends_with_it() -> None:
    flat = flatten(_half_transparent(64, 8), "#FF0000").astype(int)
    assert np.abs(flat[:, :32] - (255, 0, 0)).max() == 0
    assert np.abs(flat[:, 32:48] - (0, 200, 0)).max() == 0
    expected = np.array([255 * 127 / 255, 200 * 128 / 255, 0])
    assert np.abs(flat[:, 48:] - expected).max() <= 1


@pytest.mark.parametrize("fit", [Fit.COVER, Fit.CONTAIN])
def test_a_transparent_image_is_composed_on_the_background(fit: Fit) -> None:
    canvas = compose_canvas(_half_transparent(320, 180), fit, "#0000FF", 64, 36).astype(int)
    assert np.abs(canvas[:, :30] - (0, 0, 255)).max() <= 2
    assert np.abs(canvas[:, 34:46] - (0, 200, 0)).max() <= 2


def test_memory_follows_the_shown_part_not_floats_over_the_whole_image() -> None:
    image = _half_transparent(3000, 3000)  # a square image in a 16:9 frame: a little over half of it shows
    tracemalloc.start()
    try:
        compose_canvas(image, Fit.COVER, "#000000", 1920, 1080)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # About 3 bytes per shown pixel (the flattened crop) and the 6 MB canvas; float arithmetic over the
    # whole image peaked at about 40 bytes per pixel.
    assert peak < 8 * image.width * image.height, f"{peak / 1e6:.0f} MB"
