"""The length of a fragmented MP4/M4A from its headers, where mutagen sees none.

Browser recorders, DASH packagers and `ffmpeg -movflags frag_keyframe+empty_moov` write the samples in
fragments (`moof` + `mdat`) after a `moov` that holds few or no samples, so the track's `mdhd` duration is 0
or covers only the first samples. The length is then the `moov` samples (`stts`) plus every fragment's
sample durations (`trun`, or the defaults in `tfhd` and `trex`), or the `mehd` duration when the muxer wrote
one. Visiting every fragment costs a read per fragment (a ranged GET in the Plan Lambda), so at most
`MAX_TOP_LEVEL_BOXES` are visited; past that the length is extrapolated from the bytes visited and is only
an estimate.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

MAX_TOP_LEVEL_BOXES = 4096
MAX_MOOV_BYTES = 16 << 20
MAX_MOOF_BYTES = 4 << 20
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf"}


class FragmentsUnreadable(ValueError):
    """The fragmented file's boxes are inconsistent or lack what timing needs."""


@dataclass(frozen=True)
class FragmentedLength:
    seconds: float
    exact: bool  # False: extrapolated from the fragments visited (see MAX_TOP_LEVEL_BOXES)


@dataclass(frozen=True)
class _Box:
    kind: bytes
    start: int  # of the header
    body: int  # of the payload
    end: int


@dataclass
class _AudioTrack:
    track_id: int = 0
    timescale: int = 0
    moov_ticks: int = 0
    default_duration: int = 0  # from trex


def fragmented_length(fileobj: IO[bytes], file_size: int) -> FragmentedLength | None:
    """The audio length of a fragmented MP4, or None when the file is not fragmented (no `mvex` in `moov`)."""
    boxes = _top_level(fileobj, 0, file_size)
    moov = next((box for box in boxes if box.kind == b"moov"), None)
    if moov is None or not any(box.kind == b"mvex" for box in _top_level(fileobj, moov.body, moov.end)):
        return None  # not fragmented (or no moov: mutagen says what is wrong)
    if moov.end - moov.start > MAX_MOOV_BYTES:
        raise FragmentsUnreadable(f"a moov box of {moov.end - moov.start} bytes")
    fileobj.seek(moov.body)
    moov_bytes = fileobj.read(moov.end - moov.body)
    movie_timescale, fragment_duration, track = _parse_moov(moov_bytes)
    if fragment_duration > 0 and movie_timescale > 0:
        return FragmentedLength(fragment_duration / movie_timescale, exact=True)
    ticks, walked_end = _fragment_ticks(fileobj, boxes, track, start=moov.end)
    moov_s, fragments_s = track.moov_ticks / track.timescale, ticks / track.timescale
    if walked_end >= file_size:
        return FragmentedLength(moov_s + fragments_s, exact=True)
    walked = walked_end - moov.end  # the fragments visited, extrapolated to the rest of the file
    return FragmentedLength(moov_s + (fragments_s * (file_size - moov.end) / walked if walked else 0.0), exact=False)


def _top_level(fileobj: IO[bytes], start: int, end: int) -> Iterator[_Box]:
    """The boxes side by side in `fileobj[start:end]`, read one header at a time (at most MAX_TOP_LEVEL_BOXES)."""
    position = start
    for _ in range(MAX_TOP_LEVEL_BOXES):
        if position + 8 > end:
            return
        fileobj.seek(position)
        box = _header(fileobj.read(16), 0, position, end)
        if box is None:
            return
        yield box
        position = box.end


def _header(data: bytes, offset: int, absolute: int, limit: int) -> _Box | None:
    """The box whose header starts at `data[offset:]` (at `absolute` in the file, inside `limit`)."""
    if len(data) - offset < 8:
        return None
    size, kind = struct.unpack(">I4s", data[offset : offset + 8])
    header = 8
    if size == 1:
        if len(data) - offset < 16:
            return None
        size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        header = 16
    elif size == 0:
        size = limit - absolute
    if size < header or absolute + size > limit:
        return None  # a truncated or corrupt box ends the walk
    return _Box(kind, absolute, absolute + header, absolute + size)


def _children(data: bytes, start: int, end: int) -> Iterator[_Box]:
    position = start
    while (box := _header(data, position, position, end)) is not None:
        yield box
        position = box.end


def _walk(data: bytes, start: int, end: int) -> Iterator[_Box]:
    """Every box inside `data[start:end]`, depth first, descending into the containers timing needs."""
    for box in _children(data, start, end):
        yield box
        if box.kind in _CONTAINERS:
            yield from _walk(data, box.body, box.end)


def _full_box(data: bytes, box: _Box) -> tuple[int, int, int]:
    """(version, flags, offset of the fields after them) of a full box."""
    (version_flags,) = struct.unpack_from(">I", data, box.body)
    return version_flags >> 24, version_flags & 0xFFFFFF, box.body + 4


