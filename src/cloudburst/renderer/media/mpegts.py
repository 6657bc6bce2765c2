"""A minimal MPEG transport stream writer for one H.264 stream: how the in-process encoder hands its frames to
the ffmpeg that writes the MP4.

Why a container at all: with B-frames a frame's presentation time (pts) differs from its decoding time (dts),
and raw H.264 carries neither; ffmpeg's raw H.264 demuxer then assumes pts = dts, which puts the frames of the
MP4 in decoding order. MPEG-TS carries both for every frame, exactly (90 kHz, and a frame at any whole rate
up to 60 fps lands within 1/180,000 s of its true time, which the MP4's timescale of `fps` rounds back to the
exact frame), it is read from a pipe as it arrives, and the part of it we need fits on a page: a program
table (PAT), a map of the one stream (PMT), and each frame as one PES packet cut into 188-byte packets.
(ISO/IEC 13818-1; the tests read what this writes with ffprobe and compare every timestamp.)
"""

from __future__ import annotations

from collections.abc import Callable

PACKET_BYTES = 188
PAYLOAD_BYTES = PACKET_BYTES - 4
SYNC_BYTE = 0x47
PAT_PID = 0x0000
PMT_PID = 0x1000
VIDEO_PID = 0x0100
PROGRAM_NUMBER = 1
STREAM_TYPE_H264 = 0x1B
VIDEO_STREAM_ID = 0xE0
CLOCK_HZ = 90_000
START_TICKS = CLOCK_HZ
"""Every timestamp is offset by one second, so the first frames' negative dts (x264 decodes B-frames' references
ahead of time) stay positive; ffmpeg starts the output at the first pts either way."""
TIMESTAMP_MASK = (1 << 33) - 1

_CRC_TABLE = []
for _byte in range(256):
    _crc = _byte << 24
    for _ in range(8):
        _crc = ((_crc << 1) ^ 0x04C11DB7) if _crc & 0x80000000 else (_crc << 1)
    _CRC_TABLE.append(_crc & 0xFFFFFFFF)


