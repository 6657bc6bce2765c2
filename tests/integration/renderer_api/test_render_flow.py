"""Real renders through a real renderer process: status flow and progress, the output stream (length, range,
hash, codecs), deletion freeing the disk, idempotency, and the queue's order and prefetching."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.renderer_api.conftest import (
    FixtureServer,
    Renderer,
    SceneUrls,
    small_options,
    wait_status,
    wav_bytes,
)

# Long and heavy enough (every frame moves, slow preset) that ffmpeg reports progress several times.
LONG_OPTIONS = {"width": 640, "height": 360, "fps": 25, "effect": "zoom_in", "quality": {"preset": "medium"}}
LONG_AUDIO_S = 8.0
STATE_ORDER = ["queued", "running", "succeeded"]


@pytest.fixture(scope="module")
def long_audio(fixture_server: FixtureServer) -> str:
    return fixture_server.add("/flow/long.wav", body=wav_bytes(LONG_AUDIO_S))


def submit(client: httpx.Client, inputs: dict[str, str], options: dict[str, Any], **extra: Any) -> str:
    response = client.post("/v1/renders", json={"inputs": inputs, "options": options, **extra})
    assert response.status_code == 202, response.text
    return str(response.json()["render_id"])


def watch(client: httpx.Client, render_id: str, timeout: float = 60.0) -> list[dict[str, Any]]:
    """Every status seen until the render finished."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/v1/renders/{render_id}").json()
        seen.append(status)
        if status["status"] in ("succeeded", "failed"):
            return seen
        time.sleep(0.05)
    raise AssertionError(f"render {render_id} did not finish: {seen[-1]}")


def ffprobe(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(result.stdout))


def test_a_render_goes_queued_running_succeeded_with_rising_progress_and_streams_its_mp4(
    real_renderer: Renderer, scene_urls: SceneUrls, long_audio: str, tmp_path: Path
) -> None:
    with real_renderer.client() as client:
        render_id = submit(client, scene_urls.inputs(audio_url=long_audio), LONG_OPTIONS, scene="flow-1")
        seen = watch(client, render_id)

        states = [status["status"] for status in seen]
        assert states[-1] == "succeeded", seen[-1]
        assert [STATE_ORDER.index(s) for s in states] == sorted(STATE_ORDER.index(s) for s in states)
        progress = [status["progress"] for status in seen]
        assert progress == sorted(progress), "progress never goes back"
        assert any(0 < p < 1 for p, s in zip(progress, states, strict=True) if s == "running"), progress
        final = seen[-1]
        assert final["progress"] == 1.0
        assert final["scene"] == "flow-1"
        assert final["error"] is None
        assert final["created_at"] <= final["started_at"] <= final["finished_at"]
        timings = final["timings"]
        assert all(timings[name] is not None and timings[name] >= 0 for name in timings)
        assert timings["total_s"] >= timings["render_s"] > 0
        assert timings["total_s"] == pytest.approx(final["finished_at"] - final["created_at"], abs=0.05)
        output = final["output"]
        assert (output["width"], output["height"], output["fps"]) == (640, 360, 25)
        assert output["duration_s"] == pytest.approx(LONG_AUDIO_S, abs=0.05)

        response = client.get(f"/v1/renders/{render_id}/output")
        assert response.status_code == 200
        assert response.headers["content-type"] == "video/mp4"
        assert int(response.headers["content-length"]) == output["size_bytes"] == len(response.content)
        assert hashlib.sha256(response.content).hexdigest() == output["sha256"]
        assert 'filename="flow-1.mp4"' in response.headers["content-disposition"]

        partial = client.get(f"/v1/renders/{render_id}/output", headers={"Range": "bytes=100-199"})
        assert partial.status_code == 206
        assert partial.headers["content-range"] == f"bytes 100-199/{output['size_bytes']}"
        assert partial.content == response.content[100:200]

    video = tmp_path / "out.mp4"
    video.write_bytes(response.content)
    probe = ffprobe(video)
    codecs = {stream["codec_type"]: stream for stream in probe["streams"]}
    assert codecs["video"]["codec_name"] == "h264"
    assert codecs["video"]["pix_fmt"] == "yuv420p"
    assert (codecs["video"]["width"], codecs["video"]["height"]) == (640, 360)
    assert codecs["audio"]["codec_name"] == "aac"
    assert float(probe["format"]["duration"]) == pytest.approx(LONG_AUDIO_S, abs=0.1)


