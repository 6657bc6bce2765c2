"""Burned-in subtitles: on screen exactly while a cue is active, real CJK glyphs, sizes in output pixels,
styles, wrapping, literal text, and work directories whose names need escaping in the filter graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cloudburst.core.subtitle_cues import Cue
from cloudburst.models.render_options import Effect, RenderOptions, SubtitlePosition, SubtitleStyle
from cloudburst.renderer.media.api import InputRejected, SceneInputs
from cloudburst.renderer.media.overlay import Overlay
from cloudburst.renderer.media.subtitles.plan import plan_subtitles
from cloudburst.renderer.media.subtitles.raster import rasterise

from .helpers import frames, picture, render, srt, tone

FPS = 30
BRIGHT = 200  # luma of burned-in white text; the test picture stays below 170


def _overlays(
    tmp_path: Path, texts: list[str], style: SubtitleStyle, width: int = 640, height: int = 360
) -> list[Overlay | None]:
    """Each text as its own subtitle state, rasterised by libass through ffmpeg."""
    cues = [Cue(index * 1000, index * 1000 + 500, (text,), index + 1) for index, text in enumerate(texts)]
    plan = plan_subtitles(
        cues, style, width=width, height=height, fps=FPS, total_frames=len(texts) * FPS, scratch=tmp_path
    )
    return list(rasterise(plan.script, width, height, plan.state_count))


def _alpha(overlay: Overlay | None, width: int = 640, height: int = 360) -> np.ndarray:
    """The overlay's coverage on a full frame (0..255)."""
    full = np.zeros((height, width), dtype=np.int32)
    if overlay is not None:
        full[overlay.y : overlay.y + overlay.height, overlay.x : overlay.x + overlay.width] = (
            255 - overlay.inverse_alpha_y
        )
    return full


@pytest.mark.parametrize("effect", [Effect.NONE, Effect.ZOOM_IN])
def test_subtitles_show_in_their_region_exactly_while_the_cue_is_active(tmp_path: Path, effect: Effect) -> None:
    image = picture(tmp_path / "p.png", 640, 360)
    audio = tone(tmp_path / "a.wav", 2.0)
    subtitles = srt(tmp_path / "s.srt", (0.5, 1.2, "Hello 你好"))
    style = SubtitleStyle(font_size=28)
    options = RenderOptions(width=320, height=180, fps=FPS, effect=effect, subtitles=style)
    decoded = frames(render(SceneInputs(image, audio, subtitles), options, tmp_path / "work").path)
    bright_bottom = (decoded[:, 120:, :] > BRIGHT).sum(axis=(1, 2))
    bright_top = (decoded[:, :100, :] > BRIGHT).sum(axis=(1, 2))
    shown = [index for index, count in enumerate(bright_bottom) if count > 30]
    assert shown == list(range(15, 36))  # 0.5 s → frame 15; 1.2 s → frame 36 is the first without
    assert bright_top.max() == 0
    assert bright_bottom[:15].max() == 0
    assert bright_bottom[36:].max() == 0


@pytest.mark.parametrize("effect", [Effect.NONE, Effect.ZOOM_IN])
def test_cues_past_the_end_of_the_audio_are_cut_at_the_last_frame(tmp_path: Path, effect: Effect) -> None:
    # The raster starts for every cue before the audio is measured; the video shows only what fits in it.
    image = picture(tmp_path / "p.png", 640, 360)
    audio = tone(tmp_path / "a.wav", 1.0)
    subtitles = srt(tmp_path / "s.srt", (0.5, 1.6, "Hello"), (1.2, 2.0, "beyond"), (3.0, 4.0, "far beyond"))
    options = RenderOptions(width=320, height=180, fps=FPS, effect=effect, subtitles=SubtitleStyle(font_size=28))
    decoded = frames(render(SceneInputs(image, audio, subtitles), options, tmp_path / "work").path)
    assert len(decoded) == 30
    bright_bottom = (decoded[:, 120:, :] > BRIGHT).sum(axis=(1, 2))
    assert [index for index, count in enumerate(bright_bottom) if count > 30] == list(range(15, 30))


def test_chinese_renders_real_glyphs_not_missing_glyph_boxes(tmp_path: Path) -> None:
    style = SubtitleStyle(font_size=48, outline=0)
    han_one, han_two, missing_one, missing_two = (
        _alpha(overlay) for overlay in _overlays(tmp_path, ["你", "好", "\ue000", "\ue001"], style)
    )
    assert han_one.sum() > 0
    assert han_two.sum() > 0
    # Two code points the font lacks draw the same thing (its missing-glyph box, or nothing).
    assert np.array_equal(missing_one, missing_two)
    for han in (han_one, han_two):
        assert (np.abs(han - missing_one) > 64).sum() > 200  # pixels where glyph and box differ clearly
    assert (np.abs(han_one - han_two) > 64).sum() > 200  # and the two characters differ from each other


