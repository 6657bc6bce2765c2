"""Valid audio that headers describe badly: streamed and RF64 WAV, fragmented M4A, VBR MP3 without a Xing
header, Ogg with a timestamp gap or two files chained, Ogg FLAC, FLAC behind an ID3 tag. Each renders, with
the video as long as the decoded audio, or is refused for what it really is."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from cloudburst.models.render_options import RenderOptions
from cloudburst.renderer.media.api import InputRejected, Limits, SceneInputs
from cloudburst.renderer.media.render import render_scene

from .helpers import ffmpeg, picture, probe, stream

FPS = 30


def _decoded_seconds(path: Path) -> float:
    """What ffmpeg decodes from the file, sample by sample (8 kHz mono)."""
    pcm = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", "8000", "-f", "s16le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return len(pcm) / 2 / 8000


def _render(tmp_path: Path, audio: Path, *, effect: str = "none", limits: Limits | None = None) -> float:
    """Render, check the video and the AAC both last as long as the decoded audio, and return that length."""
    image = picture(tmp_path / "p.png", 64, 36)
    options = RenderOptions.model_validate({"width": 64, "height": 36, "fps": FPS, "effect": effect})
    workdir = tmp_path / f"work-{effect}"
    workdir.mkdir()
    result = render_scene(SceneInputs(image, audio), options, workdir, limits=limits or Limits())
    info = probe(result.path)
    video, sound = stream(info, "video"), stream(info, "audio")
    expected = _decoded_seconds(audio)
    assert abs(float(video["duration"]) - expected) <= 1 / FPS + 1e-3
    assert abs(float(sound["duration"]) - expected) <= 0.05
    assert float(sound["start_time"]) == 0
    assert abs(result.duration_s - expected) <= 1 / FPS + 0.03
    return expected


def _sine(seconds: float, rate: int = 44100) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={rate}:duration={seconds}"]


def test_wav_written_to_a_pipe_renders(tmp_path: Path) -> None:
    piped = tmp_path / "piped.wav"
    with piped.open("wb") as out:
        subprocess.run(["ffmpeg", "-v", "error", *_sine(2), "-f", "wav", "-"], stdout=out, check=True)
    assert piped.read_bytes()[4:8] == b"\xff\xff\xff\xff"  # what makes it odd
    assert _render(tmp_path, piped) == pytest.approx(2.0, abs=0.01)


def test_wav_with_zero_sizes_renders(tmp_path: Path) -> None:
    wav = tmp_path / "tts.wav"
    ffmpeg(*_sine(2), str(wav))
    data = bytearray(wav.read_bytes())
    at = data.find(b"data")
    data[4:8] = data[at + 4 : at + 8] = struct.pack("<I", 0)
    wav.write_bytes(bytes(data))
    assert _render(tmp_path, wav) == pytest.approx(2.0, abs=0.01)


def test_rf64_renders(tmp_path: Path) -> None:
    rf64 = tmp_path / "rf64.wav"
    ffmpeg(*_sine(2), "-rf64", "always", str(rf64))
    assert rf64.read_bytes()[:4] == b"RF64"
    assert _render(tmp_path, rf64) == pytest.approx(2.0, abs=0.01)


@pytest.mark.parametrize("flags", ["frag_keyframe+empty_moov+default_base_moof", "frag_keyframe"])
def test_fragmented_m4a_renders(tmp_path: Path, flags: str) -> None:
    m4a = tmp_path / "frag.m4a"
    ffmpeg(*_sine(2), "-c:a", "aac", "-movflags", flags, "-frag_duration", "300000", "-f", "mp4", str(m4a))
    assert _render(tmp_path, m4a) == pytest.approx(2.0, abs=0.06)


def _vbr_mp3_starting_silent(tmp_path: Path) -> Path:
    """8 s: 1 s of silence then noise, VBR, no Xing header: the first frames' bitrate makes it look 4x longer."""
    mp3 = tmp_path / "vbr.mp3"
    ffmpeg(
        "-f", "lavfi", "-i", "anullsrc=r=44100:cl=stereo:d=1",
        "-f", "lavfi", "-i", "anoisesrc=d=7:c=white:r=44100:a=0.5",
        "-filter_complex", "[0:a][1:a]concat=n=2:v=0:a=1,aformat=channel_layouts=stereo",
        "-c:a", "libmp3lame", "-q:a", "0", "-write_xing", "0", str(mp3),
    )  # fmt: skip
    return mp3


