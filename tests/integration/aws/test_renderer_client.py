"""The HTTP renderer client against a real renderer process (stub render mode: a tiny valid MP4, no encode),
with inputs served over loopback HTTP as presigned S3 URLs would be."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cloudburst.aws.renderer_client import HttpRendererClient
from cloudburst.pipeline.errors import RendererUnavailable, RenderRejected
from tests.unit.pipeline.support import png_bytes, wav_bytes

TOKEN = "integration-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def inputs(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "a.png").write_bytes(png_bytes(64, 36))
    (tmp_path / "a.wav").write_bytes(wav_bytes(1.0))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def renderer(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    env = dict(os.environ, RENDERER_TOKEN=TOKEN, HOST="127.0.0.1", PORT=str(port), CLOUDBURST_STUB_RENDER="1")
    env["WORK_DIR"] = str(tmp_path / "work")
    process = subprocess.Popen(
        [sys.executable, "-m", "cloudburst.renderer"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    endpoint = f"http://127.0.0.1:{port}"
    client = HttpRendererClient(endpoint, TOKEN, connect_timeout_s=0.5)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.health()
                break
            except RendererUnavailable:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"renderer did not start: {process.stderr.read().decode() if process.stderr else ''}")
                time.sleep(0.1)
        yield endpoint, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


def test_submit_poll_stream_delete_and_shut_down(renderer: tuple[str, subprocess.Popen[bytes]], inputs: str) -> None:
    endpoint, process = renderer
    client = HttpRendererClient(endpoint, TOKEN)
    request = {
        "inputs": {"image_url": f"{inputs}/a.png", "audio_url": f"{inputs}/a.wav"},
        "options": {"width": 320, "height": 180},
        "scene": "s1",
        "idempotency_key": "job/s1/0",
    }
    accepted = client.submit(request)
    assert client.submit(request)["render_id"] == accepted["render_id"]  # idempotent
    deadline = time.monotonic() + 30
    status = client.status(accepted["render_id"])
    while status["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        status = client.status(accepted["render_id"])
    assert status["status"] == "succeeded", status
    with client.output(accepted["render_id"]) as stream:
        video = b"".join(stream.chunks)
        assert stream.content_length == len(video) == status["output"]["size_bytes"]
    assert hashlib.sha256(video).hexdigest() == status["output"]["sha256"]
    client.delete(accepted["render_id"])
    client.delete(accepted["render_id"])  # already gone: still fine

    client.shutdown("cancel")
    assert process.wait(timeout=15) == 0
    with pytest.raises(RendererUnavailable, match="did not answer"):
        client.health()


def test_refusals_are_named(renderer: tuple[str, subprocess.Popen[bytes]], inputs: str) -> None:
    endpoint, _ = renderer
    with pytest.raises(RenderRejected) as unauthorized:
        HttpRendererClient(endpoint, "wrong").status("x")
    assert unauthorized.value.code == "unauthorized"
    client = HttpRendererClient(endpoint, TOKEN)
    with pytest.raises(RenderRejected) as invalid:
        client.submit({"inputs": {"image_url": f"{inputs}/a.png"}, "options": {}})
    assert invalid.value.code == "invalid_request"
    assert "audio_url" in str(invalid.value)
    with pytest.raises(RenderRejected, match="404"):
        client.status("no-such-render")


class _Answers503(BaseHTTPRequestHandler):
    """A renderer that answers every request 503 with the error code named by the path's first segment."""

    def do_GET(self) -> None:
        body = json.dumps({"error": {"code": self.path.split("/")[3], "message": "not now"}}).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


def test_a_renderer_that_is_exiting_is_final_but_a_full_queue_is_retried() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers503)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = HttpRendererClient(f"http://127.0.0.1:{server.server_address[1]}", TOKEN)
        with pytest.raises(RenderRejected) as exiting:
            client.status("shutting_down")
        assert exiting.value.code == "shutting_down"
        assert "503 shutting_down: not now" in str(exiting.value)
        with pytest.raises(RendererUnavailable, match="503 queue_full"):
            client.status("queue_full")
    finally:
        server.shutdown()
        server.server_close()
