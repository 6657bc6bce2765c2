"""Annex B byte streams, emulation prevention, and the bit-level reader and writer of H.264 syntax.

`u(n)`, `ue(v)` and `se(v)` are the spec's descriptors (ITU-T H.264 section 7.2): fixed-width unsigned,
unsigned Exp-Golomb and signed Exp-Golomb.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

_START_CODE = re.compile(b"\x00\x00\x01")


class BitstreamError(ValueError):
    """The bytes are not the H.264 we expect (we only parse x264's output)."""


def split_annexb(stream: bytes) -> list[bytes]:
    """NAL units (header byte first, still escaped) of an Annex B stream, without start codes."""
    return list(iter_annexb([stream]))


def iter_annexb(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """NAL units of an Annex B stream read in chunks, so a long stream is never held in memory at once.

    A NAL unit cannot contain 00 00 01 (emulation prevention), so every start code found is a boundary; a
    unit is complete when the next start code arrives, or at the end of the stream.
    """
    pending = bytearray()  # from the current unit's start code on: one unit at most, plus a chunk
    for chunk in chunks:
        pending += chunk
        starts = [match.end() for match in _START_CODE.finditer(pending)]
        if len(starts) >= 2:
            for start, following in itertools.pairwise(starts):
                unit = bytes(pending[start : following - 3]).rstrip(b"\x00")  # a 4-byte start code's extra zero
                if unit:
                    yield unit
            del pending[: starts[-1] - 3]
    tail = list(_START_CODE.finditer(pending))
    if tail:
        unit = bytes(pending[tail[-1].end() :]).rstrip(b"\x00")
        if unit:
            yield unit


def unescape(payload: bytes) -> bytes:
    """Remove emulation-prevention bytes (00 00 03 → 00 00)."""
    if b"\x00\x00\x03" not in payload:
        return payload
    out = bytearray()
    zeros = 0
    for byte in payload:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def escape(rbsp: bytes) -> bytes:
    """Insert emulation-prevention bytes so no start code appears inside a NAL unit."""
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


class BitReader:
    def __init__(self, data: bytes, position: int = 0) -> None:
        self._data = data
        self.position = position  # in bits

    def u(self, count: int) -> int:
        value = 0
        for _ in range(count):
            value = (value << 1) | self.bit()
        return value

    def bit(self) -> int:
        byte_index = self.position >> 3
        if byte_index >= len(self._data):
            raise BitstreamError("read past the end of a NAL unit")
        value = (self._data[byte_index] >> (7 - (self.position & 7))) & 1
        self.position += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
            if zeros > 31:
                raise BitstreamError("Exp-Golomb code longer than 32 bits")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        code = self.ue()
        return (code + 1) // 2 if code % 2 else -(code // 2)


class BitWriter:
    def __init__(self) -> None:
        self._bits: list[int] = []

    def u(self, count: int, value: int) -> None:
        if value < 0 or (value >= (1 << count) and count > 0):
            raise ValueError(f"{value} does not fit in {count} bits")
        self._bits.extend((value >> shift) & 1 for shift in range(count - 1, -1, -1))

    def ue(self, value: int) -> None:
        code = value + 1
        length = code.bit_length()
        self.u(length - 1, 0)
        self.u(length, code)

    def se(self, value: int) -> None:
        self.ue(2 * value - 1 if value > 0 else -2 * value)

    def trailing_bits(self) -> None:
        """rbsp_trailing_bits: a stop bit, then zeros to the byte boundary."""
        self._bits.append(1)
        while len(self._bits) % 8:
            self._bits.append(0)

    def to_bytes(self) -> bytes:
        if len(self._bits) % 8:
            raise ValueError("not byte aligned")
        out = bytearray()
        for index in range(0, len(self._bits), 8):
            byte = 0
            for bit in self._bits[index : index + 8]:
                byte = (byte << 1) | bit
            out.append(byte)
        return bytes(out)


def replace_bits(data: bytes, position: int, count: int, value: int) -> bytes:
    """`data` with the `count` bits at bit `position` replaced by `value` (same width, nothing moves)."""
    out = bytearray(data)
    for offset in range(count):
        bit = (value >> (count - 1 - offset)) & 1
        index, shift = (position + offset) >> 3, 7 - ((position + offset) & 7)
        out[index] = (out[index] & ~(1 << shift) & 0xFF) | (bit << shift)
    return bytes(out)
