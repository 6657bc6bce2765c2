"""PollRender state: check a render and choose the next wait (cloudburst.pipeline.poll_render)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.pipeline.errors import OutputMismatch
from cloudburst.pipeline.payloads import SceneStep
from cloudburst.pipeline.poll_render import poll_render
from lambda_runtime import compact_errors, logger, renderer_at, tracer


@compact_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """event: a SceneStep with the render being polled."""
    step = SceneStep.model_validate(event)
    logger.append_keys(job_id=step.job_id, scene=step.scene)
    if step.render is None:
        raise OutputMismatch(f"scene {step.scene}: PollRender needs the render that RenderScene submitted")
    render = poll_render(step.render, renderer_at(step.token)(step.endpoint))
    return render.model_dump(mode="json")