def _parse_moov(moov: bytes) -> tuple[int, int, _AudioTrack]:
    """(movie timescale, mehd duration or 0, the first audio track)."""
    movie_timescale = fragment_duration = 0
    defaults: dict[int, int] = {}
    tracks: list[tuple[_AudioTrack, bool]] = []  # each track, and whether its handler is 'soun'
    try:
        for box in _walk(moov, 0, len(moov)):
            if box.kind == b"trak":
                tracks.append((_AudioTrack(), False))
            elif box.kind == b"mvhd":
                movie_timescale = _timescale(moov, box)
            elif box.kind == b"mehd":
                version, _flags, at = _full_box(moov, box)
                fragment_duration = struct.unpack_from(">Q" if version == 1 else ">I", moov, at)[0]
            elif box.kind == b"trex":
                _version, _flags, at = _full_box(moov, box)
                track_id, _index, duration = struct.unpack_from(">III", moov, at)
                defaults[track_id] = duration
            elif tracks:
                _track_box(moov, box, tracks)
    except struct.error:
        raise FragmentsUnreadable("a box in the moov is truncated") from None
    audio = next((track for track, is_audio in tracks if is_audio), None)
    if audio is None or audio.timescale == 0:
        raise FragmentsUnreadable("no audio track with a timescale")
    audio.default_duration = defaults.get(audio.track_id, 0)
    return movie_timescale, fragment_duration, audio


def _track_box(moov: bytes, box: _Box, tracks: list[tuple[_AudioTrack, bool]]) -> None:
    """Note what `box`, inside the last track seen, says about its timing."""
    track, is_audio = tracks[-1]
    if box.kind == b"tkhd":
        version, _flags, at = _full_box(moov, box)
        track.track_id = struct.unpack_from(">I", moov, at + (16 if version == 1 else 8))[0]
    elif box.kind == b"mdhd":
        track.timescale = _timescale(moov, box)
    elif box.kind == b"hdlr":  # QuickTime files have a second one, in minf, for the data reference
        _version, _flags, at = _full_box(moov, box)
        tracks[-1] = (track, is_audio or moov[at + 4 : at + 8] == b"soun")
    elif box.kind == b"stts":
        _version, _flags, at = _full_box(moov, box)
        (count,) = struct.unpack_from(">I", moov, at)
        if at + 4 + 8 * count > box.end:
            raise FragmentsUnreadable("an stts box lists more entries than it holds")
        entries = struct.unpack_from(f">{2 * count}I", moov, at + 4)
        track.moov_ticks = sum(n * delta for n, delta in zip(entries[::2], entries[1::2], strict=True))


def _timescale(data: bytes, box: _Box) -> int:
    """The timescale of an mvhd or mdhd box (after the creation and modification times)."""
    version, _flags, at = _full_box(data, box)
    return int(struct.unpack_from(">I", data, at + (16 if version == 1 else 8))[0])


def _fragment_ticks(fileobj: IO[bytes], boxes: Iterator[_Box], track: _AudioTrack, *, start: int) -> tuple[int, int]:
    """(the audio track's ticks in the fragments among `boxes`, where the last box visited ends: `start` if none)."""
    ticks = 0
    end = start
    for box in boxes:
        end = box.end
        if box.kind != b"moof":
            continue
        if box.end - box.start > MAX_MOOF_BYTES:
            raise FragmentsUnreadable(f"a moof box of {box.end - box.start} bytes")
        fileobj.seek(box.start)
        ticks += _moof_ticks(fileobj.read(box.end - box.start), track)
    return ticks, end


def _moof_ticks(moof: bytes, track: _AudioTrack) -> int:
    ticks = 0
    default = track.default_duration
    selected = False
    try:
        for box in _walk(moof, 0, len(moof)):
            if box.kind == b"traf":
                selected, default = False, track.default_duration
            elif box.kind == b"tfhd":
                _version, flags, at = _full_box(moof, box)
                selected = struct.unpack_from(">I", moof, at)[0] == track.track_id
                at += 4 + (8 if flags & 0x1 else 0) + (4 if flags & 0x2 else 0)
                if flags & 0x8:
                    default = struct.unpack_from(">I", moof, at)[0]
            elif box.kind == b"trun" and selected:
                ticks += _trun_ticks(moof, box, default)
    except struct.error:
        raise FragmentsUnreadable("a box in a moof is truncated") from None
    return ticks


def _trun_ticks(moof: bytes, box: _Box, default: int) -> int:
    _version, flags, at = _full_box(moof, box)
    (count,) = struct.unpack_from(">I", moof, at)
    at += 4 + (4 if flags & 0x1 else 0) + (4 if flags & 0x4 else 0)
    if not flags & 0x100:
        return int(count) * default
    fields = bin(flags & 0xF00).count("1")  # duration, size, flags, composition offset: 4 bytes each
    if at + 4 * fields * count > box.end:
        raise FragmentsUnreadable("a trun box lists more samples than it holds")
    return sum(struct.unpack_from(">I", moof, at + 4 * fields * i)[0] for i in range(count))
