"""A margin that would push the subtitles or the watermark off the output frame fails the render before any
encoding (naming the option and the frame) and leaves the work directory empty; the largest margin that is
accepted still shows them, so the limit is where visibility really ends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cloudburst.models.render_options import Corner, RenderOptions, SubtitleStyle, WatermarkOptions
from cloudburst.renderer.media.api import OptionRejected, SceneInputs
from cloudburst.renderer.media.subtitles.ass import line_extent

from .helpers import frames, picture, render, srt, tone

W, H = 640, 360
BRIGHT = 200  # burned-in white text; the test picture stays below 170


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Path]:
    folder = tmp_path_factory.mktemp("scene")
    image = picture(folder / "p.png", W, H)
    audio = tone(folder / "a.wav", 0.4)
    subtitles = srt(folder / "s.srt", (0.0, 0.4, "Still on screen"))
    mark = folder / "mark.png"
    Image.new("RGBA", (64, 32), (255, 255, 255, 255)).save(mark)
    return image, audio, subtitles, mark


def test_a_subtitle_margin_beyond_the_frame_is_refused(tmp_path: Path, scene: tuple[Path, Path, Path, Path]) -> None:
    image, audio, subtitles, _ = scene
    options = RenderOptions(width=W, height=H, subtitles=SubtitleStyle(margin=2000))
    with pytest.raises(OptionRejected) as caught:
        render(SceneInputs(image, audio, subtitles), options, tmp_path / "work")
    assert caught.value.field == "subtitles.margin"
    assert "640x360 frame" in str(caught.value)
    assert list((tmp_path / "work").iterdir()) == []


def test_the_largest_accepted_subtitle_margin_still_shows_the_text(
    tmp_path: Path, scene: tuple[Path, Path, Path, Path]
) -> None:
    image, audio, subtitles, _ = scene
    style = SubtitleStyle(font_size=30)
    room = H - line_extent(style, W, H)
    options = RenderOptions(width=W, height=H, subtitles=style.model_copy(update={"margin": room}))
    decoded = frames(render(SceneInputs(image, audio, subtitles), options, tmp_path / "work").path)
    bright_rows = np.flatnonzero((decoded[0] > BRIGHT).any(axis=1))
    assert bright_rows.size > 10  # the text is drawn...
    assert bright_rows[0] < 40  # ...at the very top, pushed up by the margin, but inside the frame


@pytest.mark.parametrize("margin", [2000, H - 51 + 1])
def test_a_watermark_margin_beyond_the_frame_is_refused(
    tmp_path: Path, scene: tuple[Path, Path, Path, Path], margin: int
) -> None:
    image, audio, _, mark = scene
    # scale 0.16: 102x51 px on a 640-wide frame, so 309 px of margin is the most that keeps it inside.
    options = RenderOptions(width=W, height=H, watermark=WatermarkOptions(scale=0.16, margin=margin))
    with pytest.raises(OptionRejected) as caught:
        render(SceneInputs(image, audio, watermark=mark), options, tmp_path / "work")
    assert caught.value.field == "watermark.margin"
    assert "102x51 px watermark outside the 640x360 frame: at most 309 px fits" in str(caught.value)
    assert list((tmp_path / "work").iterdir()) == []


def test_the_largest_accepted_watermark_margin_still_shows_it(
    tmp_path: Path, scene: tuple[Path, Path, Path, Path]
) -> None:
    image, audio, _, mark = scene
    options = RenderOptions(
        width=W, height=H, watermark=WatermarkOptions(scale=0.16, margin=H - 51, position=Corner.BOTTOM_RIGHT)
    )
    decoded = frames(render(SceneInputs(image, audio, watermark=mark), options, tmp_path / "work").path)
    white = decoded[0] > BRIGHT
    rows, cols = np.flatnonzero(white.any(axis=1)), np.flatnonzero(white.any(axis=0))
    assert abs(int(rows[0]) - 0) <= 1  # bottom-right with the largest margin: flush with the top edge
    assert abs(int(cols[-1]) - (W - 309 - 1)) <= 1
