"""Shared helpers of the media integration tests: inputs made with ffmpeg and Pillow, outputs probed with ffprobe
and decoded to numpy frames. Everything is generated into the test's temporary directory."""

from __future__ import annotations

import json
import os
import random
import struct
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from cloudburst.models.render_options import RenderOptions
from cloudburst.renderer.media.api import RenderResult, SceneInputs
from cloudburst.renderer.media.render import render_scene
from tests.process_tree import children_of


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-loglevel", "error", "-y", *args], check=True)


def tone(path: Path, seconds: float, *, channels: int = 1, rate: int = 44100, codec: tuple[str, ...] = ()) -> Path:
    """A sine tone in whatever format the path's suffix and `codec` say."""
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[channels]
    ffmpeg(
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={rate}:duration={seconds}",
        "-af", f"aformat=channel_layouts={layout}", *codec, str(path),
    )  # fmt: skip
    return path


def garbled_m4a(path: Path, seconds: float = 4.0, *, seed: int = 0) -> Path:
    """An AAC tone in an M4A whose headers are intact (it sniffs and probes as M4A) but whose `mdat` payload
    is random bytes but for its first and last twentieth: too many bad packets for ffmpeg to carry on (it
    tolerates up to two thirds)."""
    data = bytearray(tone(path, seconds, codec=("-c:a", "aac", "-b:a", "96k")).read_bytes())
    offset = 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"mdat":
            payload = size - 8
            start, garbled = offset + 8 + payload // 20, payload * 9 // 10
            data[start : start + garbled] = random.Random(seed).randbytes(garbled)
            path.write_bytes(data)
            return path
        offset += size
    raise AssertionError(f"{path}: ffmpeg wrote no mdat box")


def picture(path: Path, width: int, height: int, *, seed: int = 0, **save: Any) -> Path:
    """A mid-tone textured picture with no near-white pixels (so burned-in white text is easy to find)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.stack([60 + 60 * x / width, 70 + 50 * y / height, 110 - 30 * x / width], axis=-1)
    noise = rng.normal(0, 6, (height, width, 1)).astype(np.float32)
    Image.fromarray(np.clip(base + noise, 0, 170).astype(np.uint8)).save(path, **save)
    return path


def srt(path: Path, *cues: tuple[float, float, str]) -> Path:
    blocks = [f"{index}\n{_time(start)} --> {_time(end)}\n{text}\n" for index, (start, end, text) in enumerate(cues, 1)]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def _time(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d},{millis % 1000:03d}"


def render(inputs: SceneInputs, options: RenderOptions, workdir: Path) -> RenderResult:
    workdir.mkdir(parents=True, exist_ok=True)
    return render_scene(inputs, options, workdir)


def probe(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def stream(info: dict[str, Any], kind: str) -> dict[str, Any]:
    found: dict[str, Any] = next(item for item in info["streams"] if item["codec_type"] == kind)
    return found


def frames(path: Path, *, gray: bool = True, limit: int | None = None) -> np.ndarray:
    """Every decoded frame (or the first `limit`): (n, h, w) luma, or (n, h, w, 3) RGB. Decoding errors fail
    the test."""
    info = stream(probe(path), "video")
    width, height = int(info["width"]), int(info["height"])
    pix_fmt, channels = ("gray", 1) if gray else ("rgb24", 3)
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-v", "error", "-xerror", "-i", str(path), "-map", "0:v",
         *(["-frames:v", str(limit)] if limit else []), "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
        capture_output=True, check=True,
    )  # fmt: skip
    assert result.stderr == b"", result.stderr.decode()
    shape = (-1, height, width) if gray else (-1, height, width, channels)
    decoded: np.ndarray = np.frombuffer(result.stdout, dtype=np.uint8).reshape(shape)
    return decoded


def listing(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def ffmpeg_children() -> list[int]:
    """ffmpeg processes this test process started that are still there (running, or never waited for)."""
    return children_of(os.getpid(), named="ffmpeg")