def test_a_vbr_mp3_is_not_refused_on_its_header_estimate(tmp_path: Path) -> None:
    assert _render(tmp_path, _vbr_mp3_starting_silent(tmp_path), limits=Limits(max_audio_seconds=20)) > 7.9


def test_a_vbr_mp3_really_too_long_is_refused_by_the_measurement(tmp_path: Path) -> None:
    with pytest.raises(InputRejected) as caught:
        _render(tmp_path, _vbr_mp3_starting_silent(tmp_path), limits=Limits(max_audio_seconds=5))
    assert caught.value.code == "input_too_large"
    assert "longer than the limit of 5.0 s (decoding stopped at 6.0 s)" in caught.value.message


def _ogg_pages(data: bytes) -> list[bytes]:
    pages, at = [], 0
    while at < len(data):
        count = data[at + 26]
        size = 27 + count + sum(data[at + 27 : at + 27 + count])
        pages.append(data[at : at + size])
        at += size
    return pages


@pytest.mark.parametrize("effect", ["none", "zoom_in"])  # the still path and the moving path encode the AAC
def test_an_ogg_missing_pages_gives_video_as_long_as_the_audio(tmp_path: Path, effect: str) -> None:
    whole = tmp_path / "whole.ogg"
    ffmpeg(*_sine(4, 48000), "-c:a", "libopus", "-page_duration", "100000", str(whole))
    pages = _ogg_pages(whole.read_bytes())
    gap = tmp_path / "gap.ogg"
    gap.write_bytes(b"".join(pages[:12] + pages[22:]))  # about 1 s of pages lost
    assert _render(tmp_path, gap, effect=effect) == pytest.approx(3.0, abs=0.05)


@pytest.mark.parametrize("effect", ["none", "zoom_in"])
def test_two_opus_files_joined_play_back_to_back(tmp_path: Path, effect: str) -> None:
    part = tmp_path / "part.ogg"
    ffmpeg(*_sine(2, 48000), "-c:a", "libopus", str(part))
    chained = tmp_path / "chained.ogg"
    chained.write_bytes(part.read_bytes() * 2)
    assert _render(tmp_path, chained, effect=effect) == pytest.approx(4.0, abs=0.05)


def test_mp3s_of_two_rates_joined_keep_both_parts(tmp_path: Path) -> None:
    """A format change mid-file rebuilds ffmpeg's filters: the second part must not restart at 0."""
    first, second = tmp_path / "a.mp3", tmp_path / "b.mp3"
    ffmpeg(*_sine(2, 44100), "-c:a", "libmp3lame", str(first))
    ffmpeg(*_sine(2, 22050), "-c:a", "libmp3lame", str(second))
    joined = tmp_path / "joined.mp3"
    joined.write_bytes(first.read_bytes() + second.read_bytes())
    assert _render(tmp_path, joined) > 3.9


def test_ogg_flac_renders(tmp_path: Path) -> None:
    ogg = tmp_path / "flac.ogg"
    ffmpeg(*_sine(2), "-c:a", "flac", "-f", "ogg", str(ogg))
    assert _render(tmp_path, ogg) == pytest.approx(2.0, abs=0.01)


def test_flac_behind_an_id3_tag_renders(tmp_path: Path) -> None:
    flac = tmp_path / "plain.flac"
    ffmpeg(*_sine(2, 96000), "-c:a", "flac", str(flac))
    tagged = tmp_path / "tagged.flac"
    tagged.write_bytes(b"ID3\x03\x00\x00\x00\x00\x00\x0a" + bytes(10) + flac.read_bytes())
    assert _render(tmp_path, tagged) == pytest.approx(2.0, abs=0.01)
