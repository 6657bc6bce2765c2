"""The moving-scene encode: frames made in this process, piped to one x264 encode as raw NV12.

A producer thread makes frame n+1 (resize, overlays) while the main thread writes frame n to ffmpeg's stdin;
OpenCV and the pipe write both release the GIL, so the two overlap with each other and with x264's own
threads. Buffers are recycled (four in flight), the pipe is enlarged to cut context switches, and ffmpeg
does no conversion or filtering at all: what it receives is exactly what x264 wants.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from cloudburst.models.render_options import QualityOptions
from cloudburst.renderer.media.audio import aac_output_args, file_url, safe_input_args
from cloudburst.renderer.media.encoder import MP4_OUTPUT, x264_args
from cloudburst.renderer.media.frames import BasePicture, FrameBuffer, FrameMaker
from cloudburst.renderer.media.inputs import SniffedInput
from cloudburst.renderer.media.overlay import Overlay
from cloudburst.renderer.media.process import Cancel, FfmpegProcess
from cloudburst.renderer.media.sampling import FrameCut

BUFFERS = 4
PRODUCER_NICENESS = 10
PIPE_BYTES = 1 << 20
F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ (Linux), not exported by every Python build


class _Stop(Exception):
    """The producer stopped because the writer is gone (ffmpeg failed or the render was cancelled)."""


def encode_moving(
    base: BasePicture,
    cuts: Iterable[FrameCut],
    overlays_for_frames: Iterator[list[Overlay]],
    *,
    audio: SniffedInput,
    width: int,
    height: int,
    fps: int,
    quality: QualityOptions,
    threads: int,
    target: Path,
    cancel: Cancel | None = None,
    on_frame: Callable[[int], None] | None = None,
) -> None:
    """Encode one frame per cut, and the audio, into the final MP4 at `target` (moov first).

    `overlays_for_frames` yields, per frame, the overlays to blend (watermark, current subtitle state). The
    audio is read with the same safety options as everywhere (forced demuxer, `file` only) and encoded to AAC
    by this same ffmpeg: it costs about 1% of the video's CPU, and saves a separate encode and a final mux.
    """
    assert audio.format.demuxer is not None
    free: queue.Queue[FrameBuffer] = queue.Queue()
    for _ in range(BUFFERS):
        free.put(FrameBuffer(width, height))
    ready: queue.Queue[FrameBuffer | BaseException | None] = queue.Queue()
    stop = threading.Event()

    maker = FrameMaker(base)

    def produce() -> None:
        _lower_priority()
        try:
            for cut, overlays in zip(cuts, overlays_for_frames, strict=False):
                buffer = free.get()
                if stop.is_set():
                    raise _Stop
                maker.render(cut, buffer)
                for overlay in overlays:
                    overlay.apply(buffer.y, buffer.uv)
                ready.put(buffer)
            ready.put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread, which re-raises it
            ready.put(exc)

    with FfmpegProcess(
        [
            "-f", "rawvideo", "-pix_fmt", "nv12", "-s", f"{width}x{height}", "-framerate", str(fps), "-i", "pipe:0",
            *safe_input_args(audio.path, audio.format.demuxer),
            "-map", "0:v", "-map", "1:a:0", "-map_metadata", "-1",
            *x264_args(quality, threads, input_pix_fmt="nv12"),
            *aac_output_args(quality.audio_bitrate_kbps),
            *MP4_OUTPUT, "-y", file_url(target),
        ],
        label="encode",
        cancel=cancel,
        stdin=True,
    ) as proc:  # fmt: skip
        _enlarge_pipe(proc.stdin.fileno())
        producer = threading.Thread(target=produce, name="frame-producer", daemon=True)
        producer.start()
        written = 0
        try:
            while True:
                item = ready.get()
                if item is None:
                    break
                if isinstance(item, BaseException):
                    raise item
                proc.raise_if_cancelled()
                try:
                    proc.stdin.write(item.data.data)
                except BrokenPipeError:
                    proc.wait()  # ffmpeg died: raises with its message
                    raise
                free.put(item)
                written += 1
                if on_frame is not None:
                    on_frame(written)
            proc.stdin.close()
            proc.wait()
        finally:
            stop.set()
            with contextlib.suppress(queue.Full):
                free.put_nowait(FrameBuffer(2, 2))  # wake a producer blocked on a free buffer
            producer.join(timeout=10)


def _lower_priority() -> None:
    """Run the frame producer at a lower priority than x264 (nice +10, Linux per-thread): the encoder never
    waits behind it for a core, and the producer still gets the cores x264 leaves idle, which is most of
    what it needs. Best effort; an unprivileged process may always lower its own priority."""
    if hasattr(os, "setpriority") and hasattr(threading, "get_native_id"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PRODUCER_NICENESS)


def _enlarge_pipe(fd: int) -> None:
    """A 1 MiB pipe instead of 64 KiB: fewer wake-ups per 3 MB frame. Best effort (Linux only)."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
