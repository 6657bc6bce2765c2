"""FindTask state: find the batch's renderer task and wait for its API (cloudburst.pipeline.find_task)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.pipeline.find_task import find_task
from cloudburst.pipeline.settings import setting
from lambda_runtime import ecs_client, logger, metrics, renderer_at, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """event: {"group", "entered_time" ($$.State.EnteredTime), "start_timeout_s", "token"}"""
    logger.append_keys(group=event["group"])
    location = find_task(
        event["group"],
        event["entered_time"],
        float(event["start_timeout_s"]),
        ecs=ecs_client(),
        cluster=setting("CLUSTER_ARN"),
        renderer_at=renderer_at(event["token"]),
    )
    return location.model_dump(mode="json")