@pytest.mark.parametrize(
    ("language", "first", "second"),
    [("hi", "नम", "स्ते"), ("th", "สวั", "สดี"), ("bn", "নম", "স্কার"), ("ta", "வண", "க்கம்"), ("auto", "🎉", "🤖")],
)
def test_other_scripts_and_emoji_render_real_glyphs_not_missing_glyph_boxes(
    tmp_path: Path, language: str, first: str, second: str
) -> None:
    style = SubtitleStyle(font_size=48, outline=0, language=language)
    one, two, missing_one, missing_two = (
        _alpha(overlay) for overlay in _overlays(tmp_path, [first, second, "\ue000\ue000", "\ue001\ue001"], style)
    )
    assert np.array_equal(missing_one, missing_two)  # what libass draws for code points no font has
    for drawn in (one, two):
        assert drawn.sum() > 0
        assert (np.abs(drawn - missing_one) > 64).sum() > 200
    assert (np.abs(one - two) > 64).sum() > 200


def test_text_no_installed_font_can_draw_is_refused_before_rendering(tmp_path: Path) -> None:
    image = picture(tmp_path / "p.png", 320, 180)
    subtitles = srt(tmp_path / "s.srt", (0.0, 0.3, "fine"), (0.3, 0.6, "also \ue000 fine \U000f0001"))
    with pytest.raises(InputRejected) as caught:
        render(SceneInputs(image, tone(tmp_path / "a.wav", 0.6), subtitles), RenderOptions(), tmp_path / "work")
    assert caught.value.code == "unsupported_input"
    assert caught.value.role == "subtitles"
    assert caught.value.message == (
        "subtitles: no installed font can draw '\ue000' (U+E000), '\U000f0001' (U+F0001) (first in the cue at "
        "line 6); the video would show empty boxes"
    )
    assert list((tmp_path / "work").iterdir()) == []


def test_a_word_wider_than_the_frame_is_broken_inside_it(tmp_path: Path) -> None:
    url = "https://example.com/a/very/long/path/that/keeps/going/and/going/forever/index.html?query=parameters"
    (overlay,) = _overlays(tmp_path, [f"Visit {url} today"], SubtitleStyle(font_size=24))
    alpha = _alpha(overlay)
    cols = np.flatnonzero(alpha.max(axis=0) > 0)
    rows = np.flatnonzero(alpha.max(axis=1) > 0)
    assert cols[0] >= 16  # inside the 5% side margins (32 px), outline included
    assert cols[-1] <= 640 - 16
    assert rows[-1] - rows[0] > 2 * 24  # at least three lines: 'Visit', then the URL cut in parts


def test_srt_angle_brackets_that_are_not_tags_are_drawn(tmp_path: Path) -> None:
    image = picture(tmp_path / "p.png", 640, 360)
    audio = tone(tmp_path / "a.wav", 0.6)
    widths = []
    for name, text in (("angles", "1 < 2 and 3 > 2, a<b, x>y"), ("plain", "1 2 and 3 2, ab, xy")):
        subtitles = srt(tmp_path / f"{name}.srt", (0.0, 0.6, text))
        options = RenderOptions(width=640, height=360, subtitles=SubtitleStyle(font_size=30))
        decoded = frames(render(SceneInputs(image, audio, subtitles), options, tmp_path / name).path)
        cols = np.flatnonzero((decoded[5, 240:, :] > BRIGHT).any(axis=0))
        widths.append(int(cols[-1] - cols[0]))
    assert widths[0] > widths[1] + 4 * 10  # the four brackets take room: nothing between them was deleted


def test_font_size_is_in_output_pixels_whatever_the_frame_size(tmp_path: Path) -> None:
    style = SubtitleStyle(font_size=40, outline=0)
    heights = []
    for width, height in ((320, 180), (1280, 720)):
        (overlay,) = _overlays(tmp_path, ["H"], style, width, height)
        alpha = _alpha(overlay, width, height)
        rows = np.flatnonzero(alpha.max(axis=1) > 128)
        heights.append(rows[-1] - rows[0] + 1)
    assert abs(heights[0] - heights[1]) <= 1
    assert 20 <= heights[0] <= 40  # a capital is about three quarters of the font size


