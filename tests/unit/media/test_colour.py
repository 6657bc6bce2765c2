"""BT.709 limited-range conversion, 4:2:0 siting, and the premultiplied overlay blend."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from cloudburst.renderer.media.colour import Nv12, nv12_to_rgb, premultiplied_to_ycbcr, rgb_to_nv12
from cloudburst.renderer.media.overlay import apply_all, overlay_from_premultiplied


def _flat(rgb: tuple[int, int, int], width: int = 8, height: int = 8) -> np.ndarray:
    return np.full((height, width, 3), rgb, dtype=np.uint8)


@pytest.mark.parametrize(
    ("rgb", "ycbcr"),
    [
        ((0, 0, 0), (16, 128, 128)),
        ((255, 255, 255), (235, 128, 128)),
        ((255, 0, 0), (63, 102, 240)),  # BT.709 red
        ((0, 255, 0), (173, 42, 26)),
        ((0, 0, 255), (32, 240, 118)),
    ],
)
def test_primaries_convert_to_their_bt709_limited_range_values(
    rgb: tuple[int, int, int], ycbcr: tuple[int, int, int]
) -> None:
    picture = rgb_to_nv12(_flat(rgb))
    assert int(picture.y[4, 4]) == ycbcr[0]
    assert tuple(int(v) for v in picture.uv[2, 2]) == pytest.approx(ycbcr[1:], abs=1)


def test_a_smooth_picture_survives_the_round_trip() -> None:
    y, x = np.mgrid[0:64, 0:96].astype(np.float32)
    rgb = np.stack([x * 2.5, y * 3.5, 200 - x - y], axis=-1).clip(0, 255).astype(np.uint8)
    back = nv12_to_rgb(rgb_to_nv12(rgb))
    assert np.abs(back.astype(int) - rgb.astype(int))[2:-2, 2:-2].max() <= 6


def test_chroma_sits_on_even_columns_between_row_pairs() -> None:
    """A one-column red line at an even column lands on that chroma column; at an odd one it splits."""
    for column, expected in ((10, {5: 1.0}), (11, {5: 0.5, 6: 0.5})):
        rgb = _flat((128, 128, 128), 32, 8)
        rgb[:, column] = (255, 0, 0)
        cr = rgb_to_nv12(rgb).uv[..., 1].astype(float) - rgb_to_nv12(_flat((128, 128, 128), 32, 8)).uv[..., 1]
        weights = cr[2] / cr[2].sum()
        for index, share in expected.items():
            assert weights[index] == pytest.approx(share, abs=0.05)


def test_sizes_must_be_even() -> None:
    with pytest.raises(ValueError, match="even"):
        rgb_to_nv12(_flat((1, 2, 3), 7, 8))


def test_premultiplied_conversion_scales_offsets_by_alpha() -> None:
    colour = np.array([[[255.0, 0.0, 0.0]]], dtype=np.float32)
    for alpha in (1.0, 0.5, 0.0):
        converted = premultiplied_to_ycbcr(colour * alpha, np.array([[alpha]], dtype=np.float32))[0, 0]
        assert converted == pytest.approx(np.array([63.0, 102.0, 240.0]) * alpha, abs=0.6)


def test_an_overlay_blends_like_alpha_compositing_in_rgb() -> None:
    base = rgb_to_nv12(_flat((0, 0, 255), 64, 32))
    alpha = np.zeros((10, 20), dtype=np.float32)
    alpha[2:8, 4:16] = 0.5
    premultiplied = np.zeros((10, 20, 3), dtype=np.float32)
    premultiplied[alpha > 0] = (127.5, 0.0, 0.0)
    overlay = overlay_from_premultiplied(premultiplied, alpha, x=21, y=11, frame_width=64, frame_height=32)
    assert overlay is not None
    assert overlay.x % 2 == 0
    assert overlay.y % 2 == 0
    assert overlay.width % 2 == 0
    assert overlay.height % 2 == 0
    blended = nv12_to_rgb(apply_all(base, [overlay]))
    assert tuple(int(v) for v in blended[16, 31]) == pytest.approx((128, 0, 127), abs=3)  # half red over blue
    assert tuple(int(v) for v in blended[2, 2]) == pytest.approx((0, 0, 255), abs=2)  # untouched outside
    assert np.array_equal(apply_all(base, []).y, base.y)


def test_overlays_are_clipped_to_the_frame_and_empty_ones_dropped() -> None:
    alpha = np.ones((10, 10), dtype=np.float32)
    premultiplied = np.full((10, 10, 3), 255.0, dtype=np.float32)
    clipped = overlay_from_premultiplied(premultiplied, alpha, x=-5, y=28, frame_width=64, frame_height=32)
    assert clipped is not None
    assert clipped.x == 0
    assert clipped.y + clipped.height <= 32
    nothing = overlay_from_premultiplied(premultiplied, alpha * 0, x=0, y=0, frame_width=64, frame_height=32)
    assert nothing is None
    outside = overlay_from_premultiplied(premultiplied, alpha, x=100, y=0, frame_width=64, frame_height=32)
    assert outside is None


def test_nv12_planes_have_the_expected_shapes() -> None:
    picture = rgb_to_nv12(_flat((10, 20, 30), 20, 10))
    assert isinstance(picture, Nv12)
    assert picture.y.shape == (10, 20)
    assert picture.uv.shape == (5, 10, 2)
    assert cv2.countNonZero(picture.y) == 200
