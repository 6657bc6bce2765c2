"""Shared test material for the pipeline and AWS adapter tests: moto set-up, tiny real media files, and an
in-memory renderer that implements the same `RendererClient` protocol as the HTTP client."""

from __future__ import annotations

import hashlib
import io
import itertools
import struct
import wave
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

from cloudburst.aws.renderer_client import OutputStream
from cloudburst.pipeline.errors import RendererUnavailable, RenderRejected

REGION = "us-east-1"
BUCKET = "cloudburst-test-bucket"


def credentials_env() -> dict[str, str]:
    """Fake credentials and a fixed region: moto needs them, and real AWS must be unreachable."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    """A real mono 16-bit WAV of silence: mutagen reads its duration from the header."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\0\0" * int(seconds * rate))
    return buffer.getvalue()


def png_bytes(width: int = 4, height: int = 4) -> bytes:
    """A real (tiny, grey) PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


SRT_BYTES = "1\n00:00:00,000 --> 00:00:01,000\nHello 你好\n".encode()


class FakeRenderer:
    """An in-memory renderer task: renders move only when the test says so (`start`, `finish`, `fail`)."""

    def __init__(self, video: bytes = b"\x00\x00\x00\x18ftypisom" + b"v" * 5000) -> None:
        self.video = video
        self.renders: dict[str, dict[str, Any]] = {}
        self.requests: list[dict[str, Any]] = []
        self.deleted: list[str] = []
        self.shutdowns: list[str] = []
        self.unavailable = False
        self.reject_with: str | None = None
        self.corrupt_stream = False
        self._ids = itertools.count(1)

    def _check(self) -> None:
        if self.unavailable:
            raise RendererUnavailable("connection refused")

    def health(self) -> dict[str, Any]:
        self._check()
        return {"status": "ok", "busy": False, "queued": 0, "running": 0}

    def submit(self, request: dict[str, Any]) -> dict[str, Any]:
        self._check()
        if self.reject_with:
            raise RenderRejected(
                f"POST /v1/renders: 422 {self.reject_with}: inputs.audio_url: unreadable", self.reject_with
            )
        self.requests.append(request)
        for render in self.renders.values():
            if render["idempotency_key"] == request.get("idempotency_key"):
                return {"render_id": render["render_id"], "status": render["status"]}
        render_id = f"r-{next(self._ids)}"
        self.renders[render_id] = {
            "render_id": render_id,
            "scene": request.get("scene"),
            "idempotency_key": request.get("idempotency_key"),
            "status": "queued",
            "progress": 0.0,
            "started_at": None,
            "finished_at": None,
            "timings": None,
            "output": None,
            "error": None,
        }
        return {"render_id": render_id, "status": "queued"}

    def status(self, render_id: str) -> dict[str, Any]:
        self._check()
        if render_id not in self.renders:
            raise RenderRejected(f"GET /v1/renders/{render_id}: 404 not_found", "not_found")
        return dict(self.renders[render_id])

    def start(self, render_id: str, at: float, progress: float = 0.0) -> None:
        self.renders[render_id].update(status="running", started_at=at, progress=progress)

    def finish(self, render_id: str, at: float) -> None:
        self.renders[render_id].update(
            status="succeeded",
            progress=1.0,
            finished_at=at,
            timings={"queued_s": 0.1, "download_s": 0.5, "render_s": 3.0, "total_s": 3.6},
            output={
                "size_bytes": len(self.video),
                "sha256": hashlib.sha256(self.video).hexdigest(),
                "duration_s": 2.0,
                "width": 1920,
                "height": 1080,
                "fps": 30,
            },
        )

    def fail(self, render_id: str, code: str, message: str, field: str | None = None) -> None:
        error = {"code": code, "message": message} | ({"field": field} if field else {})
        self.renders[render_id].update(status="failed", error=error)

    @contextmanager
    def output(self, render_id: str) -> Iterator[OutputStream]:
        self._check()
        data = self.video[: len(self.video) // 2] if self.corrupt_stream else self.video
        chunks = (data[i : i + 1024] for i in range(0, len(data), 1024))
        yield OutputStream(content_length=len(self.video), chunks=chunks)

    def delete(self, render_id: str) -> None:
        self._check()
        self.deleted.append(render_id)

    def shutdown(self, mode: Literal["drain", "cancel"]) -> None:
        self._check()
        self.shutdowns.append(mode)
