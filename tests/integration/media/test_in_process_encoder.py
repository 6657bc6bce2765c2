"""x264 in the renderer's process: the same stream as ffmpeg's libx264 with the same settings, and, through the
transport stream, an MP4 whose frames keep x264's times (B-frames shown in order)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from cloudburst.models.render_options import Preset, QualityOptions
from cloudburst.renderer.media import libx264
from cloudburst.renderer.media.api import RenderError
from cloudburst.renderer.media.colour import Nv12
from cloudburst.renderer.media.encoder import x264_args
from cloudburst.renderer.media.held import CodedPicture, PictureCoding, code_pictures
from cloudburst.renderer.media.libx264 import InProcessEncoder, Packet
from cloudburst.renderer.media.mpegts import START_TICKS, TransportStreamWriter

from .helpers import ffmpeg

pytestmark = pytest.mark.skipif(not libx264.BUILT, reason="the _x264 extension is not built here")

WIDTH, HEIGHT = 160, 96


def _pictures(count: int, *, stride: int = WIDTH) -> list[Nv12]:
    """A textured gradient that drifts and brightens, so x264 has motion to search and B-frames to place."""
    rng = np.random.default_rng(7)
    texture = rng.integers(0, 60, (HEIGHT, 2 * stride), dtype=np.uint8)
    pictures = []
    for index in range(count):
        y = np.ascontiguousarray(texture[:, index : index + stride] + np.uint8(40 + index))
        uv = np.full((HEIGHT // 2, stride // 2, 2), 128, dtype=np.uint8)
        uv[..., 0] += np.uint8(index % 20)
        pictures.append(Nv12(y, uv))
    return pictures


def _ours(pictures: list[Nv12], quality: QualityOptions, *, stride: int = WIDTH, fps: int = 30) -> list[Packet]:
    with InProcessEncoder(WIDTH, HEIGHT, fps=fps, quality=quality, threads=2) as encoder:
        packets = [packet for picture in pictures if (packet := encoder.encode(picture, stride)) is not None]
        return packets + list(encoder.flush())


@pytest.mark.parametrize("preset", [Preset.ULTRAFAST, Preset.VERYFAST, Preset.MEDIUM])
def test_the_stream_is_ffmpegs_byte_for_byte(tmp_path: Path, preset: Preset) -> None:
    quality = QualityOptions(preset=preset, crf=21)
    pictures = _pictures(40)
    raw = tmp_path / "frames.nv12"
    raw.write_bytes(b"".join(picture.y.tobytes() + picture.uv.tobytes() for picture in pictures))
    theirs = tmp_path / "ffmpeg.h264"
    ffmpeg(
        "-f", "rawvideo", "-pix_fmt", "nv12", "-s", f"{WIDTH}x{HEIGHT}", "-framerate", "30", "-i", str(raw),
        *x264_args(quality, 2, input_pix_fmt="nv12"), "-f", "h264", str(theirs),
    )  # fmt: skip
    packets = _ours(pictures, quality)
    assert b"".join(packet.data for packet in packets) == theirs.read_bytes()
    assert sorted(packet.pts for packet in packets) == list(range(40))
    assert [packet.dts for packet in packets] == sorted(packet.dts for packet in packets)
    assert packets[0].keyframe
    if preset is not Preset.ULTRAFAST:  # B-frames: some frames are decoded before they are shown
        assert any(packet.dts < packet.pts for packet in packets)


def test_held_pictures_are_ffmpegs_byte_for_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A still scene's pictures (skip-friendly settings, IDRs forced where the plan says) coded here are the
    ones ffmpeg's libx264 codes, so the held stream built on them is unchanged whichever encoder ran."""
    sources = _pictures(5)
    plan = [CodedPicture(0, 3, idr=True), CodedPicture(1, 2, idr=False), CodedPicture(1, 4, idr=True),
            CodedPicture(3, 1, idr=False), CodedPicture(4, 6, idr=True)]  # fmt: skip
    coding = PictureCoding(WIDTH, HEIGHT, 30, QualityOptions(crf=21), threads=2)
    streams = {}
    for choice in ("in-process", "ffmpeg"):
        monkeypatch.setenv(libx264.ENCODER_VARIABLE, choice)
        asked: list[int] = []

        def picture(source: int, asked: list[int] = asked) -> Nv12:
            asked.append(source)
            return sources[source]

        units = list(code_pictures(plan, picture, coding, scratch=tmp_path))
        assert asked == [0, 1, 3, 4]  # each run of one source made once
        streams[choice] = units
    assert streams["in-process"] == streams["ffmpeg"]
    kinds = [unit[0] & 0x1F for unit in streams["in-process"]]
    assert kinds.count(5) == 3  # three IDR slices, where the plan forced them
    assert kinds.count(1) == 2


