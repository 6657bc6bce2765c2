"""The bilinear resize every moving frame is cut with: OpenCV's `INTER_LINEAR`, computed by our AVX2 kernel
where the CPU has it.

Both give the same bytes (the kernel reproduces OpenCV's fixed-point arithmetic; the tests compare them on
random regions and scales), so which one runs changes the speed of a render, never its output. The kernel
takes a quarter of OpenCV's CPU time for a 1080p frame at the zoom's scales (0.7 ms against 3.1 ms for luma
and chroma on one core here), and on two vCPUs the CPU a frame costs is shared with x264
(docs/render-speed.md). OpenCV stays in charge where the kernel is not built (no C compiler at install time)
or has no vector code for the CPU (arm64: OpenCV's NEON code is then the faster), and for the exact factor
of 2 that OpenCV turns into an area average.
"""

from __future__ import annotations

import sys

import cv2

from cloudburst.renderer.media.colour import U8

try:
    from cloudburst.renderer.media import _resample
except ImportError:  # built without a C compiler: OpenCV does the work
    _resample = None  # type: ignore[assignment]

NATIVE = _resample is not None and _resample.SIMD != ""
"""Whether frames are resized by the kernel (True) or by OpenCV (False): the same bytes either way."""


def resampler() -> str:
    """Which implementation `resize_linear` uses here, for logs and the benchmark."""
    return f"cloudburst-{_resample.SIMD}" if NATIVE else f"opencv-{cv2.__version__}"


def resize_linear(region: U8, target: U8, fx: float, fy: float) -> None:
    """`cv2.resize(region, None, dst=target, fx=fx, fy=fy, interpolation=cv2.INTER_LINEAR)`, where `target`'s
    shape is the size OpenCV gives the result (round(samples * fx) x round(rows * fy)). Releases the GIL."""
    if NATIVE and not _is_area_case(fx, fy):
        _resample.resize(region, target, fx, fy)
    else:
        cv2.resize(region, None, dst=target, fx=fx, fy=fy, interpolation=cv2.INTER_LINEAR)


def _is_area_case(fx: float, fy: float) -> bool:
    """OpenCV resizes by one half on both axes (to within a double's epsilon) as an area average instead."""
    return abs(1.0 / fx - 2.0) < sys.float_info.epsilon and abs(1.0 / fy - 2.0) < sys.float_info.epsilon
