"""The zero-copy frame writer: planes (strided or not) reach the pipe in order, whole, with or without vmsplice."""

from __future__ import annotations

import mmap
import os
import threading

import numpy as np
import pytest

from cloudburst.renderer.media import pipeio
from cloudburst.renderer.media.colour import Nv12
from cloudburst.renderer.media.pipeio import FrameWriter, frames_in_flight


def _read_all(fd: int, into: bytearray) -> None:
    while chunk := os.read(fd, 1 << 16):
        into += chunk


@pytest.mark.parametrize("zero_copy", [True, False])
@pytest.mark.parametrize("strided", [True, False])
def test_planes_arrive_in_order_and_whole(zero_copy: bool, strided: bool) -> None:
    rng = np.random.default_rng(0)
    big_y = rng.integers(0, 255, (40, 70), dtype=np.uint8)
    big_uv = rng.integers(0, 255, (22, 40, 2), dtype=np.uint8)
    if strided:
        frames = [Nv12(big_y[i : i + 32, i + 1 : i + 65], big_uv[i : i + 16, 3:35]) for i in range(5)]
    else:  # as `frames.WireLayout` makes them: each plane one run of memory
        frames = [Nv12(big_y[i : i + 32], big_uv[i : i + 16]) for i in range(5)]
    read_end, write_end = os.pipe()
    received = bytearray()
    reader = threading.Thread(target=_read_all, args=(read_end, received))
    reader.start()
    writer = FrameWriter(write_end, zero_copy=zero_copy)
    for frame in frames:
        writer.write(frame)
    os.close(write_end)
    reader.join()
    os.close(read_end)
    expected = b"".join(frame.y.tobytes() + frame.uv.tobytes() for frame in frames)
    assert bytes(received) == expected
    assert writer.zero_copy == (zero_copy and pipeio._VMSPLICE is not None)


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
