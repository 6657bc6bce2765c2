"""S3 upload trigger: start the job a manifest under jobs/ describes (cloudburst.pipeline.start_job_from_upload)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.pipeline.settings import setting
from cloudburst.pipeline.start_job_from_upload import start_job_from_upload
from lambda_runtime import compact_errors, logger, metrics, s3_client, sfn_client, tracer


@compact_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=EventBridgeEvent)
def handler(event: EventBridgeEvent, context: LambdaContext) -> dict[str, Any]:
    """event: EventBridge "Object Created" from the stack's bucket, filtered by the rule to jobs/*.json."""
    outcome = start_job_from_upload(
        event.detail, s3_client(), sfn_client(), setting("STATE_MACHINE_ARN"), setting("BUCKET_NAME")
    )
    metrics.add_metric(name=f"Manifests{outcome.status.title().replace('_', '')}", unit=MetricUnit.Count, value=1)
    if outcome.status == "refused":
        logger.warning("job manifest refused", extra=outcome.model_dump(exclude_none=True))
    else:
        logger.info("job manifest handled", extra=outcome.model_dump(exclude_none=True))
    return outcome.model_dump(mode="json")
