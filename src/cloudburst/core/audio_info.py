"""Audio length from the file's headers, in pure Python (mutagen and our own chunk readers), without decoding.

The Plan Lambda reads lengths of audio that lives in S3 through a ranged reader, so it must not need ffmpeg or
the whole file; the CLI uses the same function on local files for `validate` and `plan`, and the renderer for
its first look at a scene.

Headers are for planning. Some give the exact length (a sample count, a duration field, PCM bytes); others
only an estimate that can be far off: an MP3 without a Xing/VBRI header is timed by its first frames'
bitrate (a VBR file that starts with silence looks four times longer than it is), ADTS AAC has no length
field at all, a WAV or FLAC written to a pipe has placeholders where its sizes belong. `AudioLength.estimate`
says which, and why, so that nothing is refused on an estimate: the renderer decodes the audio and refuses
only what really is too long.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import IO, Any

from mutagen import MutagenError, aac, flac, mp3, mp4, oggflac, oggopus, oggvorbis

from cloudburst.core.media_types import AAC, FLAC, M4A, MP3, OGG, OGG_FLAC, OPUS, WAV, MediaFormat
from cloudburst.core.mp4_fragments import FragmentsUnreadable, fragmented_length
from cloudburst.core.wav_header import WavUnreadable, wav_length

_READERS: dict[MediaFormat, Any] = {
    MP3: mp3.MP3,
    M4A: mp4.MP4,
    AAC: aac.AAC,
    OGG: oggvorbis.OggVorbis,
    OPUS: oggopus.OggOpus,
    OGG_FLAC: oggflac.OggFLAC,
    FLAC: flac.FLAC,
}
_ERRORS = (MutagenError, ValueError, EOFError, OSError, IndexError, KeyError)
MIN_PLAUSIBLE_BPS = 500
"""Below this average bitrate a header's length is not believed (no codec we accept goes that low; FLAC or
Opus of pure silence come closest, at about 1.5 kb/s). A corrupt or crafted header claiming hours for a few
kilobytes is then an estimate, not a reason to refuse."""
HEADER_SLACK_S = 0.1
"""Exact headers may still count an encoder's priming samples (AAC: about 23 ms) that decoding drops."""
ASSUMED_M4A_KBPS = 128
"""The bitrate assumed for a fragmented M4A whose fragments give no timing (AAC narration is 64-192 kb/s)."""
ASSUMED_FLAC_RATIO = 0.6
"""FLAC's typical size against PCM, to estimate a FLAC whose header leaves out the sample count."""


class AudioUnreadable(ValueError):
    """The headers could not give a length: the file is corrupt, truncated or not what it claims."""


@dataclass(frozen=True)
class AudioLength:
    """Seconds of audio as the headers tell it: exact, or an estimate with the reason (`estimate`)."""

    seconds: float
    estimate: str | None = None

    @property
    def exact(self) -> bool:
        return self.estimate is None

    def surely_longer_than(self, limit_s: float) -> bool:
        """Whether the headers prove the audio longer than `limit_s`: the one test a refusal may rest on."""
        return self.exact and self.seconds > limit_s + HEADER_SLACK_S


def audio_length(fileobj: IO[bytes], fmt: MediaFormat) -> AudioLength:
    """The length of the audio in `fileobj` (seekable; readers seek to the end for formats that need it)."""
    try:
        size = fileobj.seek(0, io.SEEK_END)
        length = _read(fileobj, fmt, size)
    except (WavUnreadable, FragmentsUnreadable) as exc:
        raise AudioUnreadable(f"cannot read the {fmt.name} headers: {exc}") from None
    except _ERRORS as exc:
        raise AudioUnreadable(f"cannot read the {fmt.name} headers: {exc or type(exc).__name__}") from None
    if not length.seconds > 0:
        raise AudioUnreadable(f"the {fmt.name} headers give no duration (empty or corrupt audio)")
    if length.exact and size * 8 / length.seconds < MIN_PLAUSIBLE_BPS:
        return AudioLength(
            length.seconds, f"the headers claim {length.seconds:.1f} s, implausible for {size} bytes of audio"
        )
    return length


def _read(fileobj: IO[bytes], fmt: MediaFormat, size: int) -> AudioLength:
    if fmt is WAV:
        return _wav(fileobj, size)
    if fmt is M4A and (fragmented := _fragmented_m4a(fileobj, size)) is not None:
        return fragmented
    reader = _READERS.get(fmt)
    if reader is None:
        raise AudioUnreadable(f"{fmt.name} is not an audio format")
    fileobj.seek(0)
    info = reader(fileobj).info
    seconds = float(getattr(info, "length", 0.0) or 0.0)
    if fmt is MP3 and not _has_vbr_header(fileobj, info):
        return AudioLength(seconds, "an MP3 without a Xing or VBRI header: estimated from its first frames' bitrate")
    if fmt is AAC:
        return AudioLength(seconds, "ADTS AAC has no length in its headers: estimated from its first frames' bitrate")
    if fmt is FLAC and info.total_samples == 0:
        pcm_bytes_per_s = info.sample_rate * info.channels * info.bits_per_sample / 8
        return AudioLength(
            size / (pcm_bytes_per_s * ASSUMED_FLAC_RATIO),
            "the FLAC header leaves out the number of samples (written to a stream): estimated from the file size",
        )
    return AudioLength(seconds)


def _wav(fileobj: IO[bytes], size: int) -> AudioLength:
    length = wav_length(fileobj, size)
    if length.placeholder_sizes:
        return AudioLength(
            length.seconds, "the WAV's size fields are placeholders (written to a stream): taken from the file size"
        )
    if not length.exact:
        return AudioLength(length.seconds, "compressed WAV: estimated from the header's average byte rate")
    return AudioLength(length.seconds)


def _fragmented_m4a(fileobj: IO[bytes], size: int) -> AudioLength | None:
    """A fragmented M4A's length from its fragments, or None for an ordinary M4A (mutagen reads those)."""
    length = fragmented_length(fileobj, size)
    if length is None:
        return None
    if length.seconds <= 0:
        return AudioLength(
            size * 8 / (ASSUMED_M4A_KBPS * 1000),
            f"a fragmented MP4 whose fragments give no timing: estimated from the file size at {ASSUMED_M4A_KBPS} kb/s",
        )
    if not length.exact:
        return AudioLength(length.seconds, "a fragmented MP4 with many fragments: extrapolated from the first ones")
    return AudioLength(length.seconds)


def _has_vbr_header(fileobj: IO[bytes], info: Any) -> bool:
    """Whether the first MP3 frame carries a Xing, Info or VBRI header (where mutagen found the frame count).

    The tag sits 13 to 36 bytes into the frame, after the side information; audio data cannot start there.
    """
    fileobj.seek(int(getattr(info, "frame_offset", 0)))
    window = fileobj.read(44)
    return any(tag in window[4:] for tag in (b"Xing", b"Info", b"VBRI"))
