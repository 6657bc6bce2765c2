"""Local input checks apply the Plan Lambda's size caps and the renderer's limits, naming file and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudburst.client.checks import InputProblem, check_input
from cloudburst.renderer.media.api import Limits
from tests.unit.client.media_files import write_png, write_srt, write_wav


def test_facts_of_valid_inputs(tmp_path: Path) -> None:
    image = check_input(write_png(tmp_path / "a.png", 40, 30), "image")
    audio = check_input(write_wav(tmp_path / "a.wav", 2.5), "audio")
    subtitles = check_input(write_srt(tmp_path / "a.srt"), "subtitles")
    assert (image.format.name, image.pixels, image.audio_seconds) == ("png", (40, 30), None)
    assert audio.format.name == "wav"
    assert audio.audio_seconds == pytest.approx(2.5)
    assert subtitles.format.name == "srt"


def test_size_caps_are_the_plan_lambdas(tmp_path: Path) -> None:
    big = tmp_path / "big.srt"
    with big.open("wb") as stream:  # sparse: no disk is written
        stream.truncate(11 * 1024 * 1024)
    with pytest.raises(InputProblem, match=r"big.srt is 11.0 MiB, above the 10 MiB limit for subtitles"):
        check_input(big, "subtitles")


def test_renderer_limits_on_pixels_and_length(tmp_path: Path) -> None:
    limits = Limits(max_image_pixels=100, max_audio_seconds=1.0)
    with pytest.raises(InputProblem, match=r"20x10 is more than the 100 pixels allowed; scale it down"):
        check_input(write_png(tmp_path / "a.png", 20, 10), "watermark", limits)
    with pytest.raises(InputProblem, match=r"longer than the 0 h a scene may last; split it"):
        check_input(write_wav(tmp_path / "a.wav", 2.0), "audio", limits)


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InputProblem, match="not a file"):
        check_input(tmp_path, "image")


def test_a_file_the_os_cannot_open_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    too_long = tmp_path / ("n" * 300 + ".png")  # longer than any file name the OS allows
    with pytest.raises(InputProblem, match=r"cannot be read \(File name too long\)") as caught:
        check_input(too_long, "image")
    assert len(str(caught.value)) < 200  # the path is shortened to fit one line


BAD_THIRD_CUE = (
    "1\n00:00:00,000 --> 00:00:01,000\nA\n\n2\n00:00:01,000 --> 00:00:02,000\nB\n\n"
    "3\n00:00:03,000 --> 00:0x:04,000\nC\n"
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (BAD_THIRD_CUE, "not valid SRT: line 10: cannot read the times in '00:00:03,000 --> 00:0x:04,000'"),
        (
            "1\n00:00:02,000 --> 00:00:01,000\nbackwards\n",
            "not valid SRT: line 2: the cue ends (00:00:01,000) before it starts (00:00:02,000)",
        ),
        ("1\n00:0x:00,000 --> 00:00:01,000\nfirst\n", "not valid SRT: line 2: cannot read the times in"),
        ("WEBVTT\n\n00:01.000 --> 00:00.500\nback\n", "not valid VTT: line 3: the cue ends"),
    ],
)
def test_subtitles_are_read_by_the_renderers_cue_parser(tmp_path: Path, text: str, reason: str) -> None:
    path = write_srt(tmp_path / "a.srt", text)
    with pytest.raises(InputProblem) as caught:
        check_input(path, "subtitles")
    assert str(caught.value).startswith(f"{path}: {reason}")


def test_subtitles_over_the_renderers_cue_limit_are_refused(tmp_path: Path) -> None:
    path = write_srt(tmp_path / "a.srt", "".join(f"00:00:0{n},000 --> 00:00:0{n},500\nx\n\n" for n in range(3)))
    assert check_input(path, "subtitles", Limits(max_subtitle_cues=3)).format.name == "srt"
    with pytest.raises(InputProblem, match=r"a.srt: more cues than the limit of 2 \(cue 3 is at line 7\)"):
        check_input(path, "subtitles", Limits(max_subtitle_cues=2))


def test_an_estimated_length_over_the_limit_is_flagged_not_refused(tmp_path: Path) -> None:
    streamed = write_wav(tmp_path / "streamed.wav", 2.0)
    data = bytearray(streamed.read_bytes())
    data[4:8] = data[40:44] = b"\xff\xff\xff\xff"  # RIFF and data sizes as a tool writing to a pipe leaves them
    streamed.write_bytes(bytes(data))
    facts = check_input(streamed, "audio", Limits(max_audio_seconds=1.0))
    assert facts.audio_seconds == pytest.approx(2.0)
    assert "placeholders" in (facts.audio_estimate or "")
