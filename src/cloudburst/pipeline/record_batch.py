"""RecordBatch: turn what RunBatch's two branches returned into the batch's `BatchRecord` in S3, and decide
whether the batch must run again on on-demand capacity.

The container branch returns the trimmed `runTask.sync` result (or, when it failed, the error and its cause,
which for a stopped task is the task itself); the driver branch returns its state: the task it found, one
record per scene (a `SceneRecord` from CopyOutput or a caught failure), its own error if any, and the
release. A Spot task that was interrupted, or Spot capacity that never came, sends the scenes that did not
succeed back to RunBatch once, on FARGATE (attempt 1).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from cloudburst.aws.s3 import put_json
from cloudburst.core.naming import task_group
from cloudburst.models.job import Capacity
from cloudburst.models.records import BatchRecord, SceneRecord, SceneStatus, TaskRecord
from cloudburst.pipeline import compute
from cloudburst.pipeline.errors import MAX_MESSAGE_CHARS
from cloudburst.pipeline.payloads import BatchItem
from cloudburst.pipeline.plan_job import batch_record_key

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SPOT_INTERRUPTION = "SpotInterruption"
_SPOT_SHORTAGE_HINTS = ("capacity is unavailable", "insufficient capacity", "no spot capacity", "resource:fargate")


class BatchSummary(BaseModel):
    """RecordBatch's result: small, because the Distributed Map collects one per batch."""

    index: int
    attempt: int
    succeeded: int
    failed: int
    record_key: str
    rerun: bool
    reason: str | None = None
    next_batch: dict[str, Any] | None = None


def record_batch(
    job_id: str,
    bucket: str,
    batch: BatchItem,
    *,
    container: Mapping[str, Any],
    driver: Mapping[str, Any],
    s3: S3Client,
    new_token: Callable[[], str] = lambda: secrets.token_urlsafe(32),
) -> BatchSummary:
    task = task_record(batch, container)
    driver_error = error_text(driver.get("driver_error"))
    scenes = scene_records(batch, driver.get("scenes"), driver_error)
    release = driver.get("release") or {}
    record = BatchRecord(
        job_id=job_id,
        batch_index=batch.index,
        attempt=batch.attempt,
        task=task,
        scenes=scenes,
        driver_error=driver_error,
        released_by=release.get("released_by") if isinstance(release, Mapping) else None,
    )
    key = batch_record_key(job_id, batch.index, batch.attempt)
    put_json(s3, bucket, key, record.model_dump(mode="json"))
    unfinished = [s.name for s in scenes if s.status is not SceneStatus.SUCCEEDED]
    reason = spot_rerun_reason(batch, task) if unfinished else None
    next_batch = on_demand_rerun(batch, unfinished, job_id, new_token()) if reason else None
    return BatchSummary(
        index=batch.index,
        attempt=batch.attempt,
        succeeded=len(scenes) - len(unfinished),
        failed=len(unfinished),
        record_key=key,
        rerun=next_batch is not None,
        reason=reason,
        next_batch=next_batch.model_dump(mode="json") if next_batch else None,
    )


def error_text(error: Any) -> str | None:
    """A caught Step Functions error (`{"Error", "Cause"}`) as one short sentence. A Lambda's cause is its
    error payload (JSON with errorMessage and a stack trace): only the message is kept."""
    if not isinstance(error, Mapping):
        return None
    name = str(error.get("Error") or error.get("error") or "Error")
    cause = error.get("Cause", error.get("cause"))
    message = cause_message(cause)
    text = f"{name}: {message}" if message else name
    return text[:MAX_MESSAGE_CHARS]


def cause_message(cause: Any) -> str:
    if not isinstance(cause, str) or not cause:
        return ""
    try:
        parsed = json.loads(cause)
    except ValueError:
        return cause[:MAX_MESSAGE_CHARS]
    if isinstance(parsed, dict):
        for field in ("errorMessage", "StoppedReason", "message"):
            if parsed.get(field):
                return str(parsed[field])[:MAX_MESSAGE_CHARS]
    return cause[:MAX_MESSAGE_CHARS]


def scene_reason(scene: str, message: str) -> str:
    """A scene's error as its record keeps it. The Lambdas name the scene (`scene s1: …`) for the execution
    history and their logs; the record is the scene's own and every display puts its name in front, so the
    prefix would only say it twice."""
    return message.removeprefix(f"scene {scene}: ")


