"""Durations from audio headers agree with what was encoded, for every allowed format."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from cloudburst.core.audio_info import AudioUnreadable, audio_length
from cloudburst.core.media_types import MediaKind, sniff

FORMATS = {
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "wav": ["-c:a", "pcm_s16le"],
    "m4a": ["-c:a", "aac", "-b:a", "64k"],
    "aac": ["-c:a", "aac", "-b:a", "64k", "-f", "adts"],
    "ogg": ["-c:a", "libvorbis"],
    "opus": ["-c:a", "libopus", "-f", "ogg"],
    "flac": ["-c:a", "flac"],
}


def _encode(tmp_path: Path, extension: str, seconds: float, channels: int) -> Path:
    target = tmp_path / f"tone.{extension}"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=330:duration={seconds}",
            "-ac",
            str(channels),
            *FORMATS[extension],
            str(target),
        ],
        check=True,
    )
    return target


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_duration_matches_the_encoded_length(tmp_path: Path, extension: str) -> None:
    path = _encode(tmp_path, extension, 3.5, channels=2 if extension != "opus" else 1)
    data = path.read_bytes()
    fmt = sniff(MediaKind.AUDIO, data[:65536])
    # ADTS has no duration header: mutagen estimates it from the bitrate, which is coarser
    tolerance = 0.25 if extension == "aac" else 0.06
    length = audio_length(io.BytesIO(data), fmt)
    assert length.seconds == pytest.approx(3.5, abs=tolerance)
    assert length.exact == (extension != "aac")  # ffmpeg's MP3 has a Xing header; ADTS has no length field


def test_truncated_audio_is_unreadable(tmp_path: Path) -> None:
    data = _encode(tmp_path, "flac", 1.0, channels=1).read_bytes()[:20]
    with pytest.raises(AudioUnreadable, match="flac"):
        audio_length(io.BytesIO(data), sniff(MediaKind.AUDIO, data))
