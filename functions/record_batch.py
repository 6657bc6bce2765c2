"""RecordBatch state: write the batch's record, decide on an on-demand rerun (cloudburst.pipeline.record_batch)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from cloudburst.pipeline.payloads import BatchItem
from cloudburst.pipeline.record_batch import record_batch
from lambda_runtime import compact_errors, logger, metrics, s3_client, tracer


@compact_errors
@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """event: {job_id, bucket, batch, run: [container branch result, driver branch result]}"""
    container, driver = event["run"]
    batch = BatchItem.model_validate(event["batch"])
    logger.append_keys(job_id=event["job_id"], batch=batch.index, attempt=batch.attempt)
    summary = record_batch(event["job_id"], event["bucket"], batch, container=container, driver=driver, s3=s3_client())
    metrics.add_metric(name="ScenesFailed", unit=MetricUnit.Count, value=summary.failed)
    if summary.rerun:
        logger.info("rerunning on on-demand capacity", extra={"reason": summary.reason})
        metrics.add_metric(name="SpotReruns", unit=MetricUnit.Count, value=1)
    return summary.model_dump(mode="json")
