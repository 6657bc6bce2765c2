"""The length of a WAV file from its chunks, including the kinds mutagen refuses.

Tools that write WAV to a pipe cannot go back to fill in the sizes, so they leave placeholders: ffmpeg writes
0xFFFFFFFF, many streaming text-to-speech services write 0. ffmpeg then plays the data chunk to the end of the
file, and so do we: its length is what the file holds after the data chunk's header. RF64 (and ffmpeg's
`-rf64`) keeps the real 64-bit sizes in a `ds64` chunk and 0xFFFFFFFF in the 32-bit fields. A data size larger
than the file (a truncated file) is cut to what the file holds, which is what a decoder will find.

For PCM (integer, float, A-law or mu-law, also in WAVE_FORMAT_EXTENSIBLE) the length is exact: bytes / block
size / rate. For compressed WAV (ADPCM, GSM, MP3 in WAV...) it is the `fact` chunk's sample count when there
is one (exact), else bytes / the header's average byte rate, else bytes at `ASSUMED_COMPRESSED_KBPS`
(estimates).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

PLACEHOLDER_SIZES = (0, 0xFFFFFFFF)
ASSUMED_COMPRESSED_KBPS = 128
MAX_CHUNKS = 64
"""Chunks looked at before the data chunk (fmt, LIST, bext, fact, JUNK...): more is not a WAV file."""
_PCM_TAGS = {0x0001, 0x0003, 0x0006, 0x0007}  # integer PCM, IEEE float, A-law, mu-law: fixed-size samples
_EXTENSIBLE = 0xFFFE


class WavUnreadable(ValueError):
    """The chunks do not describe playable audio."""


@dataclass(frozen=True)
class WavLength:
    seconds: float
    exact: bool  # False: compressed audio, timed by the header's average byte rate
    placeholder_sizes: bool  # the data size came from the file's size, not from the header


@dataclass(frozen=True)
class _Format:
    tag: int
    channels: int
    rate: int
    byte_rate: int
    block_align: int


def wav_length(fileobj: IO[bytes], file_size: int) -> WavLength:
    """Seconds of audio in the RIFF or RF64 WAV file `fileobj` (seekable) of `file_size` bytes."""
    fileobj.seek(0)
    header = fileobj.read(12)
    if len(header) < 12 or header[:4] not in (b"RIFF", b"RF64") or header[8:12] != b"WAVE":
        raise WavUnreadable("not a RIFF/RF64 WAVE file")
    rf64 = header[:4] == b"RF64"
    ds64_data_size: int | None = None
    fmt: _Format | None = None
    fact_samples: int | None = None
    position = 12
    for _ in range(MAX_CHUNKS):
        fileobj.seek(position)
        chunk = fileobj.read(8)
        if len(chunk) < 8:
            break
        kind, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
        body_at = position + 8
        if kind == b"ds64":
            ds64_data_size = _ds64_data_size(fileobj.read(min(size, 28)))
        elif kind == b"fmt ":
            fmt = _format(fileobj.read(min(size, 40)))
        elif kind == b"fact" and size >= 4:
            fact_samples = struct.unpack("<I", fileobj.read(4))[0]
        elif kind == b"data":
            if fmt is None:
                raise WavUnreadable("the data chunk comes before the fmt chunk")
            available = max(0, file_size - body_at)
            declared = ds64_data_size if rf64 and size == 0xFFFFFFFF else size
            if rf64 and declared is None:
                raise WavUnreadable("an RF64 file without a ds64 chunk")
            placeholder = declared is None or declared in PLACEHOLDER_SIZES
            data_bytes = available if placeholder else min(declared or 0, available)
            return _length(fmt, data_bytes, placeholder, None if placeholder else fact_samples)
        if size == 0xFFFFFFFF:
            break  # a chunk of unknown size before the data: nothing after it can be found
        position = body_at + size + (size & 1)  # chunks are padded to an even size
    raise WavUnreadable("no data chunk")


def _ds64_data_size(body: bytes) -> int:
    if len(body) < 16:
        raise WavUnreadable("the ds64 chunk is too short")
    _riff_size, data_size = struct.unpack("<QQ", body[:16])
    return int(data_size)


def _format(body: bytes) -> _Format:
    if len(body) < 16:
        raise WavUnreadable("the fmt chunk is too short")
    tag, channels, rate, byte_rate, block_align = struct.unpack("<HHIIH", body[:14])
    if tag == _EXTENSIBLE and len(body) >= 26:
        tag = struct.unpack("<H", body[24:26])[0]  # the first two bytes of the sub-format GUID
    if channels == 0 or rate == 0 or block_align == 0:
        raise WavUnreadable(f"the fmt chunk gives {channels} channels at {rate} Hz, blocks of {block_align} bytes")
    return _Format(tag, channels, rate, byte_rate, block_align)


def _length(fmt: _Format, data_bytes: int, placeholder: bool, fact_samples: int | None) -> WavLength:
    if fmt.tag in _PCM_TAGS:
        frames = data_bytes // fmt.block_align
        return WavLength(frames / fmt.rate, exact=True, placeholder_sizes=placeholder)
    if fact_samples not in (None, 0, 0xFFFFFFFF):
        return WavLength(fact_samples / fmt.rate, exact=True, placeholder_sizes=placeholder)
    byte_rate = fmt.byte_rate or ASSUMED_COMPRESSED_KBPS * 1000 // 8
    return WavLength(data_bytes / byte_rate, exact=False, placeholder_sizes=placeholder)
