"""The transport stream writer's packets, read back field by field (the integration tests have ffprobe read them)."""

from __future__ import annotations

import pytest

from cloudburst.renderer.media import mpegts
from cloudburst.renderer.media.mpegts import PACKET_BYTES, PAT_PID, PMT_PID, VIDEO_PID, TransportStreamWriter


def test_the_section_crc_is_mpeg2s() -> None:
    assert mpegts.crc32_mpeg2(b"123456789") == 0x0376E6E7  # the catalogued check value of CRC-32/MPEG-2
    pat = mpegts._pat()
    assert mpegts.crc32_mpeg2(pat) == 0  # a section followed by its own CRC sums to zero


def _packets(stream: bytes) -> list[bytes]:
    assert len(stream) % PACKET_BYTES == 0
    return [stream[offset : offset + PACKET_BYTES] for offset in range(0, len(stream), PACKET_BYTES)]


def _pid(packet: bytes) -> int:
    return ((packet[1] & 0x1F) << 8) | packet[2]


def _payload(packet: bytes) -> bytes:
    control = (packet[3] >> 4) & 0x3
    if control == 0x1:
        return packet[4:]
    assert control == 0x3
    return packet[5 + packet[4] :]


def _pcr(packet: bytes) -> int | None:
    if (packet[3] >> 4) & 0x2 and packet[4] >= 7 and packet[5] & 0x10:
        return int.from_bytes(packet[6:12], "big") >> 15
    return None


def _timestamp(field: bytes) -> int:
    return ((field[0] >> 1) & 0x7) << 30 | field[1] << 22 | (field[2] >> 1) << 15 | field[3] << 7 | field[4] >> 1


def _written(frames: list[tuple[bytes, int, int, bool]], fps: int = 30) -> bytes:
    chunks: list[bytes] = []
    writer = TransportStreamWriter(chunks.append, fps)
    for data, pts, dts, keyframe in frames:
        writer.write_frame(data, pts=pts, dts=dts, keyframe=keyframe)
    return b"".join(chunks)


# Sizes around the packet boundaries: the first packet holds 176 bytes of PES after its PCR, the others 184;
# the PES header is 19 bytes.
@pytest.mark.parametrize("size", [1, 157, 158, 159, 341, 342, 343, 5000])
def test_each_frame_is_one_pes_cut_into_whole_packets(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    packets = _packets(_written([(data, 2, 0, True)]))
    assert all(packet[0] == 0x47 for packet in packets)
    assert [_pid(packet) for packet in packets[:2]] == [PAT_PID, PMT_PID]
    video = packets[2:]
    assert all(_pid(packet) == VIDEO_PID for packet in video)
    assert [bool(packet[1] & 0x40) for packet in video] == [True] + [False] * (len(video) - 1)
    pes = b"".join(_payload(packet) for packet in video)
    assert pes[:4] == b"\x00\x00\x01\xe0"
    assert pes[9 + 10 :] == data  # header, then the frame, then nothing (stuffing sits in adaptation fields)
    assert (pes[9] >> 4, pes[14] >> 4) == (0x3, 0x1)  # PTS then DTS
    assert _timestamp(pes[9:14]) == mpegts.START_TICKS + 2 * 3000
    assert _timestamp(pes[14:19]) == mpegts.START_TICKS
    assert _pcr(video[0]) == mpegts.START_TICKS
    assert video[0][5] & 0x40  # random access indicator on a keyframe


def test_tables_precede_every_keyframe_and_counters_run_per_stream() -> None:
    order = [0, 3, 1, 2, 4, 7, 5, 6]  # decoding order, as x264 gives it with B-frames (dts two frames early)
    frames = [(b"\x01" * 700, pts, index - 2, pts % 4 == 0) for index, pts in enumerate(order)]
    packets = _packets(_written(frames))
    starts = [index for index, packet in enumerate(packets) if _pid(packet) == VIDEO_PID and packet[1] & 0x40]
    keyframe_starts = [start for start, frame in zip(starts, frames, strict=True) if frame[3]]
    for start in keyframe_starts:
        assert [_pid(packets[start - 2]), _pid(packets[start - 1])] == [PAT_PID, PMT_PID]
    assert sum(_pid(packet) == PAT_PID for packet in packets) == len(keyframe_starts)
    for pid in (PAT_PID, PMT_PID, VIDEO_PID):
        counters = [packet[3] & 0xF for packet in packets if _pid(packet) == pid]
        assert counters == [index % 16 for index in range(len(counters))]


def test_times_are_exact_at_rates_that_divide_90khz_and_within_half_a_tick_otherwise() -> None:
    for fps in (24, 25, 30, 60, 7, 29):
        packets = _packets(_written([(b"\x00" * 10, frame, frame, frame == 0) for frame in range(40)], fps))
        firsts = [packet for packet in packets if _pid(packet) == VIDEO_PID and packet[1] & 0x40]
        for frame, packet in enumerate(firsts):
            ticks = _timestamp(_payload(packet)[9:14]) - mpegts.START_TICKS
            assert abs(ticks - frame * 90_000 / fps) <= 0.5


def test_a_frame_decoded_after_it_is_shown_is_refused() -> None:
    with pytest.raises(ValueError, match="decoded at 3 after it is shown at 2"):
        _written([(b"\x00", 2, 3, True)])
