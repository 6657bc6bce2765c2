"""The ASS script: sizes in output pixels, colours and times in ASS notation, text shown literally."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudburst.models.render_options import SubtitlePosition, SubtitleStyle
from cloudburst.renderer.media.subtitles.ass import (
    WORD_JOINER,
    ass_colour,
    ass_document,
    ass_time,
    escape_text,
    line_width,
    text_layout,
)
from cloudburst.renderer.media.subtitles.fonts import FontChoice

FONT = FontChoice("Noto Sans CJK SC", Path("font.ttc"), 2, covers_language=True)


def test_colours_are_alpha_blue_green_red_with_alpha_counting_transparency() -> None:
    assert ass_colour("#FF8000") == "&H000080FF"
    assert ass_colour("#000000", 0.6) == "&H66000000"
    assert ass_colour("#ffffff", 0.0) == "&HFFFFFFFF"


def test_times_are_centiseconds() -> None:
    assert ass_time(0) == "0:00:00.00"
    assert ass_time(3725.456) == "1:02:05.46"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{\\an8}moved?", "\\{\\" + WORD_JOINER + "an8\\}moved?"),
        ("a\\nb and c\\Nd", "a\\" + WORD_JOINER + "nb and c\\" + WORD_JOINER + "Nd"),
        ("line one\nline two", "line one\\Nline two"),
        ("plain, with commas: fine", "plain, with commas: fine"),
    ],
)
def test_text_is_escaped_so_libass_shows_it_as_typed(text: str, expected: str) -> None:
    assert escape_text(text) == expected


def test_defaults_scale_with_the_frame_and_portrait_keeps_clear_of_phone_controls() -> None:
    landscape = text_layout(SubtitleStyle(), FONT, 1920, 1080)
    portrait = text_layout(SubtitleStyle(), FONT, 1080, 1920)
    small = text_layout(SubtitleStyle(), FONT, 480, 270)
    assert (landscape.font_size, landscape.margin_vertical) == (54, 54)
    assert (portrait.font_size, portrait.margin_vertical) == (54, 230)
    assert small.font_size == 14
    assert line_width(landscape, 1920) < 1920 - 2 * landscape.margin_sides


def test_explicit_sizes_are_output_pixels_and_the_box_pads_by_a_quarter_of_the_font() -> None:
    layout = text_layout(SubtitleStyle(font_size=40, margin=10, box=True), FONT, 640, 360)
    assert (layout.font_size, layout.margin_vertical, layout.box_padding) == (40, 10, 10)


def test_the_document_uses_the_output_size_as_play_resolution_and_one_style() -> None:
    style = SubtitleStyle(position=SubtitlePosition.TOP, box=True, box_opacity=0.5, bold=True, color="#FFFF00")
    layout = text_layout(style, FONT, 1280, 720)
    document = ass_document(style, layout, 1280, 720, [(0.0, 0.5, ["Hello", "{world}"]), (1.0, 1.5, ["你好"])])
    assert "PlayResX: 1280\nPlayResY: 720\n" in document
    assert "ScaledBorderAndShadow: yes" in document
    style_line = next(line for line in document.splitlines() if line.startswith("Style: "))
    fields = style_line.removeprefix("Style: ").split(",")
    assert fields[1] == "Noto Sans CJK SC"
    assert fields[2] == "36"  # 5% of 720
    assert fields[3] == "&H0000FFFF"  # yellow
    assert fields[5] == "&H80000000"  # the box colour, half transparent
    assert fields[7] == "-1"  # bold
    assert fields[15] == "3"  # a box per line
    assert fields[18] == "8"  # top centre
    events = [line for line in document.splitlines() if line.startswith("Dialogue: ")]
    assert events == [
        "Dialogue: 0,0:00:00.00,0:00:00.50,Default,,0,0,0,,Hello\\N\\{world\\}",
        "Dialogue: 0,0:00:01.00,0:00:01.50,Default,,0,0,0,,你好",
    ]


def test_a_font_family_cannot_break_the_style_line() -> None:
    font = FontChoice("Evil, Font\nName", None, 0, covers_language=False)
    document = ass_document(SubtitleStyle(), text_layout(SubtitleStyle(), font, 640, 360), 640, 360, [])
    style_line = next(line for line in document.splitlines() if line.startswith("Style: "))
    assert len(style_line.split(",")) == 23
