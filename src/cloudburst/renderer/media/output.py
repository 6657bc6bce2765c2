"""What the service reports about a finished video: size, duration, SHA-256, frame size and rate."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cloudburst.renderer.media.api import RenderResult
from cloudburst.renderer.media.mp4info import read_tracks

HASH_CHUNK = 1024 * 1024


def describe_output(path: Path, fps: int, stats: dict[str, float]) -> RenderResult:
    tracks = read_tracks(path)
    video = next(info for info in tracks if info.handler == "vide")
    duration = max(info.duration_s for info in tracks)
    return RenderResult(
        path=path,
        size_bytes=path.stat().st_size,
        duration_s=round(duration, 3),
        sha256=sha256_file(path),
        width=video.width,
        height=video.height,
        fps=fps,
        stats=stats,
    )


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
