"""Options that would put the subtitles or the watermark outside the output frame, refused before rendering.

A margin is valid on its own (0 to 2000 px), but whether it leaves the text or the watermark on screen
depends on the output frame, which is known only once the image is read (orientation `auto`), and for the
watermark on its aspect ratio. libass and the overlay would silently draw them off-frame and the render would
"succeed" without them, so an explicit margin that does not fit is refused here, naming the option and the
frame. Default margins scale with the frame and always fit. A middle or centred position ignores the margin.
"""

from __future__ import annotations

from cloudburst.models.render_options import Corner, RenderOptions, SubtitlePosition
from cloudburst.renderer.media.api import OptionRejected
from cloudburst.renderer.media.subtitles.ass import line_extent
from cloudburst.renderer.media.watermark import mark_size


def check_fit(
    options: RenderOptions,
    width: int,
    height: int,
    *,
    has_subtitles: bool,
    watermark_size: tuple[int, int] | None,
) -> None:
    """Raise `OptionRejected` if an explicit margin pushes the subtitles or the watermark off the frame."""
    style = options.subtitles
    if has_subtitles and style.margin is not None and style.position is not SubtitlePosition.MIDDLE:
        line = line_extent(style, width, height)
        room = height - line
        if style.margin > room:
            raise OptionRejected(
                "subtitles.margin",
                f"{style.margin} px leaves no room for a {line} px line of subtitles in the {width}x{height} "
                f"frame: at most {max(room, 0)} px fits",
            )
    mark = options.watermark
    if watermark_size is not None and mark.margin is not None and mark.position is not Corner.CENTER:
        mark_width, mark_height = mark_size(watermark_size, mark.scale, width)
        room = min(width - mark_width, height - mark_height)
        if mark.margin > max(room, 0):
            raise OptionRejected(
                "watermark.margin",
                f"{mark.margin} px puts the {mark_width}x{mark_height} px watermark outside the {width}x{height} "
                f"frame: at most {max(room, 0)} px fits",
            )
