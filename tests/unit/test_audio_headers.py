"""Audio lengths from headers, on small files built byte by byte: streamed and RF64 WAV, fragmented MP4, and
which lengths are exact enough to refuse on."""

from __future__ import annotations

import io
import struct

import pytest

from cloudburst.core import mp4_fragments
from cloudburst.core.audio_info import AudioUnreadable, audio_length
from cloudburst.core.media_types import FLAC, M4A, WAV, MediaFormat

RATE = 8000


def _chunk(kind: bytes, body: bytes, size: int | None = None) -> bytes:
    return kind + struct.pack("<I", len(body) if size is None else size) + body + b"\0" * (len(body) & 1)


def _fmt(tag: int = 1, channels: int = 1, bits: int = 16, byte_rate: int | None = None) -> bytes:
    align = channels * bits // 8 if tag == 1 else 256
    rate_bytes = RATE * align if byte_rate is None else byte_rate
    return _chunk(b"fmt ", struct.pack("<HHIIHH", tag, channels, RATE, rate_bytes, align, bits))


def _wav(seconds: float, *, riff_size: int | None = None, data_size: int | None = None, extra: bytes = b"") -> bytes:
    pcm = b"\0\0" * int(seconds * RATE)
    body = b"WAVE" + _fmt() + extra + _chunk(b"data", pcm, data_size)
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def _length(data: bytes, fmt: MediaFormat = WAV) -> tuple[float, str | None]:
    length = audio_length(io.BytesIO(data), fmt)
    return length.seconds, length.estimate


def _exact(data: bytes, fmt: MediaFormat = WAV) -> float:
    seconds, estimate = _length(data, fmt)
    assert estimate is None
    return seconds


def test_an_ordinary_wav_is_exact() -> None:
    assert _exact(_wav(2.5)) == pytest.approx(2.5)


@pytest.mark.parametrize("placeholder", [0, 0xFFFFFFFF])
def test_a_streamed_wav_is_timed_by_its_file_size(placeholder: int) -> None:
    seconds, estimate = _length(_wav(2.0, riff_size=placeholder, data_size=placeholder))
    assert seconds == pytest.approx(2.0)
    assert "placeholders" in (estimate or "")


def test_a_wav_whose_data_size_passes_the_end_of_the_file_is_cut_to_what_it_holds() -> None:
    assert _length(_wav(1.0, data_size=RATE * 2 * 20))[0] == pytest.approx(1.0)


