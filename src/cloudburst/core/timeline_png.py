"""The timeline as a PNG (Pillow): small, readable anywhere, attached to chats and tickets as it is."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from cloudburst.core.timeline import PHASE_LABELS, Bar, Phase, Timeline, layout
from cloudburst.models.report import Report

WIDTH = 1400
LEFT = 300  # room for each row's label and detail
RIGHT = 30
TOP = 96
ROW_HEIGHT = 34
ROW_GAP = 10
LEGEND_HEIGHT = 64

COLORS: dict[Phase, tuple[int, int, int]] = {
    Phase.PROVISIONING: (214, 214, 214),
    Phase.PULL: (90, 130, 200),
    Phase.BOOT: (150, 180, 230),
    Phase.IDLE: (240, 236, 220),
    Phase.RENDER: (60, 160, 90),
    Phase.RENDER_FAILED: (210, 70, 60),
    Phase.STOP: (235, 160, 60),
}
INK = (30, 30, 30)
FAINT = (120, 120, 120)
GRID = (228, 228, 228)
BACKGROUND = (255, 255, 255)


def png_size(report: Report) -> tuple[int, int]:
    """(width, height) of the PNG for this report: fixed width, one row per task."""
    return WIDTH, TOP + max(1, len(report.tasks)) * (ROW_HEIGHT + ROW_GAP) + LEGEND_HEIGHT


def timeline_png(report: Report) -> bytes:
    """The report's timeline as PNG bytes."""
    timeline = layout(report)
    size = png_size(report)
    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    fonts = _Fonts()
    draw.text((16, 12), timeline.title, fill=INK, font=fonts.title)
    draw.text((16, 40), timeline.subtitle, fill=FAINT, font=fonts.small)
    _axis(draw, timeline, size[1] - LEGEND_HEIGHT, fonts)
    for index, row in enumerate(timeline.rows):
        top = TOP + index * (ROW_HEIGHT + ROW_GAP)
        draw.text((16, top + 2), row.label, fill=INK, font=fonts.label)
        draw.text((16, top + 18), row.detail, fill=FAINT, font=fonts.small)
        if row.note:
            draw.text((LEFT + 6, top + 10), row.note, fill=COLORS[Phase.RENDER_FAILED], font=fonts.small)
    for bar in sorted(timeline.bars, key=lambda b: b.phase is not Phase.IDLE):  # idle underneath
        _bar(draw, timeline, bar, fonts)
    _legend(draw, size[1] - LEGEND_HEIGHT + 24, fonts)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


class _Fonts:
    """Pillow's bundled scalable font: no system fonts needed, so the picture looks the same everywhere."""

    def __init__(self) -> None:
        self.title = ImageFont.load_default(size=20)
        self.label = ImageFont.load_default(size=14)
        self.small = ImageFont.load_default(size=12)


def _x(timeline: Timeline, seconds: float) -> float:
    return LEFT + seconds / timeline.span_seconds * (WIDTH - LEFT - RIGHT)


def _axis(draw: ImageDraw.ImageDraw, timeline: Timeline, bottom: int, fonts: _Fonts) -> None:
    for tick in timeline.ticks():
        x = _x(timeline, tick)
        draw.line([(x, TOP - 8), (x, bottom)], fill=GRID, width=1)
        draw.text((x + 2, TOP - 26), f"{tick:g} s", fill=FAINT, font=fonts.small)


def _bar(draw: ImageDraw.ImageDraw, timeline: Timeline, bar: Bar, fonts: _Fonts) -> None:
    top = TOP + bar.row * (ROW_HEIGHT + ROW_GAP)
    lane_height = ROW_HEIGHT / bar.lanes
    y0 = top + bar.lane * lane_height
    y1 = y0 + lane_height - (1 if bar.lanes > 1 else 0)
    x0, x1 = _x(timeline, bar.start), max(_x(timeline, bar.end), _x(timeline, bar.start) + 1)
    draw.rectangle([(x0, y0), (x1, y1)], fill=COLORS[bar.phase], outline=BACKGROUND if bar.lanes > 1 else None)
    if bar.label and fonts.small.getlength(bar.label) + 6 < x1 - x0 and lane_height >= 14:
        draw.text((x0 + 3, y0 + (lane_height - 12) / 2 - 1), bar.label, fill=BACKGROUND, font=fonts.small)


def _legend(draw: ImageDraw.ImageDraw, y: int, fonts: _Fonts) -> None:
    x = 16.0
    for phase, label in PHASE_LABELS.items():
        draw.rectangle([(x, y), (x + 14, y + 14)], fill=COLORS[phase], outline=FAINT)
        draw.text((x + 20, y), label, fill=INK, font=fonts.small)
        x += 20 + fonts.small.getlength(label) + 24
