"""The moving-scene encode: frames made in this process and encoded by one x264, with the audio, into the MP4.

A producer thread makes frame n+1 (resize, overlays) while the consuming thread hands frame n to x264; the
resizes and x264 both release the GIL, so the two overlap with each other and with x264's own threads.

Where the `_x264` extension is built (`libx264`), x264 runs in this process: it copies each frame from the
slot it was made in, the slot is free again at once, and the compressed frames go to ffmpeg in MPEG-TS
(`mpegts`, which keeps their timestamps), and ffmpeg encodes the audio and writes the MP4 with a stream copy.
Otherwise frames are piped to ffmpeg's libx264 as raw NV12 without a copy (`pipeio`): each is laid out as
the pipe reads it (`frames.WireLayout`), a slot is reused only once ffmpeg has read it, and ffmpeg does no
conversion or filtering beyond a crop that only moves pointers. Both give the same video stream.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from cloudburst.models.render_options import QualityOptions
from cloudburst.renderer.media.audio import COMPRESSED_VIDEO_QUEUE, mp4_with_audio_args
from cloudburst.renderer.media.encoder import x264_args
from cloudburst.renderer.media.frames import BasePicture, Frame, FrameMaker, FrameSlot, WireLayout
from cloudburst.renderer.media.inputs import SniffedInput
from cloudburst.renderer.media.libx264 import InProcessEncoder, Packet, in_process
from cloudburst.renderer.media.mpegts import TransportStreamWriter
from cloudburst.renderer.media.overlay import Overlay
from cloudburst.renderer.media.pipeio import FrameWriter, frames_in_flight, pipe_capacity
from cloudburst.renderer.media.process import Cancel, FfmpegProcess
from cloudburst.renderer.media.sampling import FrameCut

BUFFERS = 4
"""Frames made ahead of the encoder (beyond those the pipe may still be reading, when writing zero-copy)."""
PRODUCER_NICENESS = 10
PIPE_BYTES = 1 << 20
F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ (Linux), not exported by every Python build
ENCODER_MALLOC = {
    "MALLOC_MMAP_THRESHOLD_": str(64 << 20),
    "MALLOC_TRIM_THRESHOLD_": str(256 << 20),
    "MALLOC_TOP_PAD_": str(64 << 20),
}
"""glibc settings for the encoder: keep freed memory for reuse. With the audio as a second input, ffmpeg
demuxes on threads, and each 3 MB frame it reads from the pipe landed in memory glibc had just given back to
the kernel: 75,000-125,000 page faults per 30 s scene, most of them zeroing transparent huge pages (about
0.6 s of CPU in perf), against 11,000 when the same frames are encoded without the audio. With these, about
30,000, and 0.2-0.7 s less system time. Other C libraries ignore them."""


class _Stop(Exception):
    """The producer stopped because the writer is gone (ffmpeg failed or the render was cancelled)."""


class _Producer:
    """The frame-making thread: takes a free slot, makes the next frame in it (cut, then overlays), and hands
    frames over in order; an exception it meets is handed over too, to be raised by the consumer."""

    def __init__(self, maker: FrameMaker, cuts: Iterable[FrameCut], overlays: Iterator[list[Overlay]]) -> None:
        self._maker = maker
        self._work = zip(cuts, overlays, strict=False)
        self._free: queue.Queue[FrameSlot | None] = queue.Queue()
        self._ready: queue.Queue[tuple[FrameSlot, Frame] | BaseException | None] = queue.Queue()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="frame-producer", daemon=True)

    def start(self, slots: list[FrameSlot]) -> None:
        for slot in slots:
            self._free.put(slot)
        self._thread.start()

    def next_frame(self) -> tuple[FrameSlot, Frame] | None:
        """The next frame and its slot, or None after the last; re-raises what stopped the producer."""
        item = self._ready.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def release(self, slot: FrameSlot) -> None:
        self._free.put(slot)

    def stop(self) -> None:
        self._stopping.set()
        self._free.put(None)  # wakes the thread if it waits for a slot
        self._thread.join(timeout=10)

    def _run(self) -> None:
        _lower_priority()
        try:
            for cut, overlays in self._work:
                slot = self._free.get()
                if slot is None or self._stopping.is_set():
                    raise _Stop
                frame = self._maker.render(cut, slot)
                picture = frame.picture
                for overlay in overlays:
                    overlay.apply(picture.y, picture.uv)
                self._ready.put((slot, frame))
            self._ready.put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread, which re-raises it
            self._ready.put(exc)


@dataclass(frozen=True)
class _Job:
    """What both ways of encoding a moving scene need besides the frames."""

    audio: SniffedInput
    layout: WireLayout
    fps: int
    quality: QualityOptions
    threads: int
    target: Path
    cancel: Cancel | None
    on_frame: Callable[[int], None] | None

    def encoder_args(self, video_input: list[str], video_output: list[str]) -> list[str]:
        """The encoder's command line: the video from stdin, the audio file, the AAC encode and the MP4."""
        bitrate = self.quality.audio_bitrate_kbps
        return mp4_with_audio_args(video_input, video_output, self.audio, bitrate_kbps=bitrate, target=self.target)

    def frame_done(self, written: int) -> None:
        if self.on_frame is not None:
            self.on_frame(written)


