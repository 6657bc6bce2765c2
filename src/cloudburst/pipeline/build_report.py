"""BuildReport: price the job from its batch records (`cloudburst.core.report.build_report`), write the report
and its timeline next to the videos, tell the world, and say whether the execution succeeds.

A batch whose child execution died before RecordBatch has no record: the report core counts its scenes as
not rendered, by name. A scene rerun on on-demand after Spot has two records; the core bills both tasks.
The completion event and the webhook are best effort: a receiver that is down must not fail a finished job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from cloudburst.aws.notify import (
    WebhookRefused,
    WebhookTarget,
    check_public_https,
    post_webhook,
    publish_job_finished,
)
from cloudburst.aws.s3 import get_json, list_keys, put_bytes
from cloudburst.core.pricing import bundled_price_table
from cloudburst.core.report import build_report as price_job
from cloudburst.core.scheduling import Batch, SceneWork
from cloudburst.core.timeline_html import timeline_html
from cloudburst.core.timeline_png import timeline_png
from cloudburst.models.job import ComputeOptions
from cloudburst.models.records import BatchRecord
from cloudburst.models.report import Report
from cloudburst.pipeline.plan_job import run_prefix

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)
LISTED_FAILURES = 20
RENDERER_EPHEMERAL_STORAGE_GB = 30.0
"""The task definitions' EphemeralStorage (template.yaml); the report prices what is above Fargate's free 20 GB."""


class JobOutcome(BaseModel):
    """BuildReport's result; the state machine's last Choice reads `status`, its Fail state `cause`."""

    job_id: str
    status: str  # the report's: "succeeded" | "partial" | "failed"
    report_key: str
    succeeded: int
    failed: int
    failed_scenes: list[str]
    cause: str


@dataclass(frozen=True)
class Notifier:
    """Where BuildReport announces the end of a job; `webhook_secret` is read only when a job has a webhook."""

    events: EventBridgeClient
    webhook_secret: Callable[[], str]
    post: Callable[[WebhookTarget, Mapping[str, Any], str], int] = post_webhook
    check_url: Callable[[str], WebhookTarget] = check_public_https


def load_batch_records(s3: S3Client, bucket: str, job_id: str) -> list[BatchRecord]:
    """Every record RecordBatch wrote for the job, reruns included."""
    prefix = f"{run_prefix(job_id)}batches/"
    keys = [key for key in list_keys(s3, bucket, prefix) if key.endswith(".json")]
    return [BatchRecord.model_validate(get_json(s3, bucket, key)) for key in keys]


def report_for(
    plan: Mapping[str, Any],
    records: list[BatchRecord],
    region: str,
    started_at: float,
    finished_at: float,
    *,
    cancelled: bool = False,
) -> Report:
    """The plan (plan.json) and the records, through the report core (also the CLI's, for a job that ended
    before this Lambda could run)."""
    return price_job(
        job_id=plan["job_id"],
        job_name=plan.get("name"),
        compute=ComputeOptions.model_validate(plan["compute"]),
        region=region,
        scenes=[SceneWork(s["name"], float(s["audio_seconds"])) for s in plan["scenes"]],
        batches=[Batch(b["index"], tuple(b["scenes"]), float(b["audio_seconds"])) for b in plan["batches"]],
        records=records,
        started_at=started_at,
        finished_at=max(finished_at, started_at),
        prices=bundled_price_table(),
        ephemeral_storage_gb=RENDERER_EPHEMERAL_STORAGE_GB,
        cancelled=cancelled,
    )


def outcome(report: Report, report_key: str) -> JobOutcome:
    failed = [failure.scene for failure in report.failures]
    listed = ", ".join(failed[:LISTED_FAILURES])
    if len(failed) > LISTED_FAILURES:
        listed += f" and {len(failed) - LISTED_FAILURES} more"
    if failed:
        cause = f"{len(failed)} of {report.scenes_total} scenes failed: {listed}. Report: {report_key}"
    else:
        cause = f"all {report.scenes_total} scenes succeeded. Report: {report_key}"
    return JobOutcome(
        job_id=report.job_id,
        status=report.status,
        report_key=report_key,
        succeeded=report.scenes_succeeded,
        failed=report.scenes_failed,
        failed_scenes=failed[:LISTED_FAILURES],
        cause=cause,
    )


def epoch_of(timestamp: str) -> float:
    """A Step Functions context timestamp (`$$.Execution.StartTime`, ISO 8601) in epoch seconds."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def build_report(
    job_id: str,
    bucket: str,
    plan_key: str,
    *,
    execution_started: str,
    region: str,
    s3: S3Client,
    notifier: Notifier,
    now: Callable[[], float] = time.time,
) -> JobOutcome:
    plan = get_json(s3, bucket, plan_key)
    records = load_batch_records(s3, bucket, job_id)
    report = report_for(plan, records, region, epoch_of(execution_started), now())
    report_key = write_report_files(s3, bucket, plan["output_prefix"], report)
    result = outcome(report, report_key)
    announce(result, bucket, plan, notifier)
    return result


def write_report_files(s3: S3Client, bucket: str, prefix: str, report: Report) -> str:
    """report.json, timeline.html and timeline.png next to the videos (under `prefix`); the report's key."""
    report_key = f"{prefix}report.json"
    put_bytes(s3, bucket, report_key, report.model_dump_json(indent=2).encode(), "application/json")
    put_bytes(s3, bucket, f"{prefix}timeline.html", timeline_html(report).encode(), "text/html; charset=utf-8")
    put_bytes(s3, bucket, f"{prefix}timeline.png", timeline_png(report), "image/png")
    return report_key


def announce(result: JobOutcome, bucket: str, plan: Mapping[str, Any], notifier: Notifier) -> None:
    detail = {
        "job_id": result.job_id,
        "status": result.status,
        "bucket": bucket,
        "report_key": result.report_key,
        "succeeded": result.succeeded,
        "failed": result.failed,
    }
    try:
        publish_job_finished(notifier.events, detail)
    except Exception:
        logger.exception("could not publish the job-finished event for %s", result.job_id)
    url = (plan.get("notify") or {}).get("webhook_url")
    if not url:
        return
    try:
        target = notifier.check_url(url)
        status = notifier.post(target, detail, notifier.webhook_secret())
        if status >= 300:
            logger.warning("webhook %s answered %s for job %s", url, status, result.job_id)
    except WebhookRefused as exc:
        logger.warning("webhook not called: %s", exc)
    except Exception:
        logger.exception("webhook %s failed for job %s", url, result.job_id)
