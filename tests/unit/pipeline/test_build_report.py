"""BuildReport: plan and records in moto S3 → report, timeline, the completion event and the signed webhook."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from cloudburst.aws.notify import WebhookTarget
from cloudburst.models.job import Architecture
from cloudburst.pipeline.build_report import Notifier, build_report
from cloudburst.pipeline.payloads import BatchItem
from cloudburst.pipeline.plan_job import PlanSettings, plan_job
from cloudburst.pipeline.record_batch import record_batch
from tests.unit.pipeline.support import BUCKET, png_bytes, wav_bytes
from tests.unit.pipeline.test_record_batch import MS, container_ok

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client

JOB = "story-0123456789ab"
SETTINGS = PlanSettings(
    bucket=BUCKET,
    task_definitions={Architecture.X86_64: "arn:td/x86:1", Architecture.ARM64: "arn:td/arm:1"},
    max_task_lifetime_s=21600,
)
STARTED = "2027-01-15T08:00:00Z"


def planned_job(s3: S3Client, notify: dict[str, Any] | None = None) -> Any:
    s3.put_object(Bucket=BUCKET, Key="in/a.png", Body=png_bytes())
    s3.put_object(Bucket=BUCKET, Key="in/a.wav", Body=wav_bytes(2.0))
    job: dict[str, Any] = {
        "name": "story",
        "scenes": [{"name": n, "image": "in/a.png", "audio": "in/a.wav"} for n in ("s1", "s2", "s3")],
        "batching": {"strategy": "count", "scenes_per_task": 3},
    }
    if notify:
        job["notify"] = notify
    return plan_job(job, JOB, s3, SETTINGS)


def scene(name: str, ok: bool) -> dict[str, Any]:
    if not ok:
        return {
            "name": name,
            "status": "failed",
            "error_code": "RenderFailed",
            "error": "render_failed: ffmpeg exited 1",
        }
    start = MS / 1000
    return {
        "name": name,
        "status": "succeeded",
        "batch_index": 0,
        "attempt": 0,
        "audio_seconds": 2.0,
        "output_key": f"outputs/{JOB}/{name}.mp4",
        "size_bytes": 1000,
        "duration_s": 2.0,
        "submitted_at": start + 41,
        "render_started_at": start + 42,
        "render_finished_at": start + 50,
        "copied_at": start + 51,
        "render_s": 8.0,
    }


class Events:
    def __init__(self) -> None:
        self.client: EventBridgeClient = boto3.client("events", region_name="us-east-1")
        self.stubber = Stubber(self.client)

    def expect_one_event(self) -> None:
        self.stubber.add_response(
            "put_events",
            {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]},
            {
                "Entries": [
                    {
                        "Source": "cloudburst",
                        "DetailType": "CloudBurst Job Finished",
                        "Detail": ANY,
                        "EventBusName": "default",
                    }
                ]
            },
        )


def test_all_scenes_succeeded(s3: S3Client) -> None:
    plan = planned_job(s3)
    batch = BatchItem.model_validate(json.loads(s3.get_object(Bucket=BUCKET, Key=plan.batches_key)["Body"].read())[0])
    record_batch(
        JOB,
        BUCKET,
        batch,
        container=container_ok(),
        driver={"scenes": [scene(n, True) for n in ("s1", "s2", "s3")]},
        s3=s3,
    )
    events = Events()
    events.expect_one_event()
    with events.stubber:
        result = build_report(
            JOB,
            BUCKET,
            plan.plan_key,
            execution_started=STARTED,
            region="us-east-1",
            s3=s3,
            notifier=Notifier(events.client, lambda: "unused"),
            now=lambda: MS / 1000 + 200,
        )
        events.stubber.assert_no_pending_responses()
    assert (result.status, result.succeeded, result.failed) == ("succeeded", 3, 0)
    assert result.report_key == f"outputs/{JOB}/report.json"
    report = json.loads(s3.get_object(Bucket=BUCKET, Key=result.report_key)["Body"].read())
    assert report["scenes_succeeded"] == 3
    assert report["cost"]["total_usd"] > 0
    png = s3.get_object(Bucket=BUCKET, Key=f"outputs/{JOB}/timeline.png")
    assert png["ContentType"] == "image/png"
    assert png["Body"].read().startswith(b"\x89PNG")
    assert b"<svg" in s3.get_object(Bucket=BUCKET, Key=f"outputs/{JOB}/timeline.html")["Body"].read()


def test_failures_are_named_and_the_webhook_is_signed_and_posted(s3: S3Client) -> None:
    plan = planned_job(s3, notify={"webhook_url": "https://hooks.example.com/cloudburst"})
    batch = BatchItem.model_validate(json.loads(s3.get_object(Bucket=BUCKET, Key=plan.batches_key)["Body"].read())[0])
    record_batch(
        JOB, BUCKET, batch, container=container_ok(), driver={"scenes": [scene("s1", True), scene("s2", False)]}, s3=s3
    )
    posts: list[tuple[str, Mapping[str, Any], str]] = []

    def post(target: WebhookTarget, payload: Mapping[str, Any], secret: str) -> int:
        posts.append((target.url, payload, secret))
        return 204

    events = Events()
    events.expect_one_event()
    with events.stubber:
        public = "93.184.216.34"
        notifier = Notifier(
            events.client, lambda: "s3cret", post=post, check_url=lambda url: WebhookTarget(url, public)
        )
        result = build_report(
            JOB,
            BUCKET,
            plan.plan_key,
            execution_started=STARTED,
            region="us-east-1",
            s3=s3,
            notifier=notifier,
            now=lambda: MS / 1000 + 200,
        )
    assert result.status == "partial"
    assert result.failed_scenes == ["s2", "s3"]
    assert result.cause == f"2 of 3 scenes failed: s2, s3. Report: outputs/{JOB}/report.json"
    assert posts == [
        (
            "https://hooks.example.com/cloudburst",
            {
                "job_id": JOB,
                "status": "partial",
                "bucket": BUCKET,
                "report_key": result.report_key,
                "succeeded": 1,
                "failed": 2,
            },
            "s3cret",
        )
    ]


def test_a_broken_event_bus_or_webhook_does_not_fail_the_report(s3: S3Client, caplog: pytest.LogCaptureFixture) -> None:
    plan = planned_job(s3, notify={"webhook_url": "http://10.0.0.1/hook"})
    events = Events()
    events.stubber.add_client_error("put_events", "AccessDeniedException")
    with events.stubber:
        result = build_report(
            JOB,
            BUCKET,
            plan.plan_key,
            execution_started=STARTED,
            region="us-east-1",
            s3=s3,
            notifier=Notifier(events.client, lambda: "x"),
            now=lambda: MS / 1000,
        )
    assert result.status == "failed"
    assert result.failed == 3
    assert "could not publish" in caplog.text
    assert "must be an https:// URL" in caplog.text
