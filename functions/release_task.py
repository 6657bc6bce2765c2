"""ReleaseTask state: shut the batch's renderer down, StopTask as the fallback (cloudburst.pipeline.release_task)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.pipeline.payloads import BatchItem, TaskLocation
from cloudburst.pipeline.release_task import release_task
from cloudburst.pipeline.settings import setting
from lambda_runtime import compact_errors, ecs_client, logger, metrics, renderer_at, tracer

RELEASE_METRICS = {
    "shutdown": "TasksReleasedByShutdown",
    "stop_task": "TasksStoppedByFallback",
    None: "TasksNotReleased",
}
"""One count per release, whichever way it went: a rise in fallbacks means renderers stopped answering."""


@compact_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """event: the driver branch's whole state ({job_id, bucket, batch, task?, scenes?, driver_error?})."""
    batch = BatchItem.model_validate(event["batch"])
    task = TaskLocation.model_validate(event["task"]) if event.get("task") else None
    logger.append_keys(job_id=event.get("job_id"), group=batch.group)
    release = release_task(batch, task, ecs_client(), setting("CLUSTER_ARN"), renderer_at(batch.token))
    if release.released_by is None:
        logger.warning("batch task not released", extra={"note": release.note})
    metrics.add_metric(name=RELEASE_METRICS[release.released_by], unit=MetricUnit.Count, value=1)
    return release.model_dump(mode="json")
