"""What every render produces: H.264 yuv420p + AAC 48 kHz stereo, moov first, the right size, rate and length."""

from __future__ import annotations

import os
import struct
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cloudburst.models.render_options import Effect, Fit, Orientation, RenderOptions
from cloudburst.renderer.media import libx264, pipeio
from cloudburst.renderer.media.api import RenderCancelled, RenderError, SceneInputs
from cloudburst.renderer.media.render import render_scene, render_stub

from .helpers import ffmpeg_children, frames, listing, picture, probe, render, srt, stream, tone

SECONDS = 1.3


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tone(tmp_path_factory.mktemp("audio") / "tone.mp3", SECONDS, codec=("-c:a", "libmp3lame"))


def _top_level_boxes(path: Path) -> list[bytes]:
    data = path.read_bytes()
    kinds, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, offset)
        kinds.append(kind)
        offset += size if size else len(data)
    return kinds


@pytest.mark.parametrize("effect", [Effect.NONE, Effect.ZOOM_IN])
def test_codecs_size_rate_duration_and_faststart(tmp_path: Path, audio: Path, effect: Effect) -> None:
    image = picture(tmp_path / "p.jpg", 400, 300)
    options = RenderOptions(width=320, height=180, fps=25, effect=effect)
    result = render(SceneInputs(image, audio), options, tmp_path / "work")
    info = probe(result.path)
    video, sound = stream(info, "video"), stream(info, "audio")
    assert (video["codec_name"], video["pix_fmt"], video["width"], video["height"]) == ("h264", "yuv420p", 320, 180)
    assert video["r_frame_rate"] == "25/1"
    assert video["avg_frame_rate"] == "25/1"
    assert video.get("color_space") == "bt709"
    assert (sound["codec_name"], sound["sample_rate"], sound["channels"]) == ("aac", "48000", 2)
    assert abs(float(video["duration"]) - SECONDS) <= 1 / 25 + 1e-6
    assert abs(float(sound["duration"]) - SECONDS) <= 0.03
    assert int(video["nb_frames"]) == round(SECONDS * 25)
    boxes = _top_level_boxes(result.path)
    assert boxes.index(b"moov") < boxes.index(b"mdat")  # +faststart
    assert (result.width, result.height, result.fps) == (320, 180, 25)
    assert result.size_bytes == result.path.stat().st_size
    assert result.duration_s == pytest.approx(SECONDS, abs=0.04)
    assert len(result.sha256) == 64
    assert listing(tmp_path / "work") == ["output.mp4"]  # no scratch left behind


@pytest.mark.parametrize(
    ("size", "options", "expected"),
    [
        ((400, 300), RenderOptions(), (1920, 1080)),
        ((300, 534), RenderOptions(), (1080, 1920)),  # 9:16 photo: portrait output
        ((500, 500), RenderOptions(), (1920, 1080)),
        ((400, 300), RenderOptions(orientation=Orientation.PORTRAIT), (1080, 1920)),
        ((333, 187), RenderOptions(width=322, height=182), (322, 182)),  # odd source, unusual even output
    ],
)
def test_output_size_follows_the_image_or_the_options(
    tmp_path: Path, audio: Path, size: tuple[int, int], options: RenderOptions, expected: tuple[int, int]
) -> None:
    image = picture(tmp_path / "p.png", *size)
    result = render(SceneInputs(image, audio), options, tmp_path / "work")
    video = stream(probe(result.path), "video")
    assert (video["width"], video["height"]) == expected


def test_a_twelve_megapixel_photo_fills_a_1080p_frame(tmp_path: Path, audio: Path) -> None:
    image = tmp_path / "big.jpg"
    pixels = np.zeros((3000, 4000, 3), dtype=np.uint8)
    pixels[:, :2000] = (200, 40, 40)
    pixels[:, 2000:] = (40, 40, 200)
    Image.fromarray(pixels).save(image, quality=90)
    result = render(SceneInputs(image, audio), RenderOptions(), tmp_path / "work")
    first = frames(result.path, gray=False, limit=1)[0].astype(int)
    assert first.shape == (1080, 1920, 3)
    assert tuple(first[540, 100]) == pytest.approx((200, 40, 40), abs=12)
    assert tuple(first[540, 1820]) == pytest.approx((40, 40, 200), abs=12)


