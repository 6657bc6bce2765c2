"""Handing frames to the encoder's pipe without copying them: `vmsplice(2)` where Linux allows it.

A 1080p NV12 frame is 3 MB. Written with `write(2)` it is copied into freshly allocated pipe pages. `vmsplice`
instead hands the kernel references to our own pages, straight from the memory the frame was made in, one
iovec per plane (`frames.WireLayout` makes each plane one run of memory; a strided view would cost a pipe
buffer per row, and as much again for the reader). ffmpeg copies out of the pipe either way.

The price is that a frame's memory must stay untouched until ffmpeg has read it. Since the pipe is FIFO and
holds at most `capacity` bytes, once the k-th frame after it has been spliced completely, a frame has been
read; `frames_in_flight` says how many frames to wait. And a frame must own its pages: small contiguous
frames kept in ordinary heap memory, several to a page, were seen to reach the encoder altered (one render
in two) although none was rewritten before that wait was over; in `page_buffer`s they never were. Where
vmsplice is unavailable (another OS, or a seccomp profile that refuses it), frames are written as usual.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import math
import mmap
import os
import sys
from collections.abc import Callable

import numpy as np

from cloudburst.renderer.media.colour import Nv12

F_GETPIPE_SZ = 1032


Splice = Callable[[int, int, int, int], int]


def _load_vmsplice() -> Splice | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).vmsplice
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint]
    function.restype = ctypes.c_ssize_t
    splice: Splice = function
    return splice


_VMSPLICE = _load_vmsplice()


def page_buffer(size: int) -> np.ndarray:
    """`size` writable bytes in pages of their own (an anonymous mapping): memory a spliced frame may live in."""
    pages = max(1, math.ceil(size / mmap.PAGESIZE))
    return np.frombuffer(mmap.mmap(-1, pages * mmap.PAGESIZE), dtype=np.uint8)[:size]


def pipe_capacity(fd: int) -> int:
    try:
        return int(fcntl.fcntl(fd, F_GETPIPE_SZ))
    except OSError:
        return 1 << 20


def frames_in_flight(capacity: int, frame_bytes: int) -> int:
    """Frames that may still be referenced by the pipe after the latest one was spliced completely."""
    return math.ceil(capacity / frame_bytes) + 1


class FrameWriter:
    """Writes NV12 frames to a pipe, zero-copy when it can be. Each plane must be one run of memory (as
    `frames.WireLayout` makes them): a plane is then one iovec, whole pages in the pipe."""

    def __init__(self, fd: int, *, zero_copy: bool = True) -> None:
        self._fd = fd
        self._splice = _VMSPLICE if zero_copy else None
        self._spliced_before = False

    @property
    def zero_copy(self) -> bool:
        return self._splice is not None

    def write(self, picture: Nv12) -> None:
        planes = [_flat(picture.y, "y"), _flat(picture.uv, "uv")]
        if self._splice is not None:
            try:
                self._splice_all(planes)
                return
            except _Refused:
                self._splice = None  # refused at the very first call: nothing was written, copy from now on
        for plane in planes:
            data, written = plane.data, 0
            while written < len(data):
                written += os.write(self._fd, data[written:])

    def _splice_all(self, planes: list[np.ndarray]) -> None:
        assert self._splice is not None
        pending = [(int(plane.ctypes.data), int(plane.nbytes)) for plane in planes]
        while pending:
            vectors = (_Iovec * len(pending))(*(_Iovec(base, length) for base, length in pending))
            spliced = self._splice(self._fd, ctypes.addressof(vectors), len(pending), 0)
            if spliced < 0:
                code = ctypes.get_errno()
                if code == errno.EINTR:
                    continue
                if code == errno.EPIPE:
                    raise BrokenPipeError(code, os.strerror(code))
                if not self._spliced_before and code in (errno.ENOSYS, errno.EPERM, errno.EINVAL):
                    raise _Refused
                raise OSError(code, os.strerror(code))
            self._spliced_before = True
            while spliced > 0:  # drop what the kernel took (it may take part of a plane)
                base, length = pending[0]
                if spliced >= length:
                    pending.pop(0)
                    spliced -= length
                else:
                    pending[0] = (base + spliced, length - spliced)
                    spliced = 0


class _Refused(Exception):
    """vmsplice is refused here (another kernel, or a seccomp profile): frames are written with write(2) instead."""


class _Iovec(ctypes.Structure):
    _fields_ = (("base", ctypes.c_void_p), ("length", ctypes.c_size_t))


def _flat(plane: np.ndarray, name: str) -> np.ndarray:
    if not plane.flags.c_contiguous:
        raise ValueError(f"the {name} plane must be one run of memory (see frames.WireLayout)")
    return plane.reshape(-1)