def test_delete_frees_the_disk_of_a_finished_render(real_renderer: Renderer, scene_urls: SceneUrls) -> None:
    with real_renderer.client() as client:
        render_id = submit(client, scene_urls.inputs(subtitles_url=scene_urls.subtitles), small_options())
        assert wait_status(client, render_id, "succeeded", "failed")["status"] == "succeeded"
        kept = real_renderer.work_files(render_id)
        assert kept, "a succeeded render keeps its MP4 until deleted or expired"
        assert not any("inputs" in name for name in kept), "inputs are removed once the MP4 exists"
        assert client.delete(f"/v1/renders/{render_id}").status_code == 204
        assert real_renderer.work_files(render_id) == []
        assert client.get(f"/v1/renders/{render_id}").status_code == 404
        assert client.get(f"/v1/renders/{render_id}/output").status_code == 404


def test_delete_cancels_a_running_render_and_stops_ffmpeg(
    real_renderer: Renderer, scene_urls: SceneUrls, long_audio: str
) -> None:
    with real_renderer.client() as client:
        render_id = submit(client, scene_urls.inputs(audio_url=long_audio), LONG_OPTIONS)
        deadline = time.monotonic() + 30
        while client.get(f"/v1/renders/{render_id}").json()["progress"] <= 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert real_renderer.children(), "ffmpeg is running"
        started = time.monotonic()
        assert client.delete(f"/v1/renders/{render_id}").status_code == 204
        assert time.monotonic() - started < 5
        assert real_renderer.work_files(render_id) == []
        assert real_renderer.children() == []
        assert client.get("/healthz").json()["busy"] is False


def test_the_same_idempotency_key_returns_the_same_render(real_renderer: Renderer, scene_urls: SceneUrls) -> None:
    with real_renderer.client() as client:
        body = {"inputs": scene_urls.inputs(), "options": small_options(), "idempotency_key": "job-7/scene-3/0"}
        first = client.post("/v1/renders", json=body)
        # A retried Lambda presigns again, so its URLs differ; the key alone decides.
        retried = client.post(
            "/v1/renders", json={**body, "inputs": scene_urls.inputs(image_url=scene_urls.image + "&x=1")}
        )
        other = client.post("/v1/renders", json={**body, "idempotency_key": "job-7/scene-4/0"})
        assert (first.status_code, retried.status_code, other.status_code) == (202, 200, 202)
        assert retried.json()["render_id"] == first.json()["render_id"] != other.json()["render_id"]
        for response in (first, other):
            wait_status(client, response.json()["render_id"], "succeeded")


def test_renders_queue_in_order_and_the_next_inputs_download_while_one_renders(
    real_renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls, long_audio: str
) -> None:
    audio = fixture_server.routes["/media/audio.wav"].body
    next_audio = [fixture_server.add(f"/flow/next-{n}.wav", body=audio) for n in (1, 2)]
    with real_renderer.client() as client:
        first = submit(client, scene_urls.inputs(audio_url=long_audio), small_options())
        queued = [submit(client, scene_urls.inputs(audio_url=url), small_options()) for url in next_audio]
        health = client.get("/healthz").json()
        assert health["busy"] is True
        assert health["queued"] + health["running"] == 3
        finished = [wait_status(client, render_id, "succeeded", "failed") for render_id in (first, *queued)]
    assert [status["status"] for status in finished] == ["succeeded"] * 3
    starts = [status["started_at"] for status in finished]
    assert starts == sorted(starts), "renders start in submission order"
    assert finished[1]["started_at"] >= finished[0]["finished_at"], "one at a time (RENDER_CONCURRENCY=1)"
    downloaded_at = fixture_server.hits_for("/flow/next-1.wav")[0].at
    assert downloaded_at < finished[0]["finished_at"], "the next scene's inputs arrived while the first rendered"
    assert finished[1]["timings"]["queued_s"] > 0


def test_stub_mode_answers_a_valid_mp4_as_long_as_the_audio(
    stub_renderer: Renderer, scene_urls: SceneUrls, tmp_path: Path
) -> None:
    starting = next(entry for entry in stub_renderer.logs() if entry["event"] == "renderer starting")
    assert starting["stub_render"] is True
    with stub_renderer.client() as client:
        render_id = submit(client, scene_urls.inputs(), {}, scene="stubbed")
        status = wait_status(client, render_id, "succeeded", "failed")
        assert status["status"] == "succeeded", status
        video = tmp_path / "stub.mp4"
        video.write_bytes(client.get(f"/v1/renders/{render_id}/output").content)
        assert client.delete(f"/v1/renders/{render_id}").status_code == 204
    probe = ffprobe(video)
    assert {stream["codec_type"] for stream in probe["streams"]} >= {"video"}
    assert float(probe["format"]["duration"]) == pytest.approx(1.5, abs=0.1)
    assert status["output"]["duration_s"] == pytest.approx(1.5, abs=0.1)