def test_cover_fills_the_frame_and_contain_pads_with_the_background(tmp_path: Path, audio: Path) -> None:
    image = tmp_path / "green.png"
    Image.new("RGB", (400, 400), (0, 200, 0)).save(image)
    covered = frames(
        render(SceneInputs(image, audio), RenderOptions(width=320, height=180), tmp_path / "a").path, gray=False
    )
    contained = frames(
        render(
            SceneInputs(image, audio),
            RenderOptions(width=320, height=180, fit=Fit.CONTAIN, background="#FF0000"),
            tmp_path / "b",
        ).path,
        gray=False,
    )
    assert np.abs(covered[0].astype(int) - (0, 200, 0)).max() <= 12  # green edge to edge
    assert np.abs(contained[0][:, 10].astype(int) - (255, 0, 0)).max() <= 12  # red bars at the sides
    assert np.abs(contained[0][:, 160].astype(int) - (0, 200, 0)).max() <= 12  # the image in the middle


def test_exif_orientation_is_honoured(tmp_path: Path, audio: Path) -> None:
    """Stored landscape with red on top, tagged 'rotate 90 clockwise': shown portrait with red on the right."""
    stored = np.zeros((90, 160, 3), dtype=np.uint8)
    stored[:45] = (220, 0, 0)
    stored[45:] = (0, 0, 220)
    image = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(image, exif=exif.tobytes(), quality=95)
    result = render(SceneInputs(image, audio), RenderOptions(), tmp_path / "work")
    video = stream(probe(result.path), "video")
    assert (video["width"], video["height"]) == (1080, 1920)
    first = frames(result.path, gray=False, limit=1)[0]
    assert first[960, 1000, 0] > 150 > first[960, 1000, 2]  # right: red
    assert first[960, 80, 2] > 150 > first[960, 80, 0]  # left: blue


def test_progress_rises_to_one(tmp_path: Path, audio: Path) -> None:
    seen: list[float] = []
    image = picture(tmp_path / "p.png", 200, 100)
    render_scene(
        SceneInputs(image, audio),
        RenderOptions(width=160, height=90, effect=Effect.PAN_LEFT),
        tmp_path,
        on_progress=seen.append,
    )
    assert seen[-1] == 1.0
    assert seen == sorted(seen)
    assert len(seen) > 5


def test_a_cancelled_render_stops_its_encoders_and_leaves_nothing(tmp_path: Path) -> None:
    image = picture(tmp_path / "p.png", 400, 300)
    long_audio = tone(tmp_path / "long.wav", 30.0)
    subtitles = srt(tmp_path / "s.srt", *[(second + 0.1, second + 0.9, f"cue {second}") for second in range(30)])
    workdir = tmp_path / "work"
    workdir.mkdir()
    cancel = threading.Event()

    def cancel_when_encoding(fraction: float) -> None:
        if fraction > 0.055:  # the first frames are encoded: encoder, rasteriser and audio all running
            cancel.set()

    with pytest.raises(RenderCancelled):
        render_scene(
            SceneInputs(image, long_audio, subtitles),
            RenderOptions(width=640, height=360, effect=Effect.ZOOM_IN),
            workdir,
            on_progress=cancel_when_encoding,
            cancel=cancel,
        )
    assert listing(workdir) == []
    assert ffmpeg_children() == []