def encode_moving(
    base: BasePicture,
    cuts: Iterable[FrameCut],
    overlays_for_frames: Iterator[list[Overlay]],
    *,
    audio: SniffedInput,
    layout: WireLayout,
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
    by the ffmpeg that writes the MP4, alongside the video. `on_frame(n)` is called with 0 once the encoder
    runs, then after each frame handed to it.
    """
    producer = _Producer(FrameMaker(base), cuts, overlays_for_frames)
    job = _Job(audio, layout, fps, quality, threads, target, cancel, on_frame)
    if in_process():
        _encode_in_process(producer, job)
    else:
        _encode_through_pipe(producer, job)


def _encode_in_process(producer: _Producer, job: _Job) -> None:
    """x264 here, ffmpeg only muxing (the video stream copied, its timescale one tick per frame) and encoding
    the audio. The frames' memory is reused as soon as x264 returns, so no slot waits for a pipe."""
    layout = job.layout
    video_input = [*COMPRESSED_VIDEO_QUEUE, "-f", "mpegts"]
    args = job.encoder_args(video_input, ["-c:v", "copy", "-video_track_timescale", str(job.fps)])
    encoder = InProcessEncoder(layout.width, layout.height, fps=job.fps, quality=job.quality, threads=job.threads)
    with encoder, FfmpegProcess(args, label="encode", cancel=job.cancel, stdin=True) as proc:
        stream = TransportStreamWriter(proc.stdin.write, job.fps)

        def send(packet: Packet) -> None:
            with proc.explaining_a_broken_pipe():
                stream.write_frame(packet.data, pts=packet.pts, dts=packet.dts, keyframe=packet.keyframe)

        producer.start([FrameSlot(layout) for _ in range(BUFFERS)])
        job.frame_done(0)  # the encoder is running
        try:
            written = 0
            while (item := producer.next_frame()) is not None:
                proc.raise_if_cancelled()
                slot, frame = item
                packet = encoder.encode(frame.wire, layout.stride)
                producer.release(slot)
                if packet is not None:
                    send(packet)
                written += 1
                job.frame_done(written)
            for packet in encoder.flush():
                send(packet)
            with proc.explaining_a_broken_pipe():
                proc.stdin.close()  # flushes the buffered end of the stream
            proc.wait()
        finally:
            producer.stop()


def _encode_through_pipe(producer: _Producer, job: _Job) -> None:
    """ffmpeg's libx264: frames arrive `layout.stride` pixels wide and its crop keeps the left `layout.width`
    (see `WireLayout`)."""
    layout = job.layout
    video_input = ["-f", "rawvideo", "-pix_fmt", "nv12", "-s", f"{layout.stride}x{layout.height}",
                   "-framerate", str(job.fps)]  # fmt: skip
    crop = ["-vf", f"crop={layout.width}:{layout.height}:0:0"]
    args = job.encoder_args(video_input, [*crop, *x264_args(job.quality, job.threads, input_pix_fmt="nv12")])
    with FfmpegProcess(args, label="encode", cancel=job.cancel, stdin=True, environment=ENCODER_MALLOC) as proc:
        fd = proc.stdin.fileno()  # written directly (the buffered wrapper is never used)
        _enlarge_pipe(fd)
        writer = FrameWriter(fd)
        lag = frames_in_flight(pipe_capacity(fd), layout.frame_bytes) if writer.zero_copy else 0
        producer.start([FrameSlot(layout) for _ in range(lag + BUFFERS)])
        job.frame_done(0)  # the encoder is running
        try:
            _feed(proc, producer, writer, lag, job)
            proc.stdin.close()
            proc.wait()
        finally:
            producer.stop()


def _feed(
    proc: FfmpegProcess,
    producer: _Producer,
    writer: FrameWriter,
    lag: int,
    job: _Job,
) -> None:
    """Hand every frame to ffmpeg in order, freeing each slot once the pipe can no longer be reading it."""
    in_pipe: collections.deque[FrameSlot] = collections.deque()
    written = 0
    while (item := producer.next_frame()) is not None:
        proc.raise_if_cancelled()
        slot, frame = item
        with proc.explaining_a_broken_pipe():
            writer.write(frame.wire)
        in_pipe.append(slot)
        while len(in_pipe) > lag:
            producer.release(in_pipe.popleft())
        written += 1
        job.frame_done(written)


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
