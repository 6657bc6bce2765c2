"""Crafted inputs cannot make ffmpeg open anything but the file it was given.

Each crafted file points at two things we can watch: a FIFO next to it (opening a FIFO to read blocks until a
writer appears, and a watcher thread notices the reader) and a local HTTP server that counts requests. Every
test first shows that plain ffmpeg *would* follow the reference (so the watchers can see a read), then that
the pipeline does not: the file is refused before ffmpeg sees it, and even when the sniffing is bypassed,
the forced demuxer, the `file`-only protocol whitelist and disabled MP4 data references keep ffmpeg inside
the one file.
"""

from __future__ import annotations

import contextlib
import errno
import http.server
import os
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from cloudburst.core.media_types import M4A, MP3, WAV, MediaFormat
from cloudburst.models.render_options import QualityOptions, RenderOptions
from cloudburst.renderer.media.api import InputRejected, RenderError, SceneInputs
from cloudburst.renderer.media.audio import measure_audio
from cloudburst.renderer.media.colour import Nv12
from cloudburst.renderer.media.held import CodedPicture, PictureCoding, encode_held
from cloudburst.renderer.media.inputs import SniffedInput
from cloudburst.renderer.media.render import render_scene

from .helpers import listing, picture, tone


@dataclass
class Watch:
    """Requests to the HTTP server and opens of the FIFO `secret` seen while the test ran."""

    url: str
    fifo: Path
    requests: list[str] = field(default_factory=list)
    fifo_opens: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.requests) or self.fifo_opens > 0


@pytest.fixture
def watch(tmp_path: Path) -> Iterator[Watch]:
    fifo = tmp_path / "secret.ts"
    os.mkfifo(fifo)
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    watched = Watch(f"http://127.0.0.1:{server.server_address[1]}/seg.ts", fifo, requests)
    stop = threading.Event()

    def watch_fifo() -> None:
        while not stop.is_set():
            try:
                descriptor = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:
                    raise
                time.sleep(0.001)
                continue
            watched.fifo_opens += 1
            os.close(descriptor)  # the reader sees end of file and carries on
            time.sleep(0.01)

    watcher = threading.Thread(target=watch_fifo, daemon=True)
    watcher.start()
    yield watched
    stop.set()
    watcher.join(timeout=5)
    server.shutdown()
    server.server_close()


def _plain_ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "quiet", *args, "-t", "1", "-f", "null", "-"], timeout=30, check=False)


def _refused(inputs: SceneInputs, workdir: Path) -> InputRejected:
    before = listing(workdir)
    with pytest.raises(InputRejected) as caught:
        render_scene(inputs, RenderOptions(width=64, height=36), workdir)
    assert listing(workdir) == before
    return caught.value


def _write_mp4_with(audio: SniffedInput, tmp_path: Path) -> None:
    """The encode stage alone, as if every check before it had been fooled: a held grey picture and this
    audio into an MP4, by the command line that writes moving scenes' MP4s too."""
    grey = Nv12(np.full((36, 64), 128, dtype=np.uint8), np.full((18, 32, 2), 128, dtype=np.uint8))
    encode_held(
        [CodedPicture(0, 30, idr=True)],
        lambda _source: grey,
        PictureCoding(64, 36, 30, QualityOptions(), threads=1),
        audio=audio,
        scratch=tmp_path,
        target=tmp_path / "out.mp4",
    )


def _forced(path: Path, fmt: MediaFormat) -> SniffedInput:
    """The input as if sniffing had been fooled into `fmt`."""
    return SniffedInput("audio", path, fmt)


def test_an_hls_playlist_named_mp3_is_refused_and_never_followed(tmp_path: Path, watch: Watch) -> None:
    playlist = tmp_path / "narration.mp3"
    playlist.write_text(
        f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n{watch.fifo.name}\n#EXTINF:1,\n{watch.url}\n#EXT-X-ENDLIST\n"
    )
    _plain_ffmpeg("-protocol_whitelist", "file,http,tcp", "-i", str(playlist))
    assert watch.anything, "the control run should have followed the playlist"
    watch.requests.clear()
    watch.fifo_opens = 0

    error = _refused(SceneInputs(picture(tmp_path / "p.png", 64, 36), playlist), tmp_path)
    assert (error.code, error.role) == ("unsupported_input", "audio")
    assert "HLS/M3U playlist" in error.message
    with pytest.raises(InputRejected) as caught:
        measure_audio(_forced(playlist, MP3), max_seconds=60)
    assert caught.value.code == "input_unreadable"
    with pytest.raises(RenderError):
        _write_mp4_with(_forced(playlist, MP3), tmp_path)
    assert not watch.anything


