"""The watermark: scaled to a share of the frame width, placed in a corner (or the centre), alpha respected.

It is resized in premultiplied form (so transparent pixels do not bleed their hidden colour into the edges),
its alpha is multiplied by `opacity`, and it becomes an `Overlay` blended into every frame.
"""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from cloudburst.models.render_options import Corner, WatermarkOptions
from cloudburst.renderer.media.overlay import Overlay, overlay_from_premultiplied

DEFAULT_MARGIN_SHARE = 0.02
"""Default distance from the edges: 2% of the frame's shorter side (22 px at 1080p), the same in portrait."""


def watermark_overlay(image: Image.Image, options: WatermarkOptions, width: int, height: int) -> Overlay | None:
    rgba = np.asarray(image.convert("RGBA"), dtype=np.float32)
    alpha = rgba[..., 3] / 255.0 * options.opacity
    premultiplied = rgba[..., :3] * alpha[..., None]
    target_width, target_height = mark_size(image.size, options.scale, width)
    method = cv2.INTER_AREA if target_width < rgba.shape[1] else cv2.INTER_CUBIC
    premultiplied = np.asarray(cv2.resize(premultiplied, (target_width, target_height), interpolation=method))
    alpha = np.clip(np.asarray(cv2.resize(alpha, (target_width, target_height), interpolation=method)), 0.0, 1.0)
    premultiplied = np.clip(premultiplied, 0.0, alpha[..., None] * 255.0).astype(np.float32)
    margin = options.margin if options.margin is not None else default_margin(width, height)
    x, y = placement(
        options.position, width=width, height=height, mark_width=target_width, mark_height=target_height, margin=margin
    )
    return overlay_from_premultiplied(
        premultiplied, alpha.astype(np.float32), x=x, y=y, frame_width=width, frame_height=height
    )


def mark_size(image_size: tuple[int, int], scale: float, width: int) -> tuple[int, int]:
    """The watermark's size on the frame: `scale` of the frame width, the image's aspect ratio kept."""
    target_width = max(1, round(width * scale))
    return target_width, max(1, round(image_size[1] * target_width / image_size[0]))


def default_margin(width: int, height: int) -> int:
    return round(min(width, height) * DEFAULT_MARGIN_SHARE)


def placement(
    corner: Corner, *, width: int, height: int, mark_width: int, mark_height: int, margin: int
) -> tuple[int, int]:
    """Top-left corner of the watermark for a position and a margin from the frame's edges."""
    left, right = margin, width - margin - mark_width
    top, bottom = margin, height - margin - mark_height
    match corner:
        case Corner.TOP_LEFT:
            return left, top
        case Corner.TOP_RIGHT:
            return right, top
        case Corner.BOTTOM_LEFT:
            return left, bottom
        case Corner.BOTTOM_RIGHT:
            return right, bottom
        case Corner.CENTER:
            return (width - mark_width) // 2, (height - mark_height) // 2