def crc32_mpeg2(data: bytes) -> int:
    """The CRC of PSI sections (MPEG-2's CRC-32: polynomial 0x04C11DB7, not reflected, no final xor)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC_TABLE[((crc >> 24) ^ byte) & 0xFF]
    return crc


class TransportStreamWriter:
    """Writes a transport stream of one H.264 stream at `fps` frames per second through `write`.

    `write_frame` takes one encoded frame (an Annex B access unit) with its pts and dts counted in frames.
    The tables are repeated before every keyframe, so the stream can be joined at any of them.
    """

    def __init__(self, write: Callable[[bytes], object], fps: int) -> None:
        if fps < 1:
            raise ValueError(f"a frame rate of {fps} fps")
        self._write = write
        self._fps = fps
        self._continuity = {PAT_PID: 0, PMT_PID: 0, VIDEO_PID: 0}
        self._tables_sent = False

    def write_frame(self, data: bytes, *, pts: int, dts: int, keyframe: bool) -> None:
        if dts > pts:
            raise ValueError(f"a frame decoded at {dts} after it is shown at {pts}")
        packets = []
        if keyframe or not self._tables_sent:
            packets += [self._section_packet(PAT_PID, _pat()), self._section_packet(PMT_PID, _pmt())]
            self._tables_sent = True
        dts_ticks = self._ticks(dts)
        pes = _pes_header(self._ticks(pts), dts_ticks) + data
        first = True
        offset = 0
        while offset < len(pes):
            header_room = PAYLOAD_BYTES - (_adaptation_length(pcr=first) if first else 0)
            chunk = pes[offset : offset + header_room]
            offset += len(chunk)
            pcr = dts_ticks if first else None  # the clock, on the first packet of each frame
            packets.append(self._packet(VIDEO_PID, chunk, start=first, pcr=pcr, random_access=first and keyframe))
            first = False
        self._write(b"".join(packets))

    def _ticks(self, frames: int) -> int:
        # Exact for every rate that divides 90 kHz; within half a tick otherwise (rounded back by the MP4).
        return (START_TICKS + (frames * CLOCK_HZ * 2 + self._fps) // (2 * self._fps)) & TIMESTAMP_MASK

    def _section_packet(self, pid: int, section: bytes) -> bytes:
        payload = b"\x00" + section  # pointer_field: the section starts right away
        return self._packet(pid, payload + b"\xff" * (PAYLOAD_BYTES - len(payload)), start=True)

    def _packet(
        self, pid: int, payload: bytes, *, start: bool, pcr: int | None = None, random_access: bool = False
    ) -> bytes:
        """One 188-byte packet; an adaptation field carries the PCR and flags, and pads a short payload."""
        counter = self._continuity[pid]
        self._continuity[pid] = (counter + 1) % 16
        needs_field = pcr is not None or random_access or len(payload) < PAYLOAD_BYTES
        header = bytes(
            [
                SYNC_BYTE,
                (0x40 if start else 0) | (pid >> 8),
                pid & 0xFF,
                (0x30 if needs_field else 0x10) | counter,
            ]
        )
        if not needs_field:
            return header + payload
        field = _adaptation_field(PAYLOAD_BYTES - len(payload), pcr=pcr, random_access=random_access)
        return header + field + payload


def _adaptation_length(*, pcr: bool) -> int:
    """Bytes of the smallest adaptation field with flags (and a PCR): length, flags, PCR."""
    return 2 + (6 if pcr else 0)


def _adaptation_field(size: int, *, pcr: int | None, random_access: bool) -> bytes:
    """An adaptation field of exactly `size` bytes (length byte included), stuffed with 0xFF."""
    if size == 1:
        return b"\x00"  # the one-byte form: length 0, no flags
    flags = (0x40 if random_access else 0) | (0x10 if pcr is not None else 0)
    body = bytes([flags])
    if pcr is not None:
        # 33-bit base in 90 kHz, 6 reserved bits set, 9-bit extension 0.
        body += ((pcr << 15) | (0x3F << 9)).to_bytes(6, "big")
    if len(body) + 1 > size:
        raise ValueError(f"an adaptation field of {len(body) + 1} bytes does not fit in {size}")
    return bytes([size - 1]) + body + b"\xff" * (size - 1 - len(body))


def _pes_header(pts: int, dts: int) -> bytes:
    """A video PES header with both timestamps and no length (allowed for video: the packet runs to the next)."""
    return (
        b"\x00\x00\x01"
        + bytes([VIDEO_STREAM_ID, 0, 0, 0x84, 0xC0, 10])  # length 0; data aligned; PTS and DTS; 10 bytes follow
        + _timestamp(0x3, pts)
        + _timestamp(0x1, dts)
    )


def _timestamp(prefix: int, ticks: int) -> bytes:
    """33 bits in five bytes, with the marker bits the format puts between its three parts."""
    return bytes(
        [
            (prefix << 4) | (((ticks >> 30) & 0x7) << 1) | 1,
            (ticks >> 22) & 0xFF,
            (((ticks >> 15) & 0x7F) << 1) | 1,
            (ticks >> 7) & 0xFF,
            ((ticks & 0x7F) << 1) | 1,
        ]
    )


def _section(table_id: int, table_id_extension: int, body: bytes) -> bytes:
    """A long-form PSI section (version 0, current, one section) with its CRC."""
    length = 5 + len(body) + 4  # the fields after section_length, the body, the CRC
    head = bytes([table_id, 0xB0 | (length >> 8), length & 0xFF]) + table_id_extension.to_bytes(2, "big")
    section = head + bytes([0xC1, 0x00, 0x00]) + body
    return section + crc32_mpeg2(section).to_bytes(4, "big")


def _pat() -> bytes:
    return _section(0x00, 1, PROGRAM_NUMBER.to_bytes(2, "big") + (0xE000 | PMT_PID).to_bytes(2, "big"))


def _pmt() -> bytes:
    body = (
        (0xE000 | VIDEO_PID).to_bytes(2, "big")  # PCR PID: the video carries the clock
        + (0xF000).to_bytes(2, "big")  # no program descriptors
        + bytes([STREAM_TYPE_H264])
        + (0xE000 | VIDEO_PID).to_bytes(2, "big")
        + (0xF000).to_bytes(2, "big")  # no stream descriptors
    )
    return _section(0x02, PROGRAM_NUMBER, body)