def test_a_concat_script_is_refused_and_never_followed(tmp_path: Path, watch: Watch) -> None:
    script = tmp_path / "narration.wav"
    script.write_text(f"ffconcat version 1.0\nfile '{watch.fifo.name}'\n")
    _plain_ffmpeg("-i", str(script))
    assert watch.fifo_opens > 0, "the control run should have opened the listed file"
    watch.fifo_opens = 0

    error = _refused(SceneInputs(picture(tmp_path / "p.png", 64, 36), script), tmp_path)
    assert (error.code, error.role) == ("unsupported_input", "audio")
    with pytest.raises(InputRejected):
        measure_audio(_forced(script, WAV), max_seconds=60)
    assert not watch.anything


def test_an_mp4_data_reference_to_another_file_is_never_followed(tmp_path: Path, watch: Watch) -> None:
    audio = tone(tmp_path / "clean.m4a", 1.0, codec=("-c:a", "aac"))
    crafted = tmp_path / "narration.m4a"
    crafted.write_bytes(_with_alias_reference(audio.read_bytes(), watch.fifo.name))
    _plain_ffmpeg("-enable_drefs", "1", "-i", str(crafted))
    assert watch.fifo_opens > 0, "the control run should have opened the referenced file"
    watch.fifo_opens = 0

    # It is a real M4A by its bytes, so sniffing accepts it; its samples live "elsewhere", so nothing decodes.
    error = _refused(SceneInputs(picture(tmp_path / "p.png", 64, 36), crafted), tmp_path)
    assert (error.code, error.role) == ("input_unreadable", "audio")
    # The encode stage alone (the audio check above is what refuses it) finds no samples in the file and
    # writes an MP4 without any: whatever it makes of the file, it must not open the reference.
    with contextlib.suppress(RenderError):
        _write_mp4_with(_forced(crafted, M4A), tmp_path)
    assert not watch.anything


def _with_alias_reference(mp4: bytes, target_name: str) -> bytes:
    """The MP4 with its audio track's data reference replaced by a Mac alias to `target_name` next to it
    (one level up, one level down: the relative form ffmpeg follows when `enable_drefs` is on)."""
    hfs_path = f"v:d:{target_name}"  # an HFS absolute path on volume 'v': ffmpeg reads it as /d/<target>
    record = struct.pack(">hh", 2, len(hfs_path)) + hfs_path.encode()
    record += b"\0" * (len(record) % 2) + struct.pack(">hh", -1, 0)
    alias = (
        b"\0" * 10
        + bytes([1]) + b"v".ljust(27, b"\0")
        + b"\0" * 12
        + bytes([len(target_name)]) + target_name.encode().ljust(63, b"\0")
        + b"\0" * 16
        + struct.pack(">HH", 1, 1)
        + b"\0" * 16
        + record
    )  # fmt: skip
    entry = struct.pack(">I4sI", 12 + len(alias), b"alis", 0) + alias
    dref_payload = struct.pack(">II", 0, 1) + entry
    return _replace_box(mp4, [b"moov", b"trak", b"mdia", b"minf", b"dinf", b"dref"], dref_payload)


def _replace_box(data: bytes, path: list[bytes], payload: bytes) -> bytes:
    """`data` with the payload of the box at `path` replaced, every enclosing box's size adjusted. The moov
    box must come after the media data (ffmpeg's default), so no sample offset moves."""
    offset, end = 0, len(data)
    for depth, kind in enumerate(path):
        while offset < end:
            size, found = struct.unpack_from(">I4s", data, offset)
            if found == kind:
                break
            offset += size
        else:
            raise AssertionError(f"no {kind!r} box")
        if depth == len(path) - 1:
            old_size = size
            new_box = struct.pack(">I4s", 8 + len(payload), kind) + payload
            grown = data[:offset] + new_box + data[offset + old_size :]
            return _grow_parents(grown, path[:-1], len(new_box) - old_size)
        offset, end = offset + 8, offset + size
    raise AssertionError("unreachable")


def _grow_parents(data: bytes, path: list[bytes], delta: int) -> bytes:
    buffer = bytearray(data)
    offset, end = 0, len(buffer)
    for kind in path:
        while offset < end:
            size, found = struct.unpack_from(">I4s", buffer, offset)
            if found == kind:
                break
            offset += size
        struct.pack_into(">I", buffer, offset, size + delta)
        offset, end = offset + 8, offset + size + delta
    return bytes(buffer)
