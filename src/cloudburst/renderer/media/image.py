"""Decoding the scene's still image (and the watermark) with Pillow, safely, the right way up.

Images are decoded by Pillow rather than ffmpeg so that ffmpeg never parses untrusted image files, and so
that the picture is decoded once per scene instead of once per frame. The pixel count is checked from the
header before any pixel is decoded (a small PNG can declare 50,000 x 50,000), and EXIF orientation is applied
as cameras and phones expect.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from cloudburst.renderer.media.inputs import SniffedInput
from cloudburst.renderer.media.rejections import too_large, unreadable

PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}

RGBArray = npt.NDArray[np.uint8]


def load_image(item: SniffedInput, max_pixels: int) -> Image.Image:
    """The first frame of the image, EXIF-oriented, in mode RGB or RGBA (when it has transparency)."""
    expected = PIL_FORMATS[item.format.name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own cap below is the rule
        try:
            image = Image.open(item.path, formats=[expected])
        except Image.DecompressionBombError:
            raise too_large(item.role, f"the image declares more than {max_pixels:,} pixels") from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise unreadable(item.role, f"cannot decode the {item.format.name.upper()} image ({exc})") from None
        with image:
            width, height = image.size
            if width * height > max_pixels:
                raise too_large(
                    item.role, f"{width}x{height} is {width * height:,} pixels, more than the limit of {max_pixels:,}"
                )
            try:
                image.seek(0)  # animated WebP/PNG: the first frame
                image.load()
                oriented = _orient(image)
                return _normalise_mode(oriented)
            except (OSError, SyntaxError, ValueError, EOFError) as exc:
                raise unreadable(item.role, f"cannot decode the {item.format.name.upper()} image ({exc})") from None


def _orient(image: Image.Image) -> Image.Image:
    """Apply EXIF orientation; a corrupt EXIF block is ignored rather than failing the render."""
    try:
        return ImageOps.exif_transpose(image)
    except (ValueError, TypeError, KeyError, SyntaxError, OSError):
        return image


def _normalise_mode(image: Image.Image) -> Image.Image:
    """RGB, or RGBA when the image can be transparent; 16-bit greyscale is scaled, not clipped."""
    mode = image.mode
    if mode in ("RGB", "RGBA"):
        return image.copy() if image.readonly else image
    if mode in ("I;16", "I;16L", "I;16B", "I"):
        values = np.asarray(image, dtype=np.uint32)
        peak = 65535 if mode.startswith("I;16") or values.max(initial=0) > 255 else 255
        scaled = (values * 255 + peak // 2) // peak
        return Image.fromarray(scaled.astype(np.uint8), "L").convert("RGB")
    has_alpha = mode in ("LA", "PA", "La", "RGBa") or (mode == "P" and "transparency" in image.info)
    return image.convert("RGBA" if has_alpha else "RGB")


def to_array(image: Image.Image) -> RGBArray:
    return np.asarray(image, dtype=np.uint8)
