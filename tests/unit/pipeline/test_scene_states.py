"""RenderScene → PollRender → CopyOutput for one scene, against moto S3 and the in-memory renderer."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest

from cloudburst.models.records import SceneStatus
from cloudburst.pipeline.copy_output import copy_output
from cloudburst.pipeline.errors import OutputMismatch, RenderFailed, RenderRejected, RenderTimedOut
from cloudburst.pipeline.payloads import SceneRequest, SceneStep
from cloudburst.pipeline.poll_render import poll_render
from cloudburst.pipeline.render_scene import render_scene
from tests.unit.pipeline.support import BUCKET, FakeRenderer

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

JOB = "story-0123456789ab"
SCENES_KEY = f"runs/{JOB}/scenes/0.json"
T0 = 1_800_000_000.0


@pytest.fixture
def step(s3: S3Client) -> SceneStep:
    request = SceneRequest(
        name="s1",
        inputs={"image": f"s3://{BUCKET}/in/a.png", "audio": f"s3://{BUCKET}/in/a.wav"},
        options={"effect": "zoom_in"},
        audio_seconds=12.0,
        expected_s=20.0,
        deadline_s=380.0,
        output_key=f"outputs/{JOB}/s1.mp4",
    )
    s3.put_object(Bucket=BUCKET, Key=SCENES_KEY, Body=json.dumps([request.model_dump(mode="json")]).encode())
    return SceneStep(
        job_id=JOB,
        bucket=BUCKET,
        batch_index=0,
        attempt=0,
        scenes_key=SCENES_KEY,
        scene="s1",
        endpoint="http://10.0.1.23:8080",
        token="t",
    )


def test_one_scene_from_submission_to_a_verified_copy(s3: S3Client, step: SceneStep) -> None:
    renderer = FakeRenderer()
    render = render_scene(step, s3, renderer, now=lambda: T0)
    request = renderer.requests[0]
    assert request["idempotency_key"] == f"{JOB}/s1/0"
    assert request["scene"] == "s1"
    assert request["options"] == {"effect": "zoom_in"}
    image_url = urlsplit(request["inputs"]["image_url"])
    assert image_url.path.endswith("/in/a.png")
    assert "X-Amz-Signature" in parse_qs(image_url.query)
    assert set(request["inputs"]) == {"image_url", "audio_url"}
    assert render.deadline_at == T0 + 380
    assert render.status == "queued"
    assert 2 <= render.wait_s <= 20 / 2  # an early first look (the model errs long), not at its estimate

    renderer.start(render.render_id, at=T0 + 1, progress=0.5)
    render = poll_render(render, renderer, now=lambda: T0 + 11)
    assert (render.status, render.polls) == ("running", 1)
    assert 8 <= render.wait_s <= 10  # half done after 10 s: about 10 s to go

    renderer.finish(render.render_id, at=T0 + 20)
    render = poll_render(render, renderer, now=lambda: T0 + 21)
    assert render.status == "succeeded"
    assert render.output is not None

    record = copy_output(step.model_copy(update={"render": render}), s3, renderer, now=lambda: T0 + 22)
    stored = s3.get_object(Bucket=BUCKET, Key=f"outputs/{JOB}/s1.mp4")
    body = stored["Body"].read()
    assert body == renderer.video
    assert stored["ContentType"] == "video/mp4"
    assert record.status is SceneStatus.SUCCEEDED
    assert record.sha256 == hashlib.sha256(body).hexdigest()
    assert record.size_bytes == len(body)
    assert (record.polls, record.copied_at, record.render_s, record.audio_seconds) == (2, T0 + 22, 3.0, 12.0)
    assert renderer.deleted == [render.render_id]


def test_resubmitting_after_a_lost_answer_returns_the_same_render(s3: S3Client, step: SceneStep) -> None:
    renderer = FakeRenderer()
    first = render_scene(step, s3, renderer, now=lambda: T0)
    again = render_scene(step, s3, renderer, now=lambda: T0 + 3)
    assert first.render_id == again.render_id
    assert len(renderer.renders) == 1


def test_a_refused_request_is_a_named_error(s3: S3Client, step: SceneStep) -> None:
    renderer = FakeRenderer()
    renderer.reject_with = "input_unreadable"
    with pytest.raises(RenderRejected, match="input_unreadable"):
        render_scene(step, s3, renderer)


def test_a_failed_render_carries_the_renderers_reason(s3: S3Client, step: SceneStep) -> None:
    renderer = FakeRenderer()
    render = render_scene(step, s3, renderer, now=lambda: T0)
    renderer.fail(render.render_id, "unsupported_input", "audio: expected MP3 ..., got an HLS/M3U playlist")
    with pytest.raises(RenderFailed, match="scene s1: unsupported_input: audio: expected MP3"):
        poll_render(render, renderer, now=lambda: T0 + 5)


@pytest.mark.parametrize(
    ("message", "field", "said"),
    [
        (
            "audio: ffmpeg cannot decode this M4A audio: Reserved bit set",
            "inputs.audio_url",
            "scene s1: input_unreadable: audio (inputs.audio_url): ffmpeg cannot decode this M4A audio: "
            "Reserved bit set",
        ),
        (
            "audio was not found (404) at https://example.com/a.m4a",
            "inputs.audio_url",
            "scene s1: input_unreadable: audio was not found (404) at https://example.com/a.m4a (inputs.audio_url)",
        ),
        ("the render failed: encode: x", None, "scene s1: input_unreadable: the render failed: encode: x"),
    ],
)
def test_a_failed_inputs_field_goes_with_the_input_it_names(
    s3: S3Client, step: SceneStep, message: str, field: str | None, said: str
) -> None:
    renderer = FakeRenderer()
    render = render_scene(step, s3, renderer, now=lambda: T0)
    renderer.fail(render.render_id, "input_unreadable", message, field)
    with pytest.raises(RenderFailed) as caught:
        poll_render(render, renderer, now=lambda: T0 + 5)
    assert str(caught.value) == said


def test_a_render_past_its_deadline_is_cancelled(s3: S3Client, step: SceneStep) -> None:
    renderer = FakeRenderer()
    render = render_scene(step, s3, renderer, now=lambda: T0)
    renderer.start(render.render_id, at=T0, progress=0.1)
    with pytest.raises(RenderTimedOut, match="still running at 10% after 381 s"):
        poll_render(render, renderer, now=lambda: T0 + 381)
    assert renderer.deleted == [render.render_id]


def test_waits_never_pass_the_deadline(s3: S3Client, step: SceneStep) -> None:
    renderer = FakeRenderer()
    render = render_scene(step, s3, renderer, now=lambda: T0)
    renderer.start(render.render_id, at=T0, progress=0.02)  # estimates ~49 s... but deadline is 5 s away
    polled = poll_render(render, renderer, now=lambda: T0 + 375)
    assert polled.wait_s <= 6


def test_a_short_copy_is_deleted_and_retried_not_recorded(s3: S3Client, step: SceneStep) -> None:
    renderer = FakeRenderer()
    render = render_scene(step, s3, renderer, now=lambda: T0)
    renderer.finish(render.render_id, at=T0 + 1)
    render = poll_render(render, renderer, now=lambda: T0 + 2)
    renderer.corrupt_stream = True
    with pytest.raises(OutputMismatch, match="stream ended after"):
        copy_output(step.model_copy(update={"render": render}), s3, renderer)
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="outputs/")
    assert renderer.deleted == []  # the render stays on the renderer for the retry
