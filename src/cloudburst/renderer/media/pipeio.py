"""Handing frames to the encoder's pipe without copying them: `vmsplice(2)` where Linux allows it.

A 1080p NV12 frame is 3 MB. Written with `write(2)` it is copied into freshly allocated pipe pages. `vmsplice`
instead hands the kernel references to our own pages, straight from the memory the frame was made in (one
iovec per contiguous plane, as `frames.WireLayout` lays frames out, or one per row of a strided plane, which
costs a pipe buffer per row). ffmpeg copies out of the pipe either way.

The price is that a frame's memory must stay untouched until ffmpeg has read it. Since the pipe is FIFO and
holds at most `capacity` bytes, once the k-th frame after it has been spliced completely, a frame has been
read; `frames_in_flight` says how many frames to wait. And a frame must own its pages: small contiguous
frames kept in ordinary heap memory, several to a page, were seen to reach the encoder altered (one render
in two) although none was rewritten before that wait was over; in `page_buffer`s they never were. Where
vmsplice is unavailable (another OS, or a seccomp profile that refuses it), frames are copied and written
as usual.
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
IOV_MAX = 1024
IOVEC = np.dtype([("base", np.uintp), ("length", np.uintp)])


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
    """Writes NV12 frames (planes may be strided views) to a pipe; zero-copy when it can be."""

    def __init__(self, fd: int, *, zero_copy: bool = True) -> None:
        self._fd = fd
        self._splice = _VMSPLICE if zero_copy else None
        self._first = True
        self._staging: np.ndarray | None = None

    @property
    def zero_copy(self) -> bool:
        return self._splice is not None

    def write(self, picture: Nv12) -> None:
        if self._splice is not None:
            first, self._first = self._first, False
            try:
                self._splice_all(_row_vectors(picture.y))
            except OSError as exc:
                if not first or exc.errno not in (errno.ENOSYS, errno.EPERM, errno.EINVAL):
                    raise
                self._splice = None  # refused from the very first call: nothing was written, copy from now on
            else:
                self._splice_all(_row_vectors(picture.uv))
                return
        self._copy_and_write(picture)

    def _splice_all(self, vectors: np.ndarray) -> None:
        assert self._splice is not None
        index = 0
        while index < len(vectors):
            batch = vectors[index : index + IOV_MAX]
            spliced = self._splice(self._fd, batch.ctypes.data, len(batch), 0)
            if spliced < 0:
                code = ctypes.get_errno()
                if code == errno.EINTR:
                    continue
                if code == errno.EPIPE:
                    raise BrokenPipeError(code, os.strerror(code))
                raise OSError(code, os.strerror(code))
            while spliced > 0:  # advance past what the kernel took (it may take part of a row)
                length = int(vectors["length"][index])
                if spliced >= length:
                    spliced -= length
                    index += 1
                else:
                    vectors["base"][index] += spliced
                    vectors["length"][index] -= spliced
                    spliced = 0

    def _copy_and_write(self, picture: Nv12) -> None:
        if picture.y.flags.c_contiguous and picture.uv.flags.c_contiguous:  # already as the pipe wants it
            for plane in (picture.y, picture.uv):
                _write_all(self._fd, plane.reshape(-1).data)
            return
        size = picture.y.nbytes + picture.uv.nbytes
        if self._staging is None or self._staging.size != size:
            self._staging = np.empty(size, dtype=np.uint8)
        self._staging[: picture.y.nbytes].reshape(picture.y.shape)[...] = picture.y
        self._staging[picture.y.nbytes :].reshape(picture.uv.shape)[...] = picture.uv
        _write_all(self._fd, self._staging.data)


def _write_all(fd: int, data: memoryview) -> None:
    written = 0
    while written < len(data):
        written += os.write(fd, data[written:])


def _row_vectors(plane: np.ndarray) -> np.ndarray:
    """An iovec per row of a plane whose rows are contiguous (one for the whole plane if it is)."""
    row_bytes = plane.shape[1] * plane.itemsize * (plane.shape[2] if plane.ndim == 3 else 1)
    if plane.flags.c_contiguous:
        vectors = np.empty(1, dtype=IOVEC)
        vectors["base"] = plane.ctypes.data
        vectors["length"] = plane.nbytes
        return vectors
    if plane.strides[-1] != plane.itemsize or (plane.ndim == 3 and plane.strides[1] != plane.shape[2]):
        raise ValueError("rows must be contiguous")
    vectors = np.empty(plane.shape[0], dtype=IOVEC)
    vectors["base"] = plane.ctypes.data + np.arange(plane.shape[0], dtype=np.uintp) * np.uintp(plane.strides[0])
    vectors["length"] = row_bytes
    return vectors
