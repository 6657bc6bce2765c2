"""PlanJob state: validate the job, check its inputs, split it into batches (cloudburst.pipeline.plan_job)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.models.job import Architecture
from cloudburst.pipeline.plan_job import PlanSettings, plan_job
from cloudburst.pipeline.settings import int_setting, setting
from lambda_runtime import compact_errors, logger, metrics, s3_client, tracer


@compact_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """event: {"job": <execution input: the job or {"job_uri"}>, "job_id": <execution name>}"""
    settings = PlanSettings(
        bucket=setting("BUCKET_NAME"),
        task_definitions={
            Architecture.X86_64: setting("TASK_DEFINITION_X86_64"),
            Architecture.ARM64: setting("TASK_DEFINITION_ARM64"),
        },
        max_task_lifetime_s=int_setting("MAX_TASK_LIFETIME_SECONDS"),
        start_timeout_s=int_setting("RENDERER_START_TIMEOUT_SECONDS"),
    )
    logger.append_keys(job_id=event["job_id"])
    plan = plan_job(event["job"], event["job_id"], s3_client(), settings)
    metrics.add_metric(name="ScenesPlanned", unit=MetricUnit.Count, value=plan.scene_count)
    metrics.add_metric(name="BatchesPlanned", unit=MetricUnit.Count, value=plan.batch_count)
    return plan.model_dump(mode="json")
