"""Audio duration from the file's headers, in pure Python (mutagen), without decoding.

The Plan Lambda reads durations of audio that lives in S3 through a ranged reader, so it must not need
ffmpeg or the whole file; the CLI uses the same function on local files for `validate` and `plan`.
"""

from __future__ import annotations

from typing import IO, Any

from mutagen import MutagenError, aac, flac, mp3, mp4, oggopus, oggvorbis, wave

from cloudburst.core.media_types import AAC, FLAC, M4A, MP3, OGG, OPUS, WAV, MediaFormat

_READERS: dict[MediaFormat, Any] = {
    MP3: mp3.MP3,
    WAV: wave.WAVE,
    M4A: mp4.MP4,
    AAC: aac.AAC,
    OGG: oggvorbis.OggVorbis,
    OPUS: oggopus.OggOpus,
    FLAC: flac.FLAC,
}


class AudioUnreadable(ValueError):
    """The headers could not give a duration: the file is corrupt, truncated or not what it claims."""


def audio_duration(fileobj: IO[bytes], fmt: MediaFormat) -> float:
    """Seconds of audio. `fileobj` must be seekable; readers seek to the end for formats that need it."""
    reader = _READERS.get(fmt)
    if reader is None:
        raise AudioUnreadable(f"{fmt.name} is not an audio format")
    try:
        fileobj.seek(0)
        info = reader(fileobj).info
    except (MutagenError, ValueError, EOFError, OSError, IndexError, KeyError) as exc:
        raise AudioUnreadable(f"cannot read the {fmt.name} headers: {exc or type(exc).__name__}") from None
    length = float(getattr(info, "length", 0.0) or 0.0)
    if not length > 0:
        raise AudioUnreadable(f"the {fmt.name} headers give no duration (empty or corrupt audio)")
    return length