def test_rf64_takes_its_sizes_from_the_ds64_chunk() -> None:
    pcm = b"\0\0" * (3 * RATE)
    ds64 = _chunk(b"ds64", struct.pack("<QQQI", 0, len(pcm), len(pcm) // 2, 0))
    body = b"WAVE" + ds64 + _fmt() + _chunk(b"data", pcm, 0xFFFFFFFF)
    assert _exact(b"RF64" + struct.pack("<I", 0xFFFFFFFF) + body) == pytest.approx(3.0)


def test_rf64_without_ds64_is_unreadable() -> None:
    body = b"WAVE" + _fmt() + _chunk(b"data", b"\0\0" * 10, 0xFFFFFFFF)
    with pytest.raises(AudioUnreadable, match="ds64"):
        _length(b"RF64" + struct.pack("<I", 0xFFFFFFFF) + body)


def test_compressed_wav_uses_the_fact_chunk_else_the_byte_rate() -> None:
    data = b"\0" * 4000  # "ADPCM" at 1000 bytes/s
    with_fact = b"WAVE" + _fmt(tag=0x11, bits=4, byte_rate=1000) + _chunk(b"fact", struct.pack("<I", 5 * RATE))
    without = b"WAVE" + _fmt(tag=0x11, bits=4, byte_rate=1000)
    exact = with_fact + _chunk(b"data", data)
    estimated = without + _chunk(b"data", data)
    assert _exact(b"RIFF" + struct.pack("<I", len(exact)) + exact) == pytest.approx(5.0)
    seconds, estimate = _length(b"RIFF" + struct.pack("<I", len(estimated)) + estimated)
    assert seconds == pytest.approx(4.0)
    assert "byte rate" in (estimate or "")


def test_a_wav_without_data_is_unreadable() -> None:
    body = b"WAVE" + _fmt()
    with pytest.raises(AudioUnreadable, match="no data chunk"):
        _length(b"RIFF" + struct.pack("<I", len(body)) + body)


def test_a_header_claiming_hours_for_a_few_bytes_is_only_an_estimate() -> None:
    samples = 8000 * 3600 * 10  # ten hours at 8 kHz, in a 42-byte file
    info = struct.pack(">HH", 4096, 4096) + b"\0" * 6  # block sizes, frame sizes unknown
    info += struct.pack(">Q", (8000 << 44) | (0 << 41) | (15 << 36) | samples) + b"\0" * 16  # mono, 16 bit, MD5
    flac = b"fLaC" + bytes([0x80]) + len(info).to_bytes(3, "big") + info
    length = audio_length(io.BytesIO(flac), FLAC)
    assert length.seconds == pytest.approx(36000)
    assert "implausible" in (length.estimate or "")
    assert not length.surely_longer_than(3 * 3600)


def test_only_an_exact_length_proves_audio_too_long() -> None:
    exact = audio_length(io.BytesIO(_wav(2.0)), WAV)
    streamed = audio_length(io.BytesIO(_wav(2.0, riff_size=0, data_size=0)), WAV)
    assert exact.surely_longer_than(1.0)
    assert not exact.surely_longer_than(1.95)  # within the slack left for priming samples
    assert not streamed.surely_longer_than(1.0)


# Fragmented MP4 -------------------------------------------------------------------------------------------------

TIMESCALE = 44100
FRAME = 1024  # AAC samples per frame


def _box(kind: bytes, *children: bytes) -> bytes:
    body = b"".join(children)
    return struct.pack(">I", 8 + len(body)) + kind + body


def _full(kind: bytes, flags: int, fields: bytes) -> bytes:
    return _box(kind, struct.pack(">I", flags) + fields)


def _moov(*, trex_duration: int = FRAME, mehd: int | None = None, moov_frames: int = 0) -> bytes:
    stts = _full(b"stts", 0, struct.pack(">III", 1, moov_frames, FRAME) if moov_frames else struct.pack(">I", 0))
    trak = _box(
        b"trak",
        _full(b"tkhd", 3, struct.pack(">III", 0, 0, 1) + b"\0" * 68),
        _box(
            b"mdia",
            _full(b"mdhd", 0, struct.pack(">IIII", 0, 0, TIMESCALE, 0) + b"\0" * 4),
            _full(b"hdlr", 0, struct.pack(">I", 0) + b"soun" + b"\0" * 13),
            _box(b"minf", _box(b"stbl", stts)),
        ),
    )
    mvex_children = [_full(b"trex", 0, struct.pack(">IIIII", 1, 1, trex_duration, 0, 0))]
    if mehd is not None:
        mvex_children.insert(0, _full(b"mehd", 0, struct.pack(">I", mehd)))
    mvhd = _full(b"mvhd", 0, struct.pack(">IIII", 0, 0, 1000, 0) + b"\0" * 80)
    return _box(b"moov", mvhd, trak, _box(b"mvex", *mvex_children))


def _fragment(frames: int, *, per_sample: bool = True, tfhd_duration: int | None = None) -> bytes:
    tfhd_flags = 0x8 if tfhd_duration is not None else 0
    tfhd = _full(b"tfhd", tfhd_flags, struct.pack(">I", 1) + (struct.pack(">I", tfhd_duration or 0)))
    if per_sample:
        trun = _full(b"trun", 0x300, struct.pack(">I", frames) + struct.pack(">II", FRAME, 10) * frames)
    else:
        trun = _full(b"trun", 0x200, struct.pack(">I", frames) + struct.pack(">I", 10) * frames)
    moof = _box(b"moof", _full(b"mfhd", 0, struct.pack(">I", 1)), _box(b"traf", tfhd, trun))
    return moof + _box(b"mdat", b"\0" * 10 * frames)


FTYP = _box(b"ftyp", b"iso5\0\0\0\0iso5dash")


def test_fragment_durations_are_summed() -> None:
    data = FTYP + _moov() + _fragment(43) + _fragment(43) + _fragment(40)
    assert _exact(data, M4A) == pytest.approx(126 * FRAME / TIMESCALE)


def test_fragment_durations_default_to_tfhd_then_trex_and_add_to_the_moov_samples() -> None:
    data = (
        FTYP
        + _moov(trex_duration=FRAME, moov_frames=10)
        + _fragment(20, per_sample=False, tfhd_duration=2 * FRAME)
        + _fragment(20, per_sample=False)
    )
    assert _length(data, M4A)[0] == pytest.approx((10 + 40 + 20) * FRAME / TIMESCALE)


def test_mehd_gives_the_length_at_once() -> None:
    assert _exact(FTYP + _moov(mehd=7500) + _fragment(3), M4A) == pytest.approx(7.5)


def test_too_many_fragments_are_extrapolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mp4_fragments, "MAX_TOP_LEVEL_BOXES", 12)  # ftyp, moov, then 5 of the 20 fragments
    data = FTYP + _moov() + _fragment(43) * 20
    seconds, estimate = _length(data, M4A)
    assert seconds == pytest.approx(20 * 43 * FRAME / TIMESCALE)
    assert "extrapolated" in (estimate or "")


def test_fragments_without_timing_are_estimated_from_the_size() -> None:
    data = FTYP + _moov(trex_duration=0) + _fragment(43, per_sample=False)
    seconds, estimate = _length(data, M4A)
    assert seconds > 0
    assert "file size" in (estimate or "")


def test_a_truncated_trun_is_unreadable() -> None:
    moof = _box(b"moof", _box(b"traf", _full(b"tfhd", 0, struct.pack(">I", 1)), _full(b"trun", 0x100, b"\0\0\1\0")))
    with pytest.raises(AudioUnreadable, match="trun"):
        _length(FTYP + _moov() + moof, M4A)


def test_an_unfragmented_mp4_is_left_to_mutagen() -> None:
    moov = _box(b"moov", _full(b"mvhd", 0, struct.pack(">IIII", 0, 0, 1000, 0) + b"\0" * 80))
    data = FTYP + moov
    assert mp4_fragments.fragmented_length(io.BytesIO(data), len(data)) is None
