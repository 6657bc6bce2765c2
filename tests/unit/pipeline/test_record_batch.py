"""RecordBatch: branch results in, BatchRecord in S3 and the rerun decision out."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from cloudburst.models.records import BatchRecord, SceneStatus
from cloudburst.pipeline.payloads import BatchItem
from cloudburst.pipeline.record_batch import record_batch
from tests.unit.pipeline.support import BUCKET

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

JOB = "story-0123456789ab"
MS = 1_800_000_000_000


def batch(capacity: str = "spot", attempt: int = 0) -> BatchItem:
    provider = "FARGATE_SPOT" if capacity == "spot" else "FARGATE"
    return BatchItem(
        index=2,
        attempt=attempt,
        group=f"cloudburst:{JOB}:2:{attempt}",
        scenes=["a", "b", "c"],
        scenes_key=f"runs/{JOB}/scenes/2.json",
        audio_seconds=30.0,
        token="old-token",
        profile="standard",
        capacity=capacity,
        architecture="x86_64",
        capacity_provider_strategy=[{"CapacityProvider": provider, "Weight": 1}],
        cpu="2048",
        memory="4096",
        task_definition="arn:td:1",
        idle_timeout="900",
        max_lifetime="3600",
        run_timeout_s=3900,
        start_timeout_s=600,
        scenes_in_flight=2,
    )


def container_ok(stop_code: str = "EssentialContainerExited") -> dict[str, Any]:
    return {
        "task_arn": "arn:task/1",
        "capacity_provider": "FARGATE_SPOT",
        "cpu": "2048",
        "memory": "4096",
        "created_at": MS,
        "pull_started_at": MS + 5_000,
        "started_at": MS + 40_000,
        "stopping_at": MS + 100_000,
        "stopped_at": MS + 110_000,
        "stop_code": stop_code,
        "stopped_reason": "Essential container in task exited",
        "exit_code": 0,
    }


def succeeded(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "status": "succeeded",
        "batch_index": 2,
        "attempt": 0,
        "output_key": f"o/{name}.mp4",
        "polls": 3,
    }


LAMBDA_CAUSE = json.dumps(
    {
        "errorMessage": "scene b: unsupported_input: audio: got a PDF",
        "errorType": "RenderFailed",
        "stackTrace": ["  File x"],
    }
)


def stored(s3: S3Client, key: str) -> BatchRecord:
    return BatchRecord.model_validate_json(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def test_a_finished_batch_is_recorded_with_times_in_seconds(s3: S3Client) -> None:
    driver = {
        "scenes": [
            succeeded("a"),
            {
                "name": "b",
                "status": "failed",
                "batch_index": 2,
                "attempt": 0,
                "error_code": "RenderFailed",
                "error": LAMBDA_CAUSE,
            },
            succeeded("c"),
        ],
        "release": {"released_by": "shutdown"},
    }
    summary = record_batch(JOB, BUCKET, batch(), container=container_ok(), driver=driver, s3=s3)
    assert (summary.succeeded, summary.failed, summary.rerun, summary.next_batch) == (2, 1, False, None)
    record = stored(s3, summary.record_key)
    assert summary.record_key == f"runs/{JOB}/batches/2.json"
    assert record.task is not None
    assert record.task.pull_started_at == pytest.approx(1_800_000_005.0)
    assert (record.task.cpu_units, record.task.exit_code, record.task.capacity_provider) == (2048, 0, "FARGATE_SPOT")
    failed = record.scenes[1]
    assert (failed.status, failed.error_code, failed.error) == (
        SceneStatus.FAILED,
        "RenderFailed",
        "unsupported_input: audio: got a PDF",  # the record is the scene's: its name is not repeated
    )
    assert record.released_by == "shutdown"


def test_a_spot_interruption_reruns_only_the_unfinished_scenes_on_demand(s3: S3Client) -> None:
    driver = {"scenes": [succeeded("a")], "driver_error": None, "release": {"released_by": "stop_task"}}
    tokens = iter(["fresh-token"])
    summary = record_batch(
        JOB,
        BUCKET,
        batch(),
        container=container_ok("SpotInterruption"),
        driver=driver,
        s3=s3,
        new_token=lambda: next(tokens),
    )
    assert summary.rerun
    assert summary.reason == "the Spot task was interrupted"
    rerun = BatchItem.model_validate(summary.next_batch)
    assert rerun.scenes == ["b", "c"]
    assert rerun.attempt == 1
    assert rerun.capacity_provider_strategy == [{"CapacityProvider": "FARGATE", "Weight": 1}]
    assert rerun.group == f"cloudburst:{JOB}:2:1"
    assert rerun.token == "fresh-token"
    assert stored(s3, summary.record_key).scenes[1].error_code == "BatchFailed"

    second = record_batch(JOB, BUCKET, rerun, container=container_ok("SpotInterruption"), driver={"scenes": []}, s3=s3)
    assert second.record_key == f"runs/{JOB}/batches/2.attempt1.json"
    assert not second.rerun


def test_spot_capacity_that_never_came_reruns_everything(s3: S3Client) -> None:
    container = {
        "failed": True,
        "error": "AmazonECS.Unknown",
        "cause": "Capacity is unavailable at this time. Please try again later or in a different availability zone",
    }
    driver = {
        "driver_error": {"Error": "TaskStartTimedOut", "Cause": json.dumps({"errorMessage": "no task after 600 s"})}
    }
    summary = record_batch(JOB, BUCKET, batch(), container=container, driver=driver, s3=s3)
    assert summary.rerun
    assert summary.reason == "Spot capacity was unavailable"
    assert BatchItem.model_validate(summary.next_batch).scenes == ["a", "b", "c"]
    record = stored(s3, summary.record_key)
    assert record.driver_error == "TaskStartTimedOut: no task after 600 s"
    assert record.task is not None
    assert record.task.launch_error is not None
    assert record.task.launch_error.startswith("AmazonECS.Unknown: Capacity is unavailable")
    assert {s.error for s in record.scenes} == {"TaskStartTimedOut: no task after 600 s"}


def test_on_demand_failures_are_recorded_not_rerun(s3: S3Client) -> None:
    stopped_task = {
        "TaskArn": "arn:task/9",
        "StopCode": "EssentialContainerExited",
        "StoppedAt": MS,
        "Containers": [{"ExitCode": 137}],
    }
    container = {"failed": True, "error": "States.TaskFailed", "cause": json.dumps(stopped_task)}
    summary = record_batch(
        JOB, BUCKET, batch("on-demand"), container=container, driver={"scenes": [succeeded("a")]}, s3=s3
    )
    assert not summary.rerun
    assert summary.failed == 2
    task = stored(s3, summary.record_key).task
    assert task is not None
    assert (task.task_arn, task.exit_code, task.stopped_at) == ("arn:task/9", 137, 1_800_000_000.0)
