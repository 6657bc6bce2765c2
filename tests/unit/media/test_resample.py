"""The frame resampler gives exactly OpenCV's INTER_LINEAR bytes, whichever implementation runs.

The AVX2 kernel exists only to be cheaper: a frame that differed from OpenCV's by one level anywhere would
change the files (and the rounding pattern x264 predicts), so every comparison here is byte for byte.
"""

from __future__ import annotations

import platform
from pathlib import Path

import cv2
import numpy as np
import pytest

from cloudburst.renderer.media import resample
from cloudburst.renderer.media.resample import resize_linear

try:
    from cloudburst.renderer.media import _resample
except ImportError:  # pragma: no cover - only where the extension could not be built
    _resample = None  # type: ignore[assignment]

needs_kernel = pytest.mark.skipif(_resample is None, reason="the C extension is not built here")
RNG_SEED = 20261130


def _cpu_has_avx2() -> bool:
    cpuinfo = Path("/proc/cpuinfo")
    return cpuinfo.exists() and " avx2" in cpuinfo.read_text()


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.machine() != "x86_64" or not _cpu_has_avx2(),
    reason="the kernel's vector path is for x86-64 with AVX2",
)
def test_the_kernel_is_built_and_used_where_it_has_a_vector_path() -> None:
    # `make` installs a C compiler; a build that failed silently (the extension is optional) would cost
    # every render its speed without changing one byte, so it is caught here.
    assert resample.NATIVE
    assert resample.resampler() == "cloudburst-avx2"


def _planes() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    luma = rng.integers(0, 256, (700, 1100), dtype=np.uint8)
    # Smooth areas and hard edges too: rounding differences hide in flat ramps as much as in noise.
    luma[:350, :550] = np.linspace(0, 255, 550, dtype=np.float64).astype(np.uint8)
    luma[350:, 550:] = np.where(np.indices((350, 550)).sum(axis=0) % 7 < 3, 255, 0)
    chroma = rng.integers(0, 256, (350, 550, 2), dtype=np.uint8)
    return luma, chroma


def _random_cases(count: int) -> list[tuple[int, float, float, int, int, int, int]]:
    """(channels, fx, fy, x0, y0, width, height): downscales to 1/1.8, upscales to 3x, near-1 factors, the
    equal-size copy, anisotropic factors and regions from one sample wide."""
    rng = np.random.default_rng(RNG_SEED + 1)
    cases = []
    for index in range(count):
        channels = 1 + index % 2
        fx = float(rng.uniform(0.98, 1.02) if index % 4 == 0 else rng.uniform(0.55, 3.0))
        fy = fx if index % 3 else float(rng.uniform(0.55, 3.0))
        if index % 11 == 0:
            fx = fy = 1.0
        width, height = int(rng.integers(1, 260)), int(rng.integers(1, 120))
        cases.append((channels, fx, fy, int(rng.integers(0, 250)), int(rng.integers(0, 200)), width, height))
    return cases


def _target(rows: int, samples: int, channels: int) -> np.ndarray:
    """A destination inside a larger buffer (rows further apart than they are long), as frames are made."""
    shape = (rows + 2, samples + 37) if channels == 1 else (rows + 2, samples + 37, channels)
    return np.full(shape, 77, dtype=np.uint8)[1 : rows + 1, 3 : samples + 3]


@needs_kernel
@pytest.mark.parametrize("simd", [True, False], ids=["vector", "portable"])
def test_the_kernel_gives_opencvs_bytes_on_random_regions_and_scales(simd: bool) -> None:
    luma, chroma = _planes()
    compared = 0
    for channels, fx, fy, x0, y0, width, height in _random_cases(600):
        plane = luma if channels == 1 else chroma
        region = plane[y0 : y0 + height, x0 : x0 + width]
        rows, samples = round(region.shape[0] * fy), round(region.shape[1] * fx)
        if rows < 1 or samples < 1:
            continue
        expected = cv2.resize(region, None, fx=fx, fy=fy, interpolation=cv2.INTER_LINEAR)
        got = _target(rows, samples, channels)
        _resample.resize(region, got, fx, fy, simd=simd)
        assert np.array_equal(got, expected), (channels, fx, fy, width, height)
        compared += 1
    assert compared > 500


@needs_kernel
def test_the_kernel_gives_opencvs_bytes_on_full_hd_frames_of_a_zoom() -> None:
    # The sizes a 1080p zoom_in asks for: a region ~1.02-1.17x the frame, resized down to frame + cut margin.
    rng = np.random.default_rng(RNG_SEED + 2)
    base = rng.integers(0, 256, (1300, 2300), dtype=np.uint8)
    base_uv = rng.integers(0, 256, (650, 1150, 2), dtype=np.uint8)
    for scale in (1.17, 1.1034, 1.0412, 1.0):
        for plane, samples, rows in ((base, 1937, 1097), (base_uv, 969, 549)):
            region = plane[5 : 5 + round(rows * scale) + 2, 7 : 7 + round(samples * scale) + 2]
            fx = fy = 1.0 / scale
            expected = cv2.resize(region, None, fx=fx, fy=fy, interpolation=cv2.INTER_LINEAR)
            got = _target(expected.shape[0], expected.shape[1], 1 if plane.ndim == 2 else 2)
            _resample.resize(region, got, fx, fy)
            assert np.array_equal(got, expected), scale


def test_resize_linear_matches_opencv_including_the_half_size_area_case() -> None:
    luma, chroma = _planes()
    for plane, fx, fy in ((luma, 0.5, 0.5), (chroma, 0.5, 0.5), (luma, 0.5, 0.75), (chroma, 1.13, 1.13)):
        region = plane[10:210, 20:320]
        # Exactly one half on both axes is an area average in OpenCV, not a bilinear resize.
        expected = cv2.resize(region, None, fx=fx, fy=fy, interpolation=cv2.INTER_LINEAR)
        got = _target(expected.shape[0], expected.shape[1], 1 if plane.ndim == 2 else 2)
        resize_linear(region, got, fx, fy)
        assert np.array_equal(got, expected), (fx, fy)


@needs_kernel
def test_the_kernel_refuses_what_it_cannot_resize_without_writing() -> None:
    luma, chroma = _planes()
    target = np.zeros((50, 60), dtype=np.uint8)
    with pytest.raises(TypeError, match="uint8"):
        _resample.resize(luma[:40, :40].astype(np.float32), target, 1.5, 1.25)
    with pytest.raises(ValueError, match="channels"):
        _resample.resize(chroma[:40, :40], target, 1.5, 1.25)
    with pytest.raises(ValueError, match="adjacent samples"):
        _resample.resize(luma[:40, :80:2], target, 1.5, 1.25)
    with pytest.raises(ValueError, match="positive"):
        _resample.resize(luma[:40, :40], target, 0.0, 1.25)
    with pytest.raises(ValueError, match="read-only"):
        _resample.resize(luma[:40, :40], _read_only((50, 60)), 1.25, 1.25)
    assert not target.any()


def _read_only(shape: tuple[int, int]) -> np.ndarray:
    array = np.zeros(shape, dtype=np.uint8)
    array.setflags(write=False)
    return array
