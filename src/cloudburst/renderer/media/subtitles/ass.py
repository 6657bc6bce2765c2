"""The ASS script libass renders: one style from `SubtitleStyle`, sized in output pixels, and escaped text.

PlayResX/PlayResY equal the output size, so every size in the style (font size, outline, margins) is in
output pixels, as the API promises. Cue text is plain text by the time it gets here (see `cues`), and is
escaped so libass shows it literally: '{' and '}' would open override blocks, and a backslash followed by
n, N or h would become a line break or a hard space; a WORD JOINER (U+2060, invisible) after every backslash
breaks such pairs.

Defaults scale with the frame: text 5% of the short side (54 px at 1080p), bottom margin 5% of the height in
landscape and 12% in portrait (where phone apps put their own controls over the bottom of the picture).
With `box`, each line gets a box (ASS BorderStyle 3) padded by a quarter of the font size; without it the
glyphs get an outline of `outline` pixels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from cloudburst.models.render_options import SubtitlePosition, SubtitleStyle
from cloudburst.renderer.media.subtitles.fonts import FontChoice

WORD_JOINER = "\u2060"
ALIGNMENT = {SubtitlePosition.BOTTOM: 2, SubtitlePosition.MIDDLE: 5, SubtitlePosition.TOP: 8}
STYLE_FORMAT = (
    "Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
    "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, "
    "MarginL, MarginR, MarginV, Encoding"
)
EVENT_FORMAT = "Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text"


@dataclass(frozen=True)
class TextLayout:
    """Resolved style: everything in output pixels."""

    font: FontChoice
    font_size: int
    margin_vertical: int
    margin_sides: int
    box_padding: int  # 0 without a box
    outline: float


def text_layout(style: SubtitleStyle, font: FontChoice, width: int, height: int) -> TextLayout:
    font_size = font_size_px(style, width, height)
    portrait = height > width
    default_margin = round(height * (0.12 if portrait and style.position is SubtitlePosition.BOTTOM else 0.05))
    margin = style.margin if style.margin is not None else default_margin
    return TextLayout(
        font=font,
        font_size=font_size,
        margin_vertical=margin,
        margin_sides=max(round(width * 0.05), 0),
        box_padding=box_padding(style, font_size),
        outline=style.outline,
    )


def font_size_px(style: SubtitleStyle, width: int, height: int) -> int:
    return style.font_size or max(8, round(min(width, height) * 0.05))


def box_padding(style: SubtitleStyle, font_size: int) -> int:
    return max(1, round(font_size * 0.25)) if style.box else 0


def line_extent(style: SubtitleStyle, width: int, height: int) -> int:
    """How tall one line of subtitles is on screen: the text and its box padding or outline, above and below."""
    font_size = font_size_px(style, width, height)
    return font_size + 2 * math.ceil(box_padding(style, font_size) or style.outline)


def line_width(layout: TextLayout, frame_width: int) -> float:
    """How wide a line may be: the frame minus side margins and box padding or outline, with 2% to spare."""
    usable = frame_width - 2 * layout.margin_sides - 2 * (layout.box_padding or layout.outline)
    return max(usable * 0.98, layout.font_size)


def ass_colour(hex_colour: str, opacity: float = 1.0) -> str:
    """'#RRGGBB' and opacity (1 = opaque) → ASS '&HAABBGGRR' (ASS alpha counts transparency)."""
    red, green, blue = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
    alpha = round((1.0 - opacity) * 255)
    return f"&H{alpha:02X}{blue}{green}{red}".upper()


def ass_time(seconds: float) -> str:
    """H:MM:SS.cc (centiseconds), the only precision ASS has."""
    centis = round(seconds * 100)
    hours, rest = divmod(centis, 360_000)
    minutes, rest = divmod(rest, 6_000)
    secs, centis = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{centis:02d}"


def escape_text(text: str) -> str:
    """Plain text → ASS event text shown literally (see the module docstring)."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\" + WORD_JOINER)
        elif char in "{}":
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\N")
        else:
            out.append(char)
    return "".join(out)


def _style_field(value: str) -> str:
    """Style fields are comma-separated on one line: a family name may contain neither commas nor newlines."""
    return "".join(" " if char in ",\r\n" else char for char in value).strip()


def ass_document(
    style: SubtitleStyle,
    layout: TextLayout,
    width: int,
    height: int,
    events: Iterable[tuple[float, float, list[str]]],
) -> str:
    """A complete script; `events` are (start s, end s, display lines already wrapped)."""
    boxed = layout.box_padding > 0
    style_line = ",".join(
        [
            "Default",
            _style_field(layout.font.family),
            str(layout.font_size),
            ass_colour(style.color),
            ass_colour(style.color),
            ass_colour(style.box_color, style.box_opacity) if boxed else ass_colour(style.outline_color),
            ass_colour(style.box_color, style.box_opacity) if boxed else ass_colour("#000000", 0.0),
            "-1" if style.bold else "0",
            "0",
            "0",
            "0",
            "100",
            "100",
            "0",
            "0",
            "3" if boxed else "1",
            f"{layout.box_padding if boxed else layout.outline:g}",
            "0",
            str(ALIGNMENT[style.position]),
            str(layout.margin_sides),
            str(layout.margin_sides),
            str(layout.margin_vertical),
            "1",
        ]
    )
    lines = [
        "[Script Info]",
        "ScriptType: v4.00+",
        f"PlayResX: {width}",
        f"PlayResY: {height}",
        "WrapStyle: 0",
        "ScaledBorderAndShadow: yes",
        "YCbCr Matrix: None",
        "",
        "[V4+ Styles]",
        f"Format: {STYLE_FORMAT}",
        f"Style: {style_line}",
        "",
        "[Events]",
        f"Format: {EVENT_FORMAT}",
    ]
    for start, end, text_lines in events:
        text = "\\N".join(escape_text(line) for line in text_lines)
        lines.append(f"Dialogue: 0,{ass_time(start)},{ass_time(end)},Default,,0,0,0,,{text}")
    return "\n".join(lines) + "\n"
