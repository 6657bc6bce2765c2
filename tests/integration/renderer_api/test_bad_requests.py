"""Requests the renderer refuses up front: a 400 naming the field, before anything is queued or downloaded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.renderer_api.conftest import FixtureServer, Renderer, SceneUrls

GOOD_IMAGE = "http://127.0.0.1:9/image.png"
GOOD_AUDIO = "http://127.0.0.1:9/audio.wav"


def body(**changes: Any) -> dict[str, Any]:
    request: dict[str, Any] = {"inputs": {"image_url": GOOD_IMAGE, "audio_url": GOOD_AUDIO}}
    request.update(changes)
    return request


BAD_REQUESTS = [
    (body(inputs={"image_url": GOOD_IMAGE, "audio_url": "file:///etc/passwd"}), "inputs.audio_url", "file: is refused"),
    (body(inputs={"image_url": "ftp://host/a.png", "audio_url": GOOD_AUDIO}), "inputs.image_url", "ftp: is refused"),
    (
        body(inputs={"image_url": GOOD_IMAGE, "audio_url": GOOD_AUDIO, "subtitles_url": "data:text/plain,1"}),
        "inputs.subtitles_url",
        "data: is refused",
    ),
    (
        body(inputs={"image_url": GOOD_IMAGE, "audio_url": GOOD_AUDIO, "watermark_url": "http://169.254.169.254/x"}),
        "inputs.watermark_url",
        "link-local",
    ),
    (body(inputs={"image_url": GOOD_IMAGE}), "inputs.audio_url", "Field required"),
    (
        body(inputs={"image_url": GOOD_IMAGE, "audio_url": GOOD_AUDIO, "video_url": "x"}),
        "inputs.video_url",
        "unknown field; expected one of audio_url, image_url, subtitles_url, watermark_url",
    ),
    (body(options={"quality": {"crf": 99}}), "options.quality.crf", "less than or equal to 51"),
    (body(options={"effect": "spin"}), "options.effect", "'zoom_in'"),
    (body(options={"width": 321, "height": 180}), "options.width", "even"),
    (body(options={"width": 320}), "options.height", "give both or neither"),
    (body(options={"width": 7680, "height": 4320}), "options.width", "4K UHD"),
    (body(options={"subtitles": {"box_opacity": 2}}), "options.subtitles.box_opacity", "less than or equal to 1"),
    (body(scene="../etc"), "scene", "should match pattern"),
    (body(idempotency_key=""), "idempotency_key", "should match pattern"),
    (body(extra=1), "extra", "unknown field; expected one of idempotency_key, inputs, options, scene"),
    (body(options={"efect": "zoom_in"}), "options.efect", "unknown field; did you mean 'effect'?"),
    (body(options={"subtitles": {"language": "chinese"}}), "options.subtitles.language", "did you mean 'zh'?"),
]


@pytest.mark.parametrize(("request_body", "field", "fragment"), BAD_REQUESTS)
def test_a_bad_request_is_refused_naming_the_field(
    stub_renderer: Renderer, request_body: dict[str, Any], field: str, fragment: str
) -> None:
    with stub_renderer.client() as client:
        response = client.post("/v1/renders", json=request_body)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert error["field"] == field
        assert error["message"].startswith(f"{field}: ")
        assert fragment in error["message"]
        assert client.get("/healthz").json()["queued"] == 0


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "the body is empty"),
        (b"{not json", "Invalid JSON"),
        (b"[]", "should be an object"),
        (b"x" * 1_100_000, "larger"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(stub_renderer: Renderer, content: bytes, fragment: str) -> None:
    with stub_renderer.client() as client:
        response = client.post("/v1/renders", content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
    assert fragment in response.json()["error"]["message"]


def test_a_bad_shutdown_mode_is_refused_and_the_renderer_keeps_running(stub_renderer: Renderer) -> None:
    with stub_renderer.client() as client:
        response = client.post("/v1/shutdown", json={"mode": "later"})
        assert response.status_code == 400
        assert response.json()["error"]["field"] == "mode"
        assert client.get("/healthz").json()["status"] == "ok"


def test_unknown_renders_and_routes_are_404_and_wrong_methods_405(stub_renderer: Renderer) -> None:
    with stub_renderer.client() as client:
        for method, path in [
            ("GET", "/v1/renders/nope"),
            ("GET", "/v1/renders/nope/output"),
            ("DELETE", "/v1/renders/nope"),
        ]:
            response = client.request(method, path)
            assert response.status_code == 404
            assert response.json()["error"] == {
                "code": "not_found",
                "message": "no render 'nope' (unknown, deleted or expired)",
            }
        assert client.get("/v2/renders").json()["error"]["code"] == "not_found"
        response = client.put("/v1/renders")
        assert response.status_code == 405
        assert response.json()["error"]["code"] == "invalid_request"


def test_output_is_409_until_the_render_succeeded(
    stub_renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls
) -> None:
    slow = fixture_server.add(
        "/bad-requests/slow.png", body=fixture_server.routes["/media/image.png"].body, stall_s=1.0
    )
    with stub_renderer.client() as client:
        render_id = client.post("/v1/renders", json={"inputs": scene_urls.inputs(image_url=slow)}).json()["render_id"]
        response = client.get(f"/v1/renders/{render_id}/output")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "not_ready"
        assert client.delete(f"/v1/renders/{render_id}").status_code == 204
