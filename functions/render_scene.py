"""RenderScene state: submit one scene to the batch's renderer (cloudburst.pipeline.render_scene)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.pipeline.payloads import SceneStep
from cloudburst.pipeline.render_scene import render_scene
from lambda_runtime import compact_errors, logger, renderer_at, s3_client, tracer


@compact_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """event: a SceneStep (job, batch, scene, the task's endpoint and token)."""
    step = SceneStep.model_validate(event)
    logger.append_keys(job_id=step.job_id, scene=step.scene)
    render = render_scene(step, s3_client(), renderer_at(step.token)(step.endpoint))
    return render.model_dump(mode="json")
