"""Rebuild an x264 stream so each coded picture is shown for a chosen number of frames.

x264 encodes only the distinct pictures of a scene (one per subtitle state, plus periodic IDR refreshes); this
module follows every picture with `frames - 1` all-skip P slices and renumbers `frame_num` throughout, which
yields a constant-frame-rate stream whose frames are exact copies while a picture is held.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from cloudburst.renderer.media.h264.bits import BitstreamError
from cloudburst.renderer.media.h264.params import (
    NAL_IDR,
    NAL_PPS,
    NAL_SLICE,
    NAL_SPS,
    Pps,
    Sps,
    nal_type,
    parse_pps,
    parse_sps,
)
from cloudburst.renderer.media.h264.skip import check_supported, first_mb_in_slice, skip_slice, with_frame_num

START_CODE = b"\x00\x00\x00\x01"


@dataclass
class AccessUnit:
    """The NAL units of one coded picture, parameter sets and SEI included."""

    units: list[bytes] = field(default_factory=list)

    @property
    def is_idr(self) -> bool:
        return any(nal_type(unit) == NAL_IDR for unit in self.units)

    @property
    def has_slice(self) -> bool:
        return any(nal_type(unit) in (NAL_SLICE, NAL_IDR) for unit in self.units)


def access_units(units: Iterable[bytes]) -> Iterator[AccessUnit]:
    """Group NAL units by picture (a slice with first_mb_in_slice = 0, or a non-VCL unit after a slice, starts
    the next one)."""
    current = AccessUnit()
    for unit in units:
        kind = nal_type(unit)
        is_slice = kind in (NAL_SLICE, NAL_IDR)
        starts_picture = (is_slice and first_mb_in_slice(unit) == 0) or (not is_slice and current.has_slice)
        if starts_picture and current.has_slice:
            yield current
            current = AccessUnit()
        current.units.append(unit)
    if current.has_slice:
        yield current


def hold_pictures(units: Iterable[bytes], holds: Sequence[int]) -> Iterator[bytes]:
    """Annex B chunks: picture i of the stream, then `holds[i] - 1` skip frames, for every picture in order."""
    pictures = access_units(units)
    sps: Sps | None = None
    pps: Pps | None = None
    skip_cache: dict[int, bytes] = {}
    frame_num = 0
    for count, (picture, hold) in enumerate(itertools.zip_longest(pictures, holds)):
        if picture is None or hold is None:
            produced = count + sum(1 for _ in pictures) + (picture is not None)
            raise BitstreamError(f"x264 produced {produced} pictures, expected {len(holds)}")
        if hold < 1:
            raise ValueError("every picture is shown for at least one frame")
        chunk = bytearray()
        for unit in picture.units:
            kind = nal_type(unit)
            if kind == NAL_SPS:
                sps = parse_sps(unit)
            elif kind == NAL_PPS:
                pps = parse_pps(unit)
                skip_cache.clear()
        if sps is None or pps is None:
            raise BitstreamError("the stream does not start with SPS and PPS")
        check_supported(sps, pps)
        frame_num = 0 if picture.is_idr else (frame_num + 1) % sps.max_frame_num
        for unit in picture.units:
            coded = with_frame_num(unit, sps, frame_num) if nal_type(unit) == NAL_SLICE else unit
            chunk += START_CODE + coded
        for _ in range(hold - 1):
            frame_num = (frame_num + 1) % sps.max_frame_num
            cached = skip_cache.get(frame_num)
            if cached is None:
                cached = skip_cache[frame_num] = START_CODE + skip_slice(sps, pps, frame_num)
            chunk += cached
        yield bytes(chunk)
