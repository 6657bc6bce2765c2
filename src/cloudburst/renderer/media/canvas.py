"""The still picture of a scene at a chosen size: the image cover-cropped or contained, on its background.

This runs once per scene (never per frame). Downscaling uses area averaging, which is what keeps fine detail
from aliasing; upscaling a small image uses bicubic interpolation. A transparent image is flattened onto the
`background` colour before resampling, so its edges do not pick up the colour of invisible pixels.

Memory matters here: an image may have up to `Limits.max_image_pixels` (100 megapixels), and the smallest
Fargate profile has 2 GB. So only the part of the image that shows is copied out of Pillow (the crop comes
first), and transparency is flattened by Pillow in 8 bits, in place: about 3 bytes per shown pixel on top of
the decoded image, where float arithmetic over the whole image took about 40 (a 100-megapixel RGBA image
peaked at 5 GB and took 20 s).
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
    """RGB pixels of the image; transparency composited over `background` (by Pillow, in 8 bits)."""
    if image.mode == "RGB":
        return np.asarray(image, dtype=np.uint8)
    if image.mode != "RGBA":
        return np.asarray(image.convert("RGB"), dtype=np.uint8)
    flat = Image.new("RGB", image.size, hex_rgb(background))
    flat.paste(image, (0, 0), image)  # the image's own alpha as the mask: out = src * a + back * (1 - a)
    return np.asarray(flat, dtype=np.uint8)


def compose_canvas(image: Image.Image, fit: Fit, background: str, width: int, height: int) -> RGBArray:
    """An RGB array `height` x `width` showing the image as `fit` asks."""
    source, target = fit_rects(fit, image.width, image.height, width, height)
    pixels = flatten(image.crop(_crop_box(image.width, image.height, source)), background)
    x0, y0 = round(target.x), round(target.y)
    x1, y1 = round(target.x + target.width), round(target.y + target.height)
    if (x0, y0, x1, y1) == (0, 0, width, height):  # the image fills the frame: no background to paint
        return np.ascontiguousarray(resample(pixels, width, height))
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = hex_rgb(background)
    if x1 > x0 and y1 > y0:
        canvas[y0:y1, x0:x1] = resample(pixels, x1 - x0, y1 - y0)
    return canvas


def resample(pixels: RGBArray, width: int, height: int) -> RGBArray:
    if pixels.shape[1] == width and pixels.shape[0] == height:
        return pixels
    shrinking = width <= pixels.shape[1] and height <= pixels.shape[0]
    method = cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(pixels, (width, height), interpolation=method), dtype=np.uint8)


def _crop_box(image_width: int, image_height: int, rect: Rect) -> tuple[int, int, int, int]:
    """The whole-pixel part of `rect` as a Pillow box (its fractional edges are below a source pixel:
    invisible here)."""
    x0 = max(0, round(rect.x))
    y0 = max(0, round(rect.y))
    x1 = min(image_width, max(x0 + 1, math.floor(rect.x + rect.width + 0.5)))
    y1 = min(image_height, max(y0 + 1, math.floor(rect.y + rect.height + 0.5)))
    return x0, y0, x1, y1