def test_the_stub_writes_a_valid_mp4_of_the_right_length_without_encoding_frames(tmp_path: Path, audio: Path) -> None:
    image = picture(tmp_path / "p.png", 400, 300)
    result = render_stub(SceneInputs(image, audio), RenderOptions(), tmp_path)
    info = probe(result.path)
    video, sound = stream(info, "video"), stream(info, "audio")
    assert (video["codec_name"], video["width"], video["height"], video["r_frame_rate"]) == ("h264", 1920, 1080, "30/1")
    assert (sound["codec_name"], sound["sample_rate"], sound["channels"]) == ("aac", "48000", 2)
    assert abs(float(video["duration"]) - SECONDS) <= 1 / 30 + 0.03
    assert result.size_bytes < 20_000  # a 1080p picture held by skip frames, and silence
    decoded = frames(result.path)
    assert len(decoded) == int(video["nb_frames"])
    assert all(np.array_equal(decoded[0], frame) for frame in decoded)


def test_zero_copy_frames_reach_the_encoder_intact(
    tmp_path: Path, audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frames handed to the pipe by reference (vmsplice) must not be overwritten before ffmpeg reads them; small
    frames are the demanding case (a dozen fit in the pipe at once). The output must equal the copying
    writer's, frame for frame."""
    if pipeio._VMSPLICE is None:
        pytest.skip("vmsplice is not available on this system")
    monkeypatch.setenv(libx264.ENCODER_VARIABLE, "ffmpeg")  # the pipe is only used when ffmpeg encodes
    image = picture(tmp_path / "p.png", 640, 360)
    options = RenderOptions(width=320, height=180, effect=Effect.KEN_BURNS, strength=0.3, seed=1)
    spliced = frames(render(SceneInputs(image, audio), options, tmp_path / "spliced").path)
    monkeypatch.setattr(pipeio, "_VMSPLICE", None)
    copied = frames(render(SceneInputs(image, audio), options, tmp_path / "copied").path)
    assert np.array_equal(spliced, copied)


@pytest.mark.skipif(not libx264.BUILT, reason="the _x264 extension is not built here")
def test_x264_in_process_and_through_ffmpeg_make_the_same_video(
    tmp_path: Path, audio: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The two ways a moving scene is encoded give the same frames at the same times, and the same audio."""
    image = picture(tmp_path / "p.png", 640, 360)
    subtitles = srt(tmp_path / "s.srt", (0.2, 0.9, "Both ways"))
    options = RenderOptions(width=320, height=180, effect=Effect.KEN_BURNS, strength=0.3, seed=3)
    monkeypatch.setenv(libx264.ENCODER_VARIABLE, "in-process")
    in_process = render(SceneInputs(image, audio, subtitles), options, tmp_path / "in-process").path
    monkeypatch.setenv(libx264.ENCODER_VARIABLE, "ffmpeg")
    piped = render(SceneInputs(image, audio, subtitles), options, tmp_path / "piped").path
    assert np.array_equal(frames(in_process), frames(piped))
    for kind in ("video", "audio"):
        ours, theirs = stream(probe(in_process), kind), stream(probe(piped), kind)
        assert (ours["start_time"], ours["duration"], ours["nb_frames"]) == (
            theirs["start_time"],
            theirs["duration"],
            theirs["nb_frames"],
        )


@pytest.mark.parametrize("encoder", ["in-process", "ffmpeg"])
def test_an_encoder_killed_mid_scene_fails_the_render_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoder: str
) -> None:
    """The ffmpeg of a moving scene dies (as when the container runs out of memory): the render fails with
    the step named, stops everything it started, and leaves no file behind."""
    if encoder == "in-process" and not libx264.BUILT:
        pytest.skip("the _x264 extension is not built here")
    monkeypatch.setenv(libx264.ENCODER_VARIABLE, encoder)
    image = picture(tmp_path / "p.png", 400, 300)
    long_audio = tone(tmp_path / "long.wav", 20.0)
    workdir = tmp_path / "work"
    workdir.mkdir()

    def kill_encoder(fraction: float) -> None:
        if fraction > 0.1:
            for pid in ffmpeg_children():
                os.kill(pid, 9)

    with pytest.raises(RenderError, match="encode: ffmpeg exited with status -9"):
        render_scene(
            SceneInputs(image, long_audio),
            RenderOptions(width=640, height=360, effect=Effect.ZOOM_IN),
            workdir,
            on_progress=kill_encoder,
        )
    assert listing(workdir) == []
    assert ffmpeg_children() == []
