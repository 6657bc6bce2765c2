"""Real renderer processes over real HTTP on loopback, fed by a real local HTTP server serving fixture files.

`fixture_server` plays S3: it serves generated media under URLs that carry a fake presigned query string (so
tests can check it never reaches a log), and can answer errors, stall, redirect or fail a few times first.
`start_renderer` runs `python -m cloudburst.renderer` as a child process, waits for /healthz, and always
stops it (SIGKILL as a last resort) when the test ends.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.process_tree import children_of

TOKEN = "integration-token-0123456789"
SECRET_QUERY = "X-Amz-Signature=fixture-secret-signature"
STARTUP_TIMEOUT_S = 20.0


# ---- fixture media ---------------------------------------------------------------------------------------------


def png_bytes(width: int = 320, height: int = 180) -> bytes:
    """A gradient with a bright square: motion and crops are visible in it."""
    image = Image.new("RGB", (width, height))
    image.putdata([(x * 255 // width, y * 255 // height, 128) for y in range(height) for x in range(width)])
    image.paste((255, 255, 255), (width // 3, height // 3, width // 3 + width // 8, height // 3 + height // 8))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def wav_bytes(seconds: float, rate: int = 16_000) -> bytes:
    """A quiet 440 Hz tone, mono 16-bit PCM."""
    frames = int(seconds * rate)
    samples = b"".join(struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * n / rate))) for n in range(frames))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples)
    return buffer.getvalue()


SRT = "1\n00:00:00,000 --> 00:00:01,000\nHello\n\n2\n00:00:01,000 --> 00:00:02,000\n你好\n".encode()


# ---- the fixture HTTP server -------------------------------------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0  # answer `fail_status` to the first N requests
    fail_status: int = 503
    stall_s: float = 0.0  # send the headers, then wait this long before the body
    declared_length: int | None = None  # a Content-Length that may lie


@dataclass
class Hit:
    path: str
    at: float  # time.time() when the request arrived


class FixtureServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def add(self, path: str, **route: Any) -> str:
        """Serve `path`; returns its URL with a fake presigned query string."""
        self.routes[path] = Route(**route)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}?{SECRET_QUERY}"

    def hits_for(self, path: str) -> list[Hit]:
        with self._lock:
            return [hit for hit in self.hits if hit.path == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _record(self, path: str) -> int:
        with self._lock:
            self.hits.append(Hit(path, time.time()))
            return sum(1 for hit in self.hits if hit.path == path)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                count = server._record(path)
                route = server.routes.get(path)
                if route is None:
                    self._answer(404, b"<Error><Code>NoSuchKey</Code></Error>")
                    return
                if count <= route.fail_first:
                    self._answer(route.fail_status, b"<Error><Code>SlowDown</Code></Error>")
                    return
                self.send_response(route.status)
                for name, value in route.headers.items():
                    self.send_header(name, value)
                length = route.declared_length if route.declared_length is not None else len(route.body)
                self.send_header("Content-Length", str(length))
                self.end_headers()
                if route.stall_s:
                    time.sleep(route.stall_s)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


@pytest.fixture(scope="session")
def fixture_server() -> Iterator[FixtureServer]:
    server = FixtureServer()
    server.start()
    yield server
    server.stop()


@dataclass(frozen=True)
class SceneUrls:
    image: str
    audio: str
    subtitles: str

    def inputs(self, **overrides: str) -> dict[str, str]:
        return {"image_url": self.image, "audio_url": self.audio, **overrides}


@pytest.fixture(scope="session")
def scene_urls(fixture_server: FixtureServer) -> SceneUrls:
    """A 320x180 image, 1.5 s of audio and two subtitle cues (English and Chinese)."""
    return SceneUrls(
        image=fixture_server.add("/media/image.png", body=png_bytes()),
        audio=fixture_server.add("/media/audio.wav", body=wav_bytes(1.5)),
        subtitles=fixture_server.add("/media/subtitles.srt", body=SRT),
    )


def small_options(**extra: Any) -> dict[str, Any]:
    """Render options for fast real renders: 320x180, fastest preset."""
    return {"width": 320, "height": 180, "fps": 25, "quality": {"preset": "ultrafast"}, **extra}


# ---- renderer processes ------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Renderer:
    process: subprocess.Popen[bytes]
    base_url: str
    work_dir: Path
    log_path: Path
    token: str | None

    def client(self, token: str | None = "default", timeout: float = 10.0) -> httpx.Client:
        chosen = self.token if token == "default" else token
        headers = {"Authorization": f"Bearer {chosen}"} if chosen else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def logs(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.log_path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                entries.append({"event": "<not JSON>", "line": line})
        return entries

    def wait_exit(self, timeout: float = 30.0) -> int:
        return self.process.wait(timeout=timeout)

    def work_files(self, render_id: str = "") -> list[str]:
        """Files and directories under the work dir (of one render, if given)."""
        if not self.work_dir.exists():
            return []
        found = (str(p.relative_to(self.work_dir)) for p in self.work_dir.rglob("*"))
        return sorted(name for name in found if name.startswith(render_id))

    def children(self) -> list[int]:
        """Processes started by the renderer that are still there (ffmpeg, say)."""
        return children_of(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def launch_renderer(
    root: Path,
    env: dict[str, str] | None = None,
    args: list[str] | None = None,
    *,
    token: str | None = TOKEN,
    wait: bool = True,
) -> Renderer:
    """Start `python -m cloudburst.renderer` on a free loopback port with its work dir under `root`."""
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("RENDERER_TOKEN", "IDLE_TIMEOUT", "MAX_LIFETIME", "CLOUDBURST_STUB_RENDER")
    }
    environment.update(
        {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WORK_DIR": str(root / "work"),
            "FETCH_BACKOFF": "0.05",
            "FETCH_READ_TIMEOUT": "5",
            "SHUTDOWN_GRACE": "10",
            "LOG_LEVEL": "DEBUG",
        }
    )
    if token is not None:
        environment["RENDERER_TOKEN"] = token
    environment.update(env or {})
    log_path = root / "stdout.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cloudburst.renderer", *(args or [])],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    renderer = Renderer(process, f"http://127.0.0.1:{port}", root / "work", log_path, token)
    if wait:
        try:
            _wait_healthy(renderer)
        except AssertionError:
            renderer.stop()
            raise
    return renderer


StartRenderer = Callable[..., Renderer]


@pytest.fixture
def start_renderer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StartRenderer]:
    """Start renderer processes for one test; each is stopped when the test ends."""
    started: list[Renderer] = []

    def start(
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        *,
        token: str | None = TOKEN,
        wait: bool = True,
    ) -> Renderer:
        renderer = launch_renderer(tmp_path_factory.mktemp("renderer"), env, args, token=token, wait=wait)
        started.append(renderer)
        return renderer

    yield start
    for renderer in started:
        renderer.stop()


@pytest.fixture(scope="session")
def stub_renderer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Renderer]:
    """One renderer in stub mode shared by the API-flow tests (a process start costs about a second)."""
    renderer = launch_renderer(tmp_path_factory.mktemp("stub-renderer"), {"CLOUDBURST_STUB_RENDER": "1"})
    yield renderer
    renderer.stop()


@pytest.fixture(scope="session")
def real_renderer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Renderer]:
    """One renderer with the real media pipeline shared by the tests about render results and input errors;
    short fetch timeouts keep the stalled-server case quick."""
    env = {"FETCH_READ_TIMEOUT": "0.5", "FETCH_ATTEMPTS": "3", "FETCH_BACKOFF": "0.05"}
    renderer = launch_renderer(tmp_path_factory.mktemp("real-renderer"), env)
    yield renderer
    renderer.stop()


def _wait_healthy(renderer: Renderer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if renderer.process.poll() is not None:
            raise AssertionError(
                f"the renderer exited with {renderer.process.returncode}:\n{renderer.log_path.read_text()}"
            )
        try:
            if httpx.get(f"{renderer.base_url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the renderer did not become healthy:\n{renderer.log_path.read_text()}")


def wait_status(client: httpx.Client, render_id: str, *states: str, timeout: float = 30.0) -> dict[str, Any]:
    """Poll until the render reaches one of `states`; returns its status body."""
    deadline = time.monotonic() + timeout
    body: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = client.get(f"/v1/renders/{render_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in states:
            return body
        time.sleep(0.02)
    raise AssertionError(f"render {render_id} did not reach {states}: {body}")
