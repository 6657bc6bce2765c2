"""How the renderer process ends, as ECS needs it: every planned way out exits 0 after cleaning up, with a log
line saying why; only a missing token (a deployment mistake) stops it with a non-zero status."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.renderer_api.conftest import (
    FixtureServer,
    Renderer,
    SceneUrls,
    StartRenderer,
    small_options,
    wav_bytes,
)

pytestmark = pytest.mark.slow  # each test starts and ends its own renderer process (2-5 s)

LONG_OPTIONS = {"width": 640, "height": 360, "fps": 25, "effect": "zoom_in", "quality": {"preset": "medium"}}


@pytest.fixture(scope="module")
def long_audio(fixture_server: FixtureServer) -> str:
    return fixture_server.add("/lifecycle/long.wav", body=wav_bytes(8.0))


def start_long_render(renderer: Renderer, scene_urls: SceneUrls, long_audio: str) -> tuple[str, list[int]]:
    """Submit a render and wait until ffmpeg is encoding it; returns its id and the ffmpeg pids."""
    with renderer.client() as client:
        body = {"inputs": scene_urls.inputs(audio_url=long_audio), "options": LONG_OPTIONS}
        render_id = client.post("/v1/renders", json=body).json()["render_id"]
        deadline = time.monotonic() + 30
        while client.get(f"/v1/renders/{render_id}").json()["progress"] <= 0:
            assert time.monotonic() < deadline, "the render never started"
            time.sleep(0.02)
    children = renderer.children()
    assert children, "ffmpeg should be running"
    return render_id, children


def exit_entry(renderer: Renderer) -> dict[str, Any]:
    return next(entry for entry in renderer.logs() if entry.get("event") == "exiting")


def assert_clean_exit(renderer: Renderer, children: list[int] = ()) -> None:  # type: ignore[assignment]
    assert renderer.wait_exit(timeout=30) == 0
    assert renderer.work_files() == []
    for pid in children:
        assert not Path(f"/proc/{pid}").exists(), f"child process {pid} outlived the renderer"


def test_it_refuses_to_start_without_a_token(start_renderer: StartRenderer) -> None:
    renderer = start_renderer(token=None, wait=False)
    assert renderer.wait_exit(timeout=30) == 2
    output = renderer.log_path.read_text()
    assert "refusing to start: RENDERER_TOKEN is not set" in output
    assert "--insecure-local-dev" in output


def test_a_port_already_in_use_is_a_startup_failure(start_renderer: StartRenderer) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        renderer = start_renderer({"PORT": str(taken.getsockname()[1])}, wait=False)
        assert renderer.wait_exit(timeout=30) == 3
    assert any(entry["event"] == "the HTTP server could not start" for entry in renderer.logs())
    assert renderer.work_files() == []


def test_insecure_local_dev_starts_without_a_token_and_sigterm_exits_0(start_renderer: StartRenderer) -> None:
    renderer = start_renderer(token=None, args=["--insecure-local-dev"])
    with renderer.client(token=None) as client:
        assert client.get("/v1/renders/nothing").status_code == 404  # not 401: authentication is off
    assert any("authentication is OFF" in entry["event"] for entry in renderer.logs())
    started = time.monotonic()
    renderer.process.send_signal(signal.SIGTERM)
    assert_clean_exit(renderer)
    assert time.monotonic() - started < 10
    assert exit_entry(renderer)["reason"] == "received SIGTERM"
    assert exit_entry(renderer)["exit_code"] == 0


def test_sigterm_while_starting_up_still_exits_0(start_renderer: StartRenderer) -> None:
    renderer = start_renderer(wait=False)
    deadline = time.monotonic() + 20
    while not (renderer.log_path.exists() and "renderer starting" in renderer.log_path.read_text()):
        assert time.monotonic() < deadline, "the renderer never started"
        time.sleep(0.01)
    renderer.process.send_signal(signal.SIGTERM)
    assert_clean_exit(renderer)
    assert exit_entry(renderer)["reason"] == "received SIGTERM"


def test_sigterm_mid_render_cancels_stops_ffmpeg_cleans_up_and_exits_0(
    start_renderer: StartRenderer, scene_urls: SceneUrls, long_audio: str
) -> None:
    renderer = start_renderer()
    _, children = start_long_render(renderer, scene_urls, long_audio)
    started = time.monotonic()
    renderer.process.send_signal(signal.SIGTERM)
    assert_clean_exit(renderer, children)
    assert time.monotonic() - started < 10
    events = [entry["event"] for entry in renderer.logs()]
    assert "render failed" in events
    failed = next(entry for entry in renderer.logs() if entry["event"] == "render failed")
    assert failed["error"] == {"code": "cancelled", "message": "cancelled: received SIGTERM"}


def test_shutdown_drain_finishes_the_running_render_then_exits_0(
    start_renderer: StartRenderer, scene_urls: SceneUrls
) -> None:
    renderer = start_renderer()
    with renderer.client() as client:
        render_id = client.post("/v1/renders", json={"inputs": scene_urls.inputs(), "options": small_options()}).json()[
            "render_id"
        ]
        response = client.post("/v1/shutdown", json={"mode": "drain"})
        assert response.status_code == 202
        assert response.json()["status"] == "shutting_down"
        assert response.json()["mode"] == "drain"
        refused = client.post("/v1/renders", json={"inputs": scene_urls.inputs()})
        if refused.status_code != 503:  # the drain may already be over and the server gone
            pytest.fail(f"expected 503 shutting_down, got {refused.status_code}")
        assert refused.json()["error"]["code"] == "shutting_down"
    assert_clean_exit(renderer)
    finished = [entry for entry in renderer.logs() if entry.get("render_id") == render_id]
    assert finished[-1]["event"] == "render succeeded"
    assert exit_entry(renderer)["reason"] == "POST /v1/shutdown (mode drain)"


def test_shutdown_cancel_mid_render_exits_0_quickly(
    start_renderer: StartRenderer, scene_urls: SceneUrls, long_audio: str
) -> None:
    renderer = start_renderer()
    _, children = start_long_render(renderer, scene_urls, long_audio)
    with renderer.client() as client:
        response = client.post("/v1/shutdown", json={"mode": "cancel"})
    assert response.status_code == 202
    assert response.json()["running"] == 1
    assert_clean_exit(renderer, children)
    assert exit_entry(renderer)["mode"] == "cancel"


def test_only_authenticated_requests_postpone_the_idle_timeout_which_then_exits_0(
    start_renderer: StartRenderer,
) -> None:
    renderer = start_renderer({"IDLE_TIMEOUT": "1.5"})
    with renderer.client() as client:
        for _ in range(10):  # 2 s of API calls, longer than the idle timeout
            assert client.get("/v1/renders/none").status_code == 404
            time.sleep(0.2)
    assert renderer.process.poll() is None
    last_call = time.monotonic()
    deadline = last_call + 15
    with httpx.Client(base_url=renderer.base_url, timeout=1) as stranger:
        while renderer.process.poll() is None and time.monotonic() < deadline:
            try:
                stranger.get("/healthz")  # the container's HEALTHCHECK polls like this
                assert stranger.get("/v1/renders/x").status_code == 401  # an unauthenticated caller
            except httpx.TransportError:
                break
            time.sleep(0.1)
    assert_clean_exit(renderer)
    assert time.monotonic() - last_call >= 1.4
    assert exit_entry(renderer)["reason"] == "no requests or renders for 1.5 s (IDLE_TIMEOUT)"


def test_max_lifetime_exits_0_even_while_busy_with_requests(start_renderer: StartRenderer) -> None:
    renderer = start_renderer({"MAX_LIFETIME": "1.5"})
    deadline = time.monotonic() + 15
    with renderer.client() as client:
        while renderer.process.poll() is None and time.monotonic() < deadline:
            try:
                client.get("/v1/renders/none")
            except httpx.TransportError:
                break
            time.sleep(0.1)
    assert_clean_exit(renderer)
    assert exit_entry(renderer)["reason"] == "reached its maximum lifetime of 1.5 s (MAX_LIFETIME)"