def test_box_opacity_one_is_opaque(tmp_path: Path) -> None:
    for opacity, expected in ((1.0, 255), (0.5, 128)):
        (overlay,) = _overlays(tmp_path, ["box"], SubtitleStyle(box=True, box_opacity=opacity, font_size=30))
        alpha = _alpha(overlay)
        rows = np.flatnonzero(alpha.max(axis=1) > 0)
        cols = np.flatnonzero(alpha.max(axis=0) > 0)
        corner = alpha[rows[0] + 2, cols[0] + 2]  # inside the box's padding, away from the glyphs
        assert abs(int(corner) - expected) <= 3


@pytest.mark.parametrize(
    ("position", "band"),
    [(SubtitlePosition.TOP, (0, 120)), (SubtitlePosition.MIDDLE, (120, 240)), (SubtitlePosition.BOTTOM, (240, 360))],
)
def test_position(tmp_path: Path, position: SubtitlePosition, band: tuple[int, int]) -> None:
    (overlay,) = _overlays(tmp_path, ["where"], SubtitleStyle(position=position, font_size=30))
    rows = np.flatnonzero(_alpha(overlay).max(axis=1) > 0)
    assert band[0] <= rows.mean() < band[1]


def test_long_lines_wrap_inside_the_frame(tmp_path: Path) -> None:
    text = "这是一个很长的中文字幕，用来测试自动换行是否正常工作，并且标点符号不会出现在行首。"
    (overlay,) = _overlays(tmp_path, [text], SubtitleStyle(font_size=30))
    assert overlay is not None
    alpha = _alpha(overlay)
    cols = np.flatnonzero(alpha.max(axis=0) > 0)
    rows = np.flatnonzero(alpha.max(axis=1) > 0)
    assert cols[0] > 0
    assert cols[-1] < 639
    assert rows[-1] - rows[0] > 45  # two lines of 30 px text (one line of CJK is under 30 px tall)


def test_text_is_shown_literally_not_as_ass_commands(tmp_path: Path) -> None:
    literal, plain = _overlays(tmp_path, ["{\\an8}top?", "top?"], SubtitleStyle(font_size=30))
    literal_alpha, plain_alpha = _alpha(literal), _alpha(plain)
    literal_rows = np.flatnonzero(literal_alpha.max(axis=1) > 0)
    assert literal_rows.mean() > 240  # \an8 did not move it to the top
    assert (literal_alpha.max(axis=0) > 0).sum() > (plain_alpha.max(axis=0) > 0).sum() + 60  # the braces are drawn


def test_a_work_directory_name_full_of_filter_graph_syntax(tmp_path: Path) -> None:
    workdir = tmp_path / "it's a [test], x:y; back\\slash ü 字"
    image = picture(tmp_path / "p.png", 320, 180)
    audio = tone(tmp_path / "a.wav", 0.6)
    subtitles = srt(tmp_path / "s.srt", (0.0, 0.6, "escaped"))
    options = RenderOptions(width=320, height=180, subtitles=SubtitleStyle(font_size=28))
    decoded = frames(render(SceneInputs(image, audio, subtitles), options, workdir).path)
    assert (decoded[5, 120:, :] > BRIGHT).sum() > 30


def test_webvtt_works_too(tmp_path: Path) -> None:
    vtt = tmp_path / "s.vtt"
    vtt.write_text("WEBVTT\n\n00:00.000 --> 00:00.500\n<v Ann>Hi there\n", encoding="utf-8")
    image = picture(tmp_path / "p.png", 320, 180)
    options = RenderOptions(width=320, height=180, subtitles=SubtitleStyle(font_size=28))
    decoded = frames(render(SceneInputs(image, tone(tmp_path / "a.wav", 1.0), vtt), options, tmp_path / "w").path)
    bright = (decoded[:, 120:, :] > BRIGHT).sum(axis=(1, 2))
    assert bright[:15].min() > 30
    assert bright[15:].max() == 0


def test_the_one_pass_raster_of_opaque_styles_matches_the_black_and_white_pair(tmp_path: Path) -> None:
    cues = [Cue(0, 500, ("Hello 你好, outlined",), 1), Cue(1000, 1500, ("second",), 2)]
    plan = plan_subtitles(
        cues, SubtitleStyle(font_size=30), width=640, height=360, fps=FPS, total_frames=60, scratch=tmp_path
    )
    one_pass = list(rasterise(plan.script, 640, 360, plan.state_count, translucent=False))
    pair = list(rasterise(plan.script, 640, 360, plan.state_count, translucent=True))
    for single, double in zip(one_pass, pair, strict=True):
        assert single is not None
        assert double is not None
        assert (single.x, single.y, single.width, single.height) == (double.x, double.y, double.width, double.height)
        assert np.abs(single.inverse_alpha_y.astype(int) - double.inverse_alpha_y).max() <= 1
        assert np.abs(single.premultiplied_y.astype(int) - double.premultiplied_y).max() <= 1
