"""RenderScene: hand one scene to the batch's renderer, with presigned URLs for its inputs.

The request carries an idempotency key (job/scene/attempt): when the state machine retries this state after
a lost answer, the renderer returns the render it already has instead of starting a second one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cloudburst.aws.renderer_client import RendererClient
from cloudburst.aws.s3 import presign_get
from cloudburst.models.job import parse_s3_uri
from cloudburst.pipeline.payloads import RenderState, SceneRequest, SceneStep
from cloudburst.pipeline.polling import first_wait_s
from cloudburst.pipeline.scene_requests import scene_request

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

URL_GRACE_S = 900
MAX_URL_LIFETIME_S = 12 * 3600
"""Presigned URLs must outlive the render's queueing and download; the Lambda role's own credentials limit
them anyway, so asking for more than 12 hours gains nothing."""


def idempotency_key(step: SceneStep) -> str:
    return f"{step.job_id}/{step.scene}/{step.attempt}"


def render_request(step: SceneStep, request: SceneRequest, s3: S3Client) -> dict[str, Any]:
    """The body of POST /v1/renders for this scene."""
    expires = int(min(MAX_URL_LIFETIME_S, request.deadline_s + URL_GRACE_S))
    urls = {f"{role}_url": presign_get(s3, *parse_s3_uri(uri), expires) for role, uri in request.inputs.items()}
    return {"inputs": urls, "options": request.options, "scene": request.name, "idempotency_key": idempotency_key(step)}


def render_scene(
    step: SceneStep, s3: S3Client, renderer: RendererClient, *, now: Callable[[], float] = time.time
) -> RenderState:
    request = scene_request(s3, step.bucket, step.scenes_key, step.scene)
    accepted = renderer.submit(render_request(step, request, s3))
    submitted_at = now()
    return RenderState(
        render_id=str(accepted["render_id"]),
        scene=step.scene,
        status=str(accepted.get("status", "queued")),
        submitted_at=submitted_at,
        deadline_at=submitted_at + request.deadline_s,
        expected_s=request.expected_s,
        wait_s=first_wait_s(request.expected_s, request.deadline_s),
    )