def test_rows_further_apart_than_they_are_long_are_read_as_the_picture(tmp_path: Path) -> None:
    """The renderer's frames are views into wider rows (`frames.WireLayout`): x264 must read `width` bytes of
    each row, `stride` apart."""
    quality = QualityOptions()
    narrow = _ours(_pictures(12), quality)
    wide = _ours(_pictures(12, stride=WIDTH + 64), quality, stride=WIDTH + 64)
    assert b"".join(packet.data for packet in wide) != b"".join(packet.data for packet in narrow)
    cropped = [
        Nv12(np.ascontiguousarray(p.y[:, :WIDTH]), np.ascontiguousarray(p.uv[:, : WIDTH // 2]))
        for p in _pictures(12, stride=WIDTH + 64)
    ]
    assert [packet.data for packet in _ours(cropped, quality)] == [packet.data for packet in wide]


def _probe_packets(path: Path) -> list[tuple[int, int, int]]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "packet=pts,dts,size", "-of", "json",
         str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [(int(item["pts"]), int(item["dts"]), int(item["size"])) for item in json.loads(result.stdout)["packets"]]


@pytest.mark.parametrize("fps", [30, 7])
def test_the_mp4_keeps_every_frames_times(tmp_path: Path, fps: int) -> None:
    """Through the transport stream and ffmpeg's stream copy, each frame of the MP4 has x264's pts and dts,
    in frames (one tick per frame), at a rate that divides 90 kHz and at one that does not."""
    packets = _ours(_pictures(30), QualityOptions(), fps=fps)
    transport = tmp_path / "video.ts"
    with transport.open("wb") as handle:
        writer = TransportStreamWriter(handle.write, fps)
        for packet in packets:
            writer.write_frame(packet.data, pts=packet.pts, dts=packet.dts, keyframe=packet.keyframe)
    in_transport = _probe_packets(transport)
    assert [(pts, dts) for pts, dts, _size in in_transport] == [
        (START_TICKS + round(p.pts * 90_000 / fps), START_TICKS + round(p.dts * 90_000 / fps)) for p in packets
    ]
    mp4 = tmp_path / "video.mp4"
    ffmpeg("-f", "mpegts", "-i", str(transport), "-c:v", "copy", "-video_track_timescale", str(fps), str(mp4))
    assert [(pts, dts) for pts, dts, _size in _probe_packets(mp4)] == [(p.pts, p.dts) for p in packets]


def test_bad_settings_and_misuse_are_clear_errors() -> None:
    with pytest.raises(RenderError, match="a 161x96 picture"):
        InProcessEncoder(161, 96, fps=30, quality=QualityOptions(), threads=1)
    encoder = InProcessEncoder(WIDTH, HEIGHT, fps=30, quality=QualityOptions(), threads=1)
    picture = _pictures(1)[0]
    with pytest.raises(ValueError, match="the luma plane has"):
        encoder.encode(Nv12(picture.y[:10], picture.uv), WIDTH)
    with pytest.raises(ValueError, match="narrower than the picture"):
        encoder.encode(picture, WIDTH - 2)
    encoder.close()
    with pytest.raises(ValueError, match="closed"):
        encoder.encode(picture, WIDTH)


def test_x264s_own_reason_is_in_the_error_and_not_on_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    # x264 explains a refusal only in its log; the render's error must carry the reason, and nothing may
    # bypass the renderer's JSON logs by writing to the process's stderr.
    extension = pytest.importorskip("cloudburst.renderer.media._x264")
    with pytest.raises(RuntimeError, match=r"^x264 refused the settings: invalid crop-rect 10,10,2000,10$"):
        extension.Encoder(WIDTH, HEIGHT, 30, "veryfast", [("crop-rect", "10,10,2000,10")])
    with pytest.raises(RuntimeError, match=r"^x264 refused the settings: .*AVC-Intra"):
        extension.Encoder(WIDTH, HEIGHT, 30, "veryfast", [("avcintra-class", "100")])
    assert capfd.readouterr().err == ""


def test_the_encoder_choice_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(libx264.ENCODER_VARIABLE, raising=False)
    assert libx264.in_process()
    assert "in process" in libx264.encoder_name()
    monkeypatch.setenv(libx264.ENCODER_VARIABLE, "ffmpeg")
    assert not libx264.in_process()
    assert "pipe" in libx264.encoder_name()
    monkeypatch.setenv(libx264.ENCODER_VARIABLE, "gpu")
    with pytest.raises(RenderError, match="expected one of auto, in-process, ffmpeg"):
        libx264.in_process()
    monkeypatch.setattr(libx264, "_x264", None)
    monkeypatch.setenv(libx264.ENCODER_VARIABLE, "in-process")
    with pytest.raises(RenderError, match="not built"):
        libx264.in_process()
