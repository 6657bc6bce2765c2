"""BuildReport state: write the job's report, announce the end (cloudburst.pipeline.build_report)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.aws.notify import webhook_secret
from cloudburst.pipeline.build_report import Notifier, build_report
from cloudburst.pipeline.settings import setting
from lambda_runtime import compact_errors, events_client, logger, metrics, s3_client, secrets_client, tracer


@compact_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """event: {job_id, bucket, plan_key, execution_started ($$.Execution.StartTime)}"""
    logger.append_keys(job_id=event["job_id"])
    notifier = Notifier(
        events=events_client(),
        webhook_secret=lambda: webhook_secret(secrets_client(), setting("WEBHOOK_SECRET_ARN")),
    )
    result = build_report(
        event["job_id"],
        event["bucket"],
        event["plan_key"],
        execution_started=event["execution_started"],
        region=setting("AWS_REGION"),
        s3=s3_client(),
        notifier=notifier,
    )
    metrics.add_metric(name=f"Jobs{result.status.capitalize()}", unit=MetricUnit.Count, value=1)
    return result.model_dump(mode="json")
