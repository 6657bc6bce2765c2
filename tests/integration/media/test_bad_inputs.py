"""Each kind of bad input is refused before any encoding, with a code, the input's role, a specific message,
and nothing left in the work directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudburst.models.render_options import RenderOptions
from cloudburst.renderer.media.api import InputRejected, Limits, SceneInputs
from cloudburst.renderer.media.render import render_scene

from .helpers import ffmpeg_children, garbled_m4a, listing, picture, srt, tone


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("good")
    return {
        "image": picture(folder / "p.png", 64, 36),
        "audio": tone(folder / "a.wav", 1.0),
        "subtitles": srt(folder / "s.srt", (0.1, 0.5, "hi")),
    }


def _refuse(inputs: SceneInputs, workdir: Path, limits: Limits = Limits()) -> InputRejected:  # noqa: B008
    workdir.mkdir(exist_ok=True)
    before = listing(workdir)
    with pytest.raises(InputRejected) as caught:
        render_scene(inputs, RenderOptions(width=64, height=36), workdir, limits=limits)
    assert listing(workdir) == before
    assert ffmpeg_children() == []  # the audio check and the subtitle raster, if they started, are gone
    assert caught.value.message.startswith(f"{caught.value.role}: ")
    return caught.value


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_audio_that_fails_its_check_while_the_subtitles_are_being_drawn(tmp_path: Path, good: dict[str, Path]) -> None:
    # The subtitle raster starts beside the audio check; a refused audio stops it and leaves nothing behind.
    subtitles = srt(tmp_path / "s.srt", *[(second + 0.1, second + 0.9, f"cue {second}") for second in range(4)])
    error = _refuse(SceneInputs(good["image"], garbled_m4a(tmp_path / "a.m4a"), subtitles), tmp_path / "w")
    assert (error.code, error.role) == ("input_unreadable", "audio")


def test_an_image_that_is_not_an_image(tmp_path: Path, good: dict[str, Path]) -> None:
    error = _refuse(SceneInputs(_write(tmp_path / "p.png", b"<html>nope</html>"), good["audio"]), tmp_path)
    assert (error.code, error.role) == ("unsupported_input", "image")
    assert "expected a PNG, JPEG or WebP image, got an XML or HTML document" in error.message


def test_a_truncated_image(tmp_path: Path, good: dict[str, Path]) -> None:
    big = picture(tmp_path / "big.png", 400, 300)
    cut = _write(tmp_path / "cut.png", big.read_bytes()[:2000])
    error = _refuse(SceneInputs(cut, good["audio"]), tmp_path / "w")
    assert (error.code, error.role) == ("input_unreadable", "image")
    assert "cannot decode the PNG image" in error.message


def test_an_image_with_too_many_pixels(tmp_path: Path, good: dict[str, Path]) -> None:
    error = _refuse(SceneInputs(good["image"], good["audio"]), tmp_path, Limits(max_image_pixels=1000))
    assert (error.code, error.role) == ("input_too_large", "image")
    assert "64x36" in error.message


def test_a_missing_file(tmp_path: Path, good: dict[str, Path]) -> None:
    error = _refuse(SceneInputs(good["image"], tmp_path / "absent.mp3"), tmp_path)
    assert (error.code, error.role, error.message) == ("input_unreadable", "audio", "audio: the file is missing")


def test_audio_that_is_text(tmp_path: Path, good: dict[str, Path]) -> None:
    error = _refuse(SceneInputs(good["image"], _write(tmp_path / "a.mp3", b"just some text\n" * 10)), tmp_path)
    assert (error.code, error.role) == ("unsupported_input", "audio")


def test_audio_that_does_not_decode(tmp_path: Path, good: dict[str, Path]) -> None:
    header = good["audio"].read_bytes()[:44]
    error = _refuse(SceneInputs(good["image"], _write(tmp_path / "a.wav", header + b"\xff" * 3)), tmp_path / "w")
    assert (error.code, error.role) == ("input_unreadable", "audio")


def test_audio_that_is_too_long(tmp_path: Path, good: dict[str, Path]) -> None:
    error = _refuse(SceneInputs(good["image"], good["audio"]), tmp_path, Limits(max_audio_seconds=0.5))
    assert (error.code, error.role) == ("input_too_large", "audio")
    assert error.message == "audio: 1.0 s of audio is more than the limit of 0.5 s"


def test_an_empty_audio_file(tmp_path: Path, good: dict[str, Path]) -> None:
    error = _refuse(SceneInputs(good["image"], _write(tmp_path / "a.mp3", b"")), tmp_path)
    assert (error.code, error.role, error.message) == ("unsupported_input", "audio", "audio: the file is empty")


def test_subtitles_that_are_garbage(tmp_path: Path, good: dict[str, Path]) -> None:
    garbage = _write(tmp_path / "s.srt", b"\x00\x01binary\xff\xfe")
    error = _refuse(SceneInputs(good["image"], good["audio"], garbage), tmp_path)
    assert (error.code, error.role) == ("unsupported_input", "subtitles")


def test_subtitles_broken_at_a_line_name_the_line(tmp_path: Path, good: dict[str, Path]) -> None:
    broken = _write(tmp_path / "s.srt", b"1\n00:00:00,100 --> 00:00:00,500\nok\n\n2\n00:00:01,000 -> later\nbad\n")
    error = _refuse(SceneInputs(good["image"], good["audio"], broken), tmp_path)
    assert (error.code, error.role) == ("input_unreadable", "subtitles")
    assert error.message == (
        "subtitles: not valid SRT: line 6: expected a timing line like '00:00:01,000 --> 00:00:02,500' after cue 2"
    )


def test_subtitles_broken_in_their_first_cue_name_the_line(tmp_path: Path, good: dict[str, Path]) -> None:
    broken = _write(tmp_path / "s.srt", b"1\n00:0x:00,000 --> 00:00:01,000\nfirst\n")
    error = _refuse(SceneInputs(good["image"], good["audio"], broken), tmp_path)
    assert (error.code, error.role) == ("input_unreadable", "subtitles")
    assert error.message == "subtitles: not valid SRT: line 2: cannot read the times in '00:0x:00,000 --> 00:00:01,000'"


def test_too_many_cues(tmp_path: Path, good: dict[str, Path]) -> None:
    many = srt(tmp_path / "s.srt", *[(index * 0.01, index * 0.01 + 0.005, "x") for index in range(20)])
    error = _refuse(SceneInputs(good["image"], good["audio"], many), tmp_path, Limits(max_subtitle_cues=10))
    assert (error.code, error.role) == ("input_too_large", "subtitles")
    assert error.message.startswith("subtitles: more cues than the limit of 10 (cue 11 is at line ")


def test_a_watermark_that_is_not_an_image(tmp_path: Path, good: dict[str, Path]) -> None:
    error = _refuse(
        SceneInputs(good["image"], good["audio"], watermark=_write(tmp_path / "w.png", b"GIF89a\x01\x00")), tmp_path
    )
    assert (error.code, error.role) == ("unsupported_input", "watermark")
    assert "GIF" in error.message
