"""CopyOutput state: stream the video into S3 and verify it (cloudburst.pipeline.copy_output)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.pipeline.copy_output import copy_output
from cloudburst.pipeline.payloads import SceneStep
from lambda_runtime import compact_errors, logger, metrics, renderer_at, s3_client, tracer


@compact_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """event: a SceneStep whose render has succeeded. Returns the scene's SceneRecord."""
    step = SceneStep.model_validate(event)
    logger.append_keys(job_id=step.job_id, scene=step.scene)
    record = copy_output(step, s3_client(), renderer_at(step.token)(step.endpoint))
    metrics.add_metric(name="ScenesRendered", unit=MetricUnit.Count, value=1)
    return record.model_dump(mode="json")
