"""Every allowed audio format and common channel layout becomes AAC stereo 48 kHz as long as the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudburst.models.render_options import RenderOptions
from cloudburst.renderer.media.api import SceneInputs

from .helpers import picture, probe, render, stream, tone

CASES = {
    "mono.mp3": (1, 44100, ("-c:a", "libmp3lame")),
    "stereo.wav": (2, 22050, ("-c:a", "pcm_s16le")),
    "surround.m4a": (6, 48000, ("-c:a", "aac")),
    "stereo.aac": (2, 44100, ("-c:a", "aac", "-f", "adts")),
    "mono.ogg": (1, 32000, ("-c:a", "libvorbis")),
    "stereo.opus": (2, 48000, ("-c:a", "libopus", "-f", "ogg")),
    "surround.flac": (6, 96000, ("-c:a", "flac")),
    "mono.flac": (1, 16000, ("-c:a", "flac")),
}
SECONDS = 1.0
FPS = 30


@pytest.mark.parametrize("name", sorted(CASES))
def test_audio_format_and_layout_become_aac_stereo_48k(tmp_path: Path, name: str) -> None:
    channels, rate, codec = CASES[name]
    audio = tone(tmp_path / name, SECONDS, channels=channels, rate=rate, codec=codec)
    image = picture(tmp_path / "p.png", 64, 36)
    result = render(SceneInputs(image, audio), RenderOptions(width=64, height=36, fps=FPS), tmp_path / "work")
    info = probe(result.path)
    sound, video = stream(info, "audio"), stream(info, "video")
    assert (sound["codec_name"], sound["sample_rate"], sound["channels"]) == ("aac", "48000", 2)
    # Raw ADTS carries no priming information, so its decoded length includes the encoder delay (about 45 ms).
    assert abs(float(sound["duration"]) - SECONDS) <= (0.05 if name.endswith(".aac") else 0.03)
    assert abs(float(video["duration"]) - float(sound["duration"])) <= 1 / FPS + 1e-6
