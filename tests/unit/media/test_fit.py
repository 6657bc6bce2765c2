"""Margins that would put the subtitles or the watermark off the output frame are refused, naming the option
and the frame; margins that keep them on screen, default margins and positions that ignore the margin pass."""

from __future__ import annotations

from typing import Any

import pytest

from cloudburst.models.render_options import RenderOptions
from cloudburst.renderer.media.api import OptionRejected
from cloudburst.renderer.media.fit import check_fit
from cloudburst.renderer.media.subtitles.ass import line_extent


def _check(options: dict[str, Any], *, subtitles: bool = True, mark: tuple[int, int] | None = (200, 100)) -> None:
    check_fit(RenderOptions.model_validate(options), 640, 360, has_subtitles=subtitles, watermark_size=mark)


def test_a_subtitle_margin_is_refused_once_a_line_no_longer_fits_in_the_frame() -> None:
    style = RenderOptions.model_validate({"subtitles": {"font_size": 30}}).subtitles
    room = 360 - line_extent(style, 640, 360)
    assert room == 360 - 30 - 2 * 2  # text and the default 2 px outline above and below
    _check({"subtitles": {"font_size": 30, "margin": room}})
    with pytest.raises(OptionRejected) as caught:
        _check({"subtitles": {"font_size": 30, "margin": room + 1}})
    assert caught.value.field == "subtitles.margin"
    assert "640x360 frame" in caught.value.message
    assert f"at most {room} px" in caught.value.message


def test_the_box_padding_counts_as_part_of_the_line() -> None:
    with pytest.raises(OptionRejected, match="at most 300 px"):  # 40 px text, 10 px padding above and below
        _check({"subtitles": {"font_size": 40, "box": True, "margin": 301}})


@pytest.mark.parametrize(
    "options",
    [
        {"subtitles": {"margin": 2000, "position": "middle"}},  # libass ignores the vertical margin there
        {"subtitles": {"font_size": 400}},  # default margin: nothing was asked that could be refused
        {"watermark": {"margin": 2000, "position": "center"}},
    ],
)
def test_positions_that_ignore_the_margin_and_default_margins_pass(options: dict[str, Any]) -> None:
    _check(options)


def test_a_subtitle_margin_is_not_checked_without_subtitles() -> None:
    _check({"subtitles": {"margin": 2000}}, subtitles=False)
    with pytest.raises(OptionRejected):
        _check({"subtitles": {"margin": 2000}})


@pytest.mark.parametrize("position", ["top_left", "top_right", "bottom_left", "bottom_right"])
def test_a_watermark_margin_is_refused_once_the_watermark_leaves_the_frame(position: str) -> None:
    # scale 0.5 of 640 = 320 px wide; a 2:1 image makes it 160 px tall: 200 px of room vertically, 320 across.
    _check({"watermark": {"scale": 0.5, "margin": 200, "position": position}})
    with pytest.raises(OptionRejected) as caught:
        _check({"watermark": {"scale": 0.5, "margin": 201, "position": position}})
    assert caught.value.field == "watermark.margin"
    assert "320x160 px watermark outside the 640x360 frame: at most 200 px" in caught.value.message
    _check({"watermark": {"scale": 0.5, "margin": 2000, "position": position}}, mark=None)
