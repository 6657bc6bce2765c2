"""CopyOutput: stream a finished video from the renderer into S3 and prove it arrived whole.

The body goes from the HTTP response to S3 multipart parts one part at a time (constant memory, whatever
the video's size). Size and SHA-256 are compared with what the renderer measured; a mismatch deletes the
object and raises `OutputMismatch` (retried: the copy runs again). Only then is the render deleted on the
renderer, freeing its disk for the batch's next scenes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cloudburst.aws.renderer_client import RendererClient
from cloudburst.aws.s3 import UploadResult, delete_object, upload_stream
from cloudburst.models.records import SceneRecord, SceneStatus
from cloudburst.pipeline.errors import OutputMismatch, PipelineError
from cloudburst.pipeline.payloads import RenderState, SceneStep
from cloudburst.pipeline.scene_requests import scene_request

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

VIDEO_CONTENT_TYPE = "video/mp4"


def copy_output(
    step: SceneStep, s3: S3Client, renderer: RendererClient, *, now: Callable[[], float] = time.time
) -> SceneRecord:
    render = step.render
    if render is None or render.output is None:
        raise OutputMismatch(f"scene {step.scene}: no finished render to copy")
    request = scene_request(s3, step.bucket, step.scenes_key, step.scene)
    with renderer.output(render.render_id) as stream:
        uploaded = upload_stream(s3, step.bucket, request.output_key, stream.chunks, content_type=VIDEO_CONTENT_TYPE)
        announced = stream.content_length
    problem = _mismatch(render.output, uploaded, announced)
    if problem:
        delete_object(s3, step.bucket, request.output_key)
        raise OutputMismatch(f"scene {step.scene}: {problem}")
    copied_at = now()
    with contextlib.suppress(PipelineError):  # the video is safe in S3; releasing the task frees its disk anyway
        renderer.delete(render.render_id)
    return scene_record(
        step,
        render,
        audio_seconds=request.audio_seconds,
        key=request.output_key,
        uploaded=uploaded,
        copied_at=copied_at,
    )


def _mismatch(output: dict[str, Any], uploaded: UploadResult, announced: int | None) -> str | None:
    expected_size = output.get("size_bytes")
    if announced is not None and announced != uploaded.size:
        return f"the stream ended after {uploaded.size} of {announced} bytes"
    if expected_size is not None and int(expected_size) != uploaded.size:
        return f"copied {uploaded.size} bytes but the renderer reported {expected_size}"
    expected_sha = output.get("sha256")
    if expected_sha and str(expected_sha).lower() != uploaded.sha256:
        return f"copied SHA-256 {uploaded.sha256} differs from the renderer's {expected_sha}"
    return None


def scene_record(
    step: SceneStep, render: RenderState, *, audio_seconds: float, key: str, uploaded: UploadResult, copied_at: float
) -> SceneRecord:
    timings = render.timings or {}
    output = render.output or {}
    return SceneRecord(
        name=step.scene,
        status=SceneStatus.SUCCEEDED,
        batch_index=step.batch_index,
        attempt=step.attempt,
        audio_seconds=audio_seconds,
        output_key=key,
        size_bytes=uploaded.size,
        sha256=uploaded.sha256,
        duration_s=output.get("duration_s"),
        submitted_at=render.submitted_at,
        render_started_at=render.started_at,
        render_finished_at=render.finished_at,
        copied_at=copied_at,
        download_s=timings.get("download_s"),
        render_s=timings.get("render_s"),
        polls=render.polls,
    )
