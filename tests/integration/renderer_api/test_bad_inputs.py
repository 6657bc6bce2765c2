"""Inputs that cannot be rendered: each fails its render with a specific error naming the input, answers the
right 4xx on its output, and leaves nothing on disk. Downloads are real, from the fixture server, into the
shared real renderer (whose fetch timeouts are short)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudburst.renderer.media.stderr_summary import MAX_CHARS
from tests.integration.media.helpers import garbled_m4a
from tests.integration.renderer_api.conftest import (
    SECRET_QUERY,
    FixtureServer,
    Renderer,
    SceneUrls,
    small_options,
    wait_status,
)


@pytest.fixture
def renderer(real_renderer: Renderer) -> Renderer:
    return real_renderer


def fail(
    renderer: Renderer, inputs: dict[str, str], options: dict[str, Any] | None = None
) -> tuple[dict[str, Any], Any]:
    """Submit, wait for failure, and return the error and the output's response."""
    with renderer.client() as client:
        body = {"inputs": inputs, "options": options or small_options(), "scene": "bad"}
        response = client.post("/v1/renders", json=body)
        assert response.status_code == 202, response.text
        render_id = response.json()["render_id"]
        status = wait_status(client, render_id, "succeeded", "failed")
        assert status["status"] == "failed", status
        assert status["output"] is None
        assert renderer.work_files(render_id) == [], "a failed render leaves nothing on disk"
        return status["error"], client.get(f"/v1/renders/{render_id}/output")


def test_html_posing_as_audio_is_unsupported(
    renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls
) -> None:
    page = fixture_server.add("/bad/error-page.mp3", body=b"<html><body>Access Denied</body></html>")
    error, output = fail(renderer, scene_urls.inputs(audio_url=page))
    assert error["code"] == "unsupported_input"
    assert error["field"] == "inputs.audio_url"
    assert error["message"].startswith("audio: expected MP3, WAV, M4A/AAC, Ogg (Vorbis/Opus) or FLAC audio")
    assert "an XML or HTML document" in error["message"]
    assert output.status_code == 422
    assert output.json()["error"] == error


