"""Facts about an MP4 we wrote, read from its boxes: track durations (edit lists applied), frame size, rate.

The audio pre-pass needs the exact presentation duration of the AAC it produced (the encoder's priming
samples are hidden by an edit list, which header-only readers such as mutagen ignore), and the render result
reports the output's duration and size. Reading the boxes ourselves avoids depending on ffprobe, which some
ffmpeg builds do not ship. Only files this pipeline produced are parsed here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}


@dataclass(frozen=True)
class TrackInfo:
    handler: str  # 'vide' or 'soun'
    duration_s: float  # presentation duration: the edit list's span when there is one
    timescale: int
    samples: int
    width: int = 0
    height: int = 0

    @property
    def rate(self) -> float:
        """Samples per second over the track (frames per second for video)."""
        return self.samples / self.duration_s if self.duration_s > 0 else 0.0


class Mp4Unreadable(ValueError):
    pass


@dataclass(frozen=True)
class _Box:
    kind: bytes
    start: int  # offset of the payload
    end: int


def read_tracks(path: Path) -> list[TrackInfo]:
    data = path.read_bytes() if path.stat().st_size < 64 * 1024 * 1024 else _read_moov_only(path)
    moov = next((box for box in _boxes(data, 0, len(data)) if box.kind == b"moov"), None)
    if moov is None:
        raise Mp4Unreadable(f"{path.name}: no moov box")
    movie_timescale = 0
    tracks = []
    for box in _boxes(data, moov.start, moov.end):
        if box.kind == b"mvhd":
            movie_timescale = _mvhd_timescale(data, box)
        elif box.kind == b"trak":
            tracks.append(_track(data, box, movie_timescale))
    return tracks


def track(path: Path, handler: str) -> TrackInfo:
    for info in read_tracks(path):
        if info.handler == handler:
            return info
    raise Mp4Unreadable(f"{path.name}: no {handler} track")


def _read_moov_only(path: Path) -> bytes:
    """For large files: walk the top-level boxes and return a buffer holding just the moov box."""
    with path.open("rb") as handle:
        offset = 0
        size = path.stat().st_size
        while offset + 8 <= size:
            handle.seek(offset)
            header = handle.read(16)
            box_size, kind = struct.unpack(">I4s", header[:8])
            header_len = 8
            if box_size == 1:
                box_size = struct.unpack(">Q", header[8:16])[0]
                header_len = 16
            elif box_size == 0:
                box_size = size - offset
            if kind == b"moov":
                handle.seek(offset)
                return handle.read(box_size)
            if box_size < header_len:
                break
            offset += box_size
    raise Mp4Unreadable(f"{path.name}: no moov box")


def _boxes(data: bytes, start: int, end: int) -> Iterator[_Box]:
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, offset)
        header = 8
        if size == 1:
            size = struct.unpack_from(">Q", data, offset + 8)[0]
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            raise Mp4Unreadable(f"box {kind!r} at {offset} has a bad size {size}")
        yield _Box(kind, offset + header, offset + size)
        offset += size


def _find(data: bytes, parent: _Box, *path: bytes) -> _Box | None:
    box: _Box | None = parent
    for kind in path:
        assert box is not None
        box = next((child for child in _boxes(data, box.start, box.end) if child.kind == kind), None)
        if box is None:
            return None
    return box


def _mvhd_timescale(data: bytes, box: _Box) -> int:
    version = data[box.start]
    return int(struct.unpack_from(">I", data, box.start + (20 if version == 1 else 12))[0])


def _track(data: bytes, trak: _Box, movie_timescale: int) -> TrackInfo:
    hdlr = _find(data, trak, b"mdia", b"hdlr")
    mdhd = _find(data, trak, b"mdia", b"mdhd")
    if hdlr is None or mdhd is None:
        raise Mp4Unreadable("a track without hdlr or mdhd")
    handler = data[hdlr.start + 8 : hdlr.start + 12].decode("ascii", "replace")
    version = data[mdhd.start]
    if version == 1:
        timescale, media_duration = struct.unpack_from(">IQ", data, mdhd.start + 20)
    else:
        timescale, media_duration = struct.unpack_from(">II", data, mdhd.start + 12)
    duration_s = media_duration / timescale if timescale else 0.0
    elst = _find(data, trak, b"edts", b"elst")
    if elst is not None and movie_timescale:
        edited = _edit_list_span(data, elst)
        if edited is not None:
            duration_s = edited / movie_timescale
    samples = 0
    stsz = _find(data, trak, b"mdia", b"minf", b"stbl", b"stsz")
    if stsz is not None:
        samples = int(struct.unpack_from(">I", data, stsz.start + 8)[0])
    width = height = 0
    tkhd = _find(data, trak, b"tkhd")
    if tkhd is not None and handler == "vide":
        width_fixed, height_fixed = struct.unpack_from(">II", data, tkhd.end - 8)
        width, height = width_fixed >> 16, height_fixed >> 16
    return TrackInfo(handler, duration_s, int(timescale), samples, width, height)


def _edit_list_span(data: bytes, elst: _Box) -> int | None:
    """Sum of the durations of the non-empty edits (movie timescale); None if the list has no entries."""
    version = data[elst.start]
    count = struct.unpack_from(">I", data, elst.start + 4)[0]
    offset = elst.start + 8
    total = 0
    for _ in range(count):
        if version == 1:
            duration, media_time = struct.unpack_from(">Qq", data, offset)
            offset += 20
        else:
            duration, media_time = struct.unpack_from(">Ii", data, offset)
            offset += 12
        if media_time != -1:
            total += duration
    return total if count else None
