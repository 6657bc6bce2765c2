"""The still picture of a scene at a chosen size: the image cover-cropped or contained, on its background.

This runs once per scene (never per frame). Downscaling uses area averaging, which is what keeps fine detail
from aliasing; upscaling a small image uses bicubic interpolation. A transparent image is flattened onto the
`background` colour before resampling, so its edges do not pick up the colour of invisible pixels.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image

from cloudburst.models.render_options import Fit
from cloudburst.renderer.media.image import RGBArray
from cloudburst.renderer.media.layout import Rect, fit_rects


def hex_rgb(color: str) -> tuple[int, int, int]:
    """'#RRGGBB' → (r, g, b)."""
    value = int(color.lstrip("#"), 16)
    return (value >> 16) & 0xFF, (value >> 8) & 0xFF, value & 0xFF


def flatten(image: Image.Image, background: str) -> RGBArray:
    """RGB pixels of the image; transparency composited over `background`."""
    if image.mode == "RGB":
        return np.asarray(image, dtype=np.uint8)
    if image.mode != "RGBA":
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    rgba = np.asarray(image, dtype=np.uint8)
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    back = np.array(hex_rgb(background), dtype=np.float32)
    mixed = rgba[..., :3].astype(np.float32) * alpha + back * (1.0 - alpha)
    return np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


def compose_canvas(image: Image.Image, fit: Fit, background: str, width: int, height: int) -> RGBArray:
    """An RGB array `height` x `width` showing the image as `fit` asks."""
    pixels = flatten(image, background)
    source, target = fit_rects(fit, pixels.shape[1], pixels.shape[0], width, height)
    x0, y0 = round(target.x), round(target.y)
    x1, y1 = round(target.x + target.width), round(target.y + target.height)
    if (x0, y0, x1, y1) == (0, 0, width, height):  # the image fills the frame: no background to paint
        return np.ascontiguousarray(resample(_crop(pixels, source), width, height))
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = hex_rgb(background)
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = resample(_crop(pixels, source), x1 - x0, y1 - y0)
    return canvas


def resample(pixels: RGBArray, width: int, height: int) -> RGBArray:
    if pixels.shape[1] == width and pixels.shape[0] == height:
        return pixels
    shrinking = width <= pixels.shape[1] and height <= pixels.shape[0]
    method = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(pixels, (width, height), interpolation=method), dtype=np.uint8)


def _crop(pixels: RGBArray, rect: Rect) -> RGBArray:
    """The whole-pixel part of `rect` (its fractional edges are below a source pixel: invisible here)."""
    x0 = max(0, round(rect.x))
    y0 = max(0, round(rect.y))
    x1 = min(pixels.shape[1], max(x0 + 1, math.floor(rect.x + rect.width + 0.5)))
    y1 = min(pixels.shape[0], max(y0 + 1, math.floor(rect.y + rect.height + 0.5)))
    return pixels[y0:y1, x0:x1]
