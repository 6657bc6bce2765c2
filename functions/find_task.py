"""FindTask state: find the batch's renderer task and wait for its API (cloudburst.pipeline.find_task)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.pipeline.find_task import TaskSearch, find_task
from cloudburst.pipeline.settings import setting
from lambda_runtime import compact_errors, ecs_client, logger, renderer_at, s3_client, tracer


@compact_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """event: {"group", "entered_time" ($$.State.EnteredTime), "start_timeout_s", "token", "bucket",
    "launch_failure_key"}"""
    logger.append_keys(group=event["group"])
    search = TaskSearch(
        group=event["group"],
        entered_time=event["entered_time"],
        start_timeout_s=float(event["start_timeout_s"]),
        bucket=event["bucket"],
        launch_failure_key=event["launch_failure_key"],
    )
    location = find_task(
        search,
        ecs=ecs_client(),
        s3=s3_client(),
        cluster=setting("CLUSTER_ARN"),
        renderer_at=renderer_at(event["token"]),
    )
    return location.model_dump(mode="json")