def task_record(batch: BatchItem, container: Mapping[str, Any]) -> TaskRecord:
    """The task as the report needs it, whether the container branch succeeded or failed."""
    launch_error: str | None = None
    facts: Mapping[str, Any] = container
    if container.get("failed"):
        launch_error = error_text({"Error": container.get("error"), "Cause": container.get("cause")})
        facts = _task_in_cause(container.get("cause"))
    containers = facts.get("Containers")
    exit_code = facts.get("exit_code")
    if exit_code is None and isinstance(containers, list) and containers and isinstance(containers[0], Mapping):
        exit_code = containers[0].get("ExitCode")
    return TaskRecord(
        task_arn=_first(facts, "task_arn", "TaskArn"),
        profile=batch.profile,
        capacity=batch.capacity,
        architecture=batch.architecture,
        cpu_units=int(_first(facts, "cpu", "Cpu") or batch.cpu),
        memory_mib=int(_first(facts, "memory", "Memory") or batch.memory),
        capacity_provider=_first(facts, "capacity_provider", "CapacityProviderName"),
        created_at=TaskRecord.epoch_seconds(_first(facts, "created_at", "CreatedAt")),
        pull_started_at=TaskRecord.epoch_seconds(_first(facts, "pull_started_at", "PullStartedAt")),
        pull_stopped_at=TaskRecord.epoch_seconds(_first(facts, "pull_stopped_at", "PullStoppedAt")),
        started_at=TaskRecord.epoch_seconds(_first(facts, "started_at", "StartedAt")),
        stopping_at=TaskRecord.epoch_seconds(_first(facts, "stopping_at", "StoppingAt")),
        stopped_at=TaskRecord.epoch_seconds(_first(facts, "stopped_at", "StoppedAt")),
        stop_code=_first(facts, "stop_code", "StopCode"),
        stopped_reason=_first(facts, "stopped_reason", "StoppedReason"),
        exit_code=exit_code,
        launch_error=launch_error,
    )


def _first(facts: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if facts.get(name) is not None:
            return facts[name]
    return None


def _task_in_cause(cause: Any) -> Mapping[str, Any]:
    """A `runTask.sync` that failed because the task stopped badly carries the task (PascalCase) as its cause."""
    if isinstance(cause, str):
        try:
            parsed = json.loads(cause)
        except ValueError:
            return {}
        if isinstance(parsed, dict) and ("TaskArn" in parsed or "StopCode" in parsed):
            return parsed
    return {}


def scene_records(batch: BatchItem, results: Any, driver_error: str | None) -> list[SceneRecord]:
    """One record per scene of the batch, in batch order; a scene the driver never reported is failed with
    the driver's error (or a plain 'not rendered')."""
    reported: dict[str, SceneRecord] = {}
    for item in results if isinstance(results, list) else []:
        if not isinstance(item, Mapping) or "name" not in item:
            continue
        if item.get("status") == SceneStatus.SUCCEEDED.value:
            record = SceneRecord.model_validate(item)
        else:
            record = SceneRecord(
                name=str(item["name"]),
                status=SceneStatus.FAILED,
                batch_index=batch.index,
                attempt=batch.attempt,
                error_code=str(item.get("error_code") or "Unknown"),
                error=scene_reason(str(item["name"]), cause_message(item.get("error"))) or None,
            )
        reported[record.name] = record
    missing_reason = driver_error or "the batch ended before this scene was rendered"
    return [
        reported.get(name)
        or SceneRecord(
            name=name,
            status=SceneStatus.FAILED,
            batch_index=batch.index,
            attempt=batch.attempt,
            error_code="BatchFailed",
            error=missing_reason,
        )
        for name in batch.scenes
    ]


def spot_rerun_reason(batch: BatchItem, task: TaskRecord) -> str | None:
    """Why this batch's unfinished scenes deserve an on-demand rerun; None when they do not."""
    if batch.capacity is not Capacity.SPOT or batch.attempt > 0:
        return None
    if task.stop_code == SPOT_INTERRUPTION:
        return "the Spot task was interrupted"
    launch = (task.launch_error or "").lower()
    if task.started_at is None and any(hint in launch for hint in _SPOT_SHORTAGE_HINTS):
        return "Spot capacity was unavailable"
    return None


def on_demand_rerun(batch: BatchItem, scenes: list[str], job_id: str, token: str) -> BatchItem:
    return batch.model_copy(
        update={
            "attempt": batch.attempt + 1,
            "group": task_group(job_id, batch.index, batch.attempt + 1),
            "scenes": scenes,
            "token": token,
            "capacity": Capacity.ON_DEMAND,
            "capacity_provider_strategy": compute.capacity_provider_strategy(Capacity.ON_DEMAND),
        }
    )