def test_an_hls_playlist_named_mp3_is_refused_before_ffmpeg_sees_it(
    renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls
) -> None:
    playlist = fixture_server.add("/bad/playlist.mp3", body=b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n")
    error, output = fail(renderer, scene_urls.inputs(audio_url=playlist))
    assert error["code"] == "unsupported_input"
    assert "an HLS/M3U playlist" in error["message"]
    assert output.status_code == 422


def test_a_corrupt_image_is_unreadable(
    renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls
) -> None:
    broken = fixture_server.add("/bad/broken.png", body=b"\x89PNG\r\n\x1a\n" + b"\x00garbage" * 50)
    error, output = fail(renderer, scene_urls.inputs(image_url=broken))
    assert error["code"] == "input_unreadable"
    assert error["field"] == "inputs.image_url"
    assert error["message"].startswith("image")
    assert output.status_code == 422


def test_an_m4a_whose_payload_does_not_decode_gets_one_short_line(
    renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls, tmp_path: Path
) -> None:
    """Hundreds of lines of decoder complaints become the first one or two; the log keeps them all."""
    garbled = fixture_server.add("/bad/garbled.m4a", body=garbled_m4a(tmp_path / "garbled.m4a").read_bytes())
    error, output = fail(renderer, scene_urls.inputs(audio_url=garbled))
    assert (error["code"], error["field"]) == ("input_unreadable", "inputs.audio_url")
    lead = "audio: ffmpeg cannot decode this M4A audio: "
    assert error["message"].startswith(lead)
    said = error["message"].removeprefix(lead)
    assert 0 < len(said) <= MAX_CHARS
    for noise in ("0x", "@", "Error while decoding", "exited with status", "/", "|"):
        assert noise not in said
    assert output.status_code == 422
    logged = [event for event in renderer.logs() if event.get("event") == "ffmpeg failed"]
    assert logged, "the whole stderr goes to the renderer's log"
    stderr = logged[-1]["stderr"]
    assert (logged[-1]["step"], logged[-1]["scene"]) == ("audio check", "bad")
    assert stderr.count("\n") > 10
    assert "[aac @ 0x" in stderr
    assert said.split("; ")[0] in stderr


def test_an_expired_presigned_url_gets_the_403_message(
    renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls
) -> None:
    expired = fixture_server.add("/bad/expired.wav", status=403, body=b"<Error><Code>AccessDenied</Code></Error>")
    error, output = fail(renderer, scene_urls.inputs(audio_url=expired))
    assert error["code"] == "input_download_failed"
    assert error["field"] == "inputs.audio_url"
    assert error["message"].startswith("the presigned URL for audio was refused (403): it may have expired")
    assert output.status_code == 409
    assert len(fixture_server.hits_for("/bad/expired.wav")) == 1, "a 403 is not retried"


def test_a_missing_object_gets_the_404_message(
    renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls
) -> None:
    error, _ = fail(renderer, scene_urls.inputs(subtitles_url=fixture_server.url("/bad/nowhere.srt")))
    assert error["field"] == "inputs.subtitles_url"
    assert error["message"].startswith("subtitles was not found (404) at http://127.0.0.1:")


def test_a_declared_size_over_the_cap_is_refused_without_downloading(
    renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls
) -> None:
    huge = fixture_server.add("/bad/huge.wav", body=b"RIFF", declared_length=3 * 1024**3)
    error, output = fail(renderer, scene_urls.inputs(audio_url=huge))
    assert error["code"] == "input_too_large"
    assert error["message"] == "audio is 3221225472 bytes, more than the limit of 2147483648 bytes (MAX_INPUT_BYTES)"
    assert output.status_code == 413
    assert output.json()["error"]["code"] == "input_too_large"


def test_a_stalled_server_times_out_after_the_retries(
    renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls
) -> None:
    stalled = fixture_server.add("/bad/stalled.png", body=b"\x89PNG\r\n\x1a\n", stall_s=3.0)
    error, _ = fail(renderer, scene_urls.inputs(image_url=stalled))
    assert error["code"] == "input_download_failed"
    assert "failed after 3 attempts: timed out (ReadTimeout)" in error["message"]
    assert len(fixture_server.hits_for("/bad/stalled.png")) == 3


def test_a_redirect_to_a_local_file_is_refused(
    renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls
) -> None:
    sneaky = fixture_server.add("/bad/redirect.png", status=302, headers={"Location": "file:///etc/passwd"})
    error, _ = fail(renderer, scene_urls.inputs(image_url=sneaky))
    assert error["message"] == (
        "image: the server redirected to a refused URL: file: is refused: inputs must be http:// or https:// URLs "
        "(presigned S3 URLs)"
    )


def test_transient_server_errors_are_retried_and_the_render_succeeds(
    renderer: Renderer, fixture_server: FixtureServer, scene_urls: SceneUrls
) -> None:
    audio = fixture_server.routes["/media/audio.wav"].body
    flaky = fixture_server.add("/bad/flaky.wav", body=audio, fail_first=2, fail_status=503)
    with renderer.client() as client:
        render_id = client.post(
            "/v1/renders", json={"inputs": scene_urls.inputs(audio_url=flaky), "options": small_options()}
        ).json()["render_id"]
        status = wait_status(client, render_id, "succeeded", "failed")
    assert status["status"] == "succeeded", status
    assert len(fixture_server.hits_for("/bad/flaky.wav")) == 3


def test_presigned_query_strings_never_reach_the_logs(renderer: Renderer) -> None:
    """Runs after the failures above: every URL they sent carried the fake signature."""
    text = renderer.log_path.read_text(encoding="utf-8")
    assert "render failed" in text
    assert SECRET_QUERY.split("=", 1)[1] not in text


def test_a_margin_that_pushes_the_subtitles_off_the_frame_is_an_invalid_request(
    renderer: Renderer, scene_urls: SceneUrls
) -> None:
    options = small_options(subtitles={"margin": 2000})
    error, output = fail(renderer, scene_urls.inputs(subtitles_url=scene_urls.subtitles), options)
    assert error["code"] == "invalid_request"
    assert error["field"] == "options.subtitles.margin"
    assert error["message"].startswith("options.subtitles.margin: 2000 px leaves no room for a ")
    assert "in the 320x180 frame" in error["message"]
    assert output.status_code == 400
    assert output.json()["error"] == error
