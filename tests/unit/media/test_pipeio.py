"""The zero-copy frame writer: planes reach the pipe in order and whole, with or without vmsplice."""

from __future__ import annotations

import ctypes
import errno
import mmap
import os
import threading
from collections.abc import Callable

import numpy as np
import pytest

from cloudburst.renderer.media import pipeio
from cloudburst.renderer.media.colour import Nv12
from cloudburst.renderer.media.pipeio import FrameWriter, frames_in_flight


def _read_all(fd: int, into: bytearray) -> None:
    while chunk := os.read(fd, 1 << 16):
        into += chunk


def _send(frames: list[Nv12], writer_for: Callable[[int], FrameWriter]) -> tuple[bytes, FrameWriter]:
    read_end, write_end = os.pipe()
    received = bytearray()
    reader = threading.Thread(target=_read_all, args=(read_end, received))
    reader.start()
    writer = writer_for(write_end)
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        os.close(write_end)
        reader.join()
        os.close(read_end)
    return bytes(received), writer


def _frames() -> list[Nv12]:
    """Planes that are each one run of memory, as `frames.WireLayout` makes them, larger than a default pipe
    (64 KiB), so the kernel takes them in parts."""
    rng = np.random.default_rng(0)
    y = pipeio.page_buffer(200 * 1000)
    y[:] = rng.integers(0, 255, y.size, dtype=np.uint8)
    uv = pipeio.page_buffer(100 * 1000)
    uv[:] = rng.integers(0, 255, uv.size, dtype=np.uint8)
    return [
        Nv12(y[i * 1000 : (i + 150) * 1000].reshape(150, 1000), uv[i * 1000 : (i + 75) * 1000].reshape(75, 500, 2))
        for i in range(5)
    ]


@pytest.mark.parametrize("zero_copy", [True, False])
def test_planes_arrive_in_order_and_whole(zero_copy: bool) -> None:
    frames = _frames()
    received, writer = _send(frames, lambda fd: FrameWriter(fd, zero_copy=zero_copy))
    assert received == b"".join(frame.y.tobytes() + frame.uv.tobytes() for frame in frames)
    assert writer.zero_copy == (zero_copy and pipeio._VMSPLICE is not None)


def test_where_vmsplice_is_refused_frames_are_written_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(_fd: int, _vectors: int, _count: int, _flags: int) -> int:
        ctypes.set_errno(errno.EPERM)  # what a seccomp profile that forbids the call answers
        return -1

    monkeypatch.setattr(pipeio, "_VMSPLICE", refused)
    frames = _frames()
    received, writer = _send(frames, FrameWriter)
    assert received == b"".join(frame.y.tobytes() + frame.uv.tobytes() for frame in frames)
    assert not writer.zero_copy


def test_a_strided_plane_is_refused_before_anything_is_sent() -> None:
    strided = np.zeros((4, 10), dtype=np.uint8)[:, :8]
    frame = Nv12(strided, np.zeros((2, 4, 2), dtype=np.uint8))
    with pytest.raises(ValueError, match="the y plane must be one run of memory"):
        _send([frame], FrameWriter)


def test_a_closed_reader_is_a_broken_pipe() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    frame = Nv12(np.zeros((4, 8), dtype=np.uint8), np.zeros((2, 4, 2), dtype=np.uint8))
    with pytest.raises(BrokenPipeError):
        FrameWriter(write_end).write(frame)
    os.close(write_end)


def test_frames_in_flight_covers_what_the_pipe_can_hold() -> None:
    assert frames_in_flight(1 << 20, 3_110_400) == 2  # 1080p: the previous frame may still be read
    assert frames_in_flight(1 << 20, 86_400) == 14  # 320x180: a dozen fit in the pipe


def test_page_buffers_start_on_a_page_and_share_none() -> None:
    first, second = pipeio.page_buffer(86_400), pipeio.page_buffer(100)
    page = mmap.PAGESIZE
    for buffer in (first, second):
        assert buffer.ctypes.data % page == 0
        assert buffer.flags.writeable
    assert first.size == 86_400
    first_pages = range(first.ctypes.data // page, (first.ctypes.data + first.size - 1) // page + 1)
    assert second.ctypes.data // page not in first_pages
