"""The watermark's placement, scale, opacity and alpha; the held-frame stream of still scenes."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cloudburst.models.render_options import Corner, RenderOptions, SubtitleStyle, WatermarkOptions
from cloudburst.renderer.media.api import SceneInputs

from .helpers import frames, picture, probe, render, srt, stream, tone

W, H = 320, 180


@pytest.fixture(scope="module")
def grey(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wm") / "grey.png"
    Image.new("RGB", (W, H), (128, 128, 128)).save(path)
    return path


@pytest.fixture(scope="module")
def half_transparent_mark(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40x20: left half opaque red, right half fully transparent."""
    pixels = np.zeros((20, 40, 4), dtype=np.uint8)
    pixels[:, :20] = (255, 0, 0, 255)
    path = tmp_path_factory.mktemp("wm") / "mark.png"
    Image.fromarray(pixels, "RGBA").save(path)
    return path


def _first_frame(image: Path, mark: Path, options: WatermarkOptions, workdir: Path) -> np.ndarray:
    audio = tone(workdir.parent / f"{workdir.name}.wav", 0.5)
    result = render(
        SceneInputs(image, audio, watermark=mark), RenderOptions(width=W, height=H, watermark=options), workdir
    )
    decoded: np.ndarray = frames(result.path, gray=False)[0].astype(int)
    return decoded


@pytest.mark.parametrize(
    ("corner", "origin"),
    [(Corner.TOP_LEFT, (10, 10)), (Corner.BOTTOM_RIGHT, (W - 10 - 80, H - 10 - 40)), (Corner.CENTER, (120, 70))],
)
def test_watermark_position_scale_and_alpha(
    tmp_path: Path, grey: Path, half_transparent_mark: Path, corner: Corner, origin: tuple[int, int]
) -> None:
    frame = _first_frame(
        grey, half_transparent_mark, WatermarkOptions(position=corner, scale=0.25, margin=10), tmp_path / "w"
    )
    x, y = origin  # 80x40 once scaled to a quarter of the width
    assert tuple(frame[y + 20, x + 20]) == pytest.approx((255, 0, 0), abs=20)  # opaque half: red
    assert tuple(frame[y + 20, x + 60]) == pytest.approx((128, 128, 128), abs=8)  # transparent half: background
    assert tuple(frame[y - 10, x + 20]) == pytest.approx((128, 128, 128), abs=8)  # outside: untouched
    red = (frame[..., 0] > 200) & (frame[..., 1] < 60)
    rows, cols = np.flatnonzero(red.any(axis=1)), np.flatnonzero(red.any(axis=0))
    assert abs(rows[0] - y) <= 1
    assert abs(cols[0] - x) <= 1
    assert abs(cols[-1] - (x + 39)) <= 1
    assert abs(rows[-1] - (y + 39)) <= 1


def test_watermark_opacity(tmp_path: Path, grey: Path, half_transparent_mark: Path) -> None:
    options = WatermarkOptions(position=Corner.TOP_LEFT, scale=0.25, margin=10, opacity=0.5)
    frame = _first_frame(grey, half_transparent_mark, options, tmp_path / "w")
    assert tuple(frame[30, 30]) == pytest.approx((192, 64, 64), abs=12)  # half red over grey


def test_held_frames_are_exact_copies_and_keyframes_come_every_ten_seconds(tmp_path: Path) -> None:
    image = picture(tmp_path / "p.png", W, H)
    audio = tone(tmp_path / "a.wav", 21.0)
    subtitles = srt(tmp_path / "s.srt", (1.0, 2.0, "one"), (1.5, 3.0, "two"), (12.0, 12.5, "three"))
    options = RenderOptions(width=W, height=H, fps=10, subtitles=SubtitleStyle(font_size=20))
    result = render(SceneInputs(image, audio, subtitles), options, tmp_path / "work")
    assert result.stats["pictures_encoded"] < 12  # not 210 frames
    decoded = frames(result.path)  # fails on any decoding error
    assert len(decoded) == 210
    assert int(stream(probe(result.path), "video")["nb_frames"]) == 210
    runs = [len(list(group)) for _, group in itertools.groupby(frame.tobytes() for frame in decoded)]
    # Bit-identical runs between changes: subtitle states at 1.0, 1.5, 2.0, 3.0, 12.0 and 12.5 s, and the IDR
    # refreshes at 10 s and 20 s (the picture coded again, so its decoded copy may differ in the last bit).
    assert runs == [10, 5, 5, 10, 70, 20, 5, 75, 10]
    for refresh in (100, 200):
        assert np.abs(decoded[refresh].astype(int) - decoded[refresh - 1]).mean() < 2.5
    keyframes = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0",
         str(result.path)],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    key_times = [float(line.split(",")[0]) for line in keyframes if ",K" in line]
    assert key_times == [0.0, 10.0, 20.0]
