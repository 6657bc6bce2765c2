"""Where the picture goes: the output frame size and how the image is fitted into it. Pure arithmetic.

Output size: explicit width/height win; otherwise 1920x1080, or 1080x1920 when the (EXIF-oriented) image is
taller than wide or `orientation` says portrait. A square image gets the landscape frame: most players show
landscape, and nothing is lost because `fit` decides how the image fills the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from cloudburst.models.render_options import Fit, Orientation, RenderOptions

LANDSCAPE = (1920, 1080)
PORTRAIT = (1080, 1920)


@dataclass(frozen=True)
class Rect:
    """A rectangle in continuous pixel coordinates (x grows right, y down); may be fractional."""

    x: float
    y: float
    width: float
    height: float


def output_size(options: RenderOptions, image_width: int, image_height: int) -> tuple[int, int]:
    if options.width is not None and options.height is not None:
        return options.width, options.height
    match options.orientation:
        case Orientation.PORTRAIT:
            return PORTRAIT
        case Orientation.LANDSCAPE:
            return LANDSCAPE
        case Orientation.AUTO:
            return PORTRAIT if image_height > image_width else LANDSCAPE


def cover_source(image_width: int, image_height: int, frame_width: int, frame_height: int) -> Rect:
    """The centred part of the image that exactly fills a frame of the given aspect (the rest is cropped)."""
    image_aspect = image_width / image_height
    frame_aspect = frame_width / frame_height
    if image_aspect > frame_aspect:  # wider than the frame: crop the sides
        width = image_height * frame_aspect
        return Rect((image_width - width) / 2, 0.0, width, float(image_height))
    height = image_width / frame_aspect
    return Rect(0.0, (image_height - height) / 2, float(image_width), height)


def contain_target(image_width: int, image_height: int, frame_width: int, frame_height: int) -> Rect:
    """Where the whole image sits, centred, inside a frame (the rest is background)."""
    scale = min(frame_width / image_width, frame_height / image_height)
    width, height = image_width * scale, image_height * scale
    return Rect((frame_width - width) / 2, (frame_height - height) / 2, width, height)


def fit_rects(fit: Fit, image_width: int, image_height: int, frame_width: int, frame_height: int) -> tuple[Rect, Rect]:
    """(part of the image used, where it lands in the frame) for the requested fit."""
    if fit is Fit.COVER:
        return cover_source(image_width, image_height, frame_width, frame_height), Rect(
            0.0, 0.0, float(frame_width), float(frame_height)
        )
    whole = Rect(0.0, 0.0, float(image_width), float(image_height))
    return whole, contain_target(image_width, image_height, frame_width, frame_height)
