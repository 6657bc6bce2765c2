"""Scheduled: stop CloudBurst tasks older than their maximum lifetime (cloudburst.pipeline.sweep_orphan_tasks)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.pipeline.settings import int_setting, setting
from cloudburst.pipeline.sweep_orphan_tasks import sweep_orphan_tasks
from lambda_runtime import compact_errors, ecs_client, logger, metrics, tracer


@compact_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """event: the EventBridge schedule's event (unused)."""
    result = sweep_orphan_tasks(ecs_client(), setting("CLUSTER_ARN"), int_setting("MAX_TASK_LIFETIME_SECONDS"))
    if result.stopped:
        logger.warning("stopped orphaned renderer tasks", extra={"tasks": result.stopped})
    metrics.add_metric(name="OrphanTasksStopped", unit=MetricUnit.Count, value=len(result.stopped))
    return result.model_dump(mode="json")
