"""FindTask: find the renderer task that the sibling `runTask.sync` branch started, and wait for its API.

Raises `TaskNotReady` (the state machine retries it with backoff) until the task runs and `GET /healthz`
answers. Three answers are final: `TaskStoppedBeforeReady` if the task died first, `TaskLaunchFailed` if the
container branch recorded that RunTask gave up (so a Spot shortage falls back to on-demand within minutes),
and `TaskStartTimedOut` once the batch's start timeout has passed since the state was first entered.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cloudburst.aws.ecs import TaskView, find_task_in_group
from cloudburst.aws.renderer_client import RENDERER_PORT, RendererClient, endpoint_for
from cloudburst.aws.s3 import get_bytes, head_object
from cloudburst.pipeline.errors import (
    RendererUnavailable,
    TaskLaunchFailed,
    TaskNotReady,
    TaskStartTimedOut,
    TaskStoppedBeforeReady,
)
from cloudburst.pipeline.payloads import TaskLocation

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class TaskSearch:
    """What FindTask's event says about the task it looks for."""

    group: str
    entered_time: str
    start_timeout_s: float
    bucket: str
    launch_failure_key: str


def launch_failure_key(job_id: str, batch_index: int, attempt: int) -> str:
    """Where the container branch records that RunTask gave up (the ASL builds the same key)."""
    return f"runs/{job_id}/launch-failures/{batch_index}.{attempt}.json"


def seconds_since(entered_time: str, now: float) -> float:
    """Seconds since a Step Functions context timestamp (`$$.State.EnteredTime`, ISO 8601 with Z)."""
    return now - datetime.fromisoformat(entered_time.replace("Z", "+00:00")).timestamp()


def find_task(
    search: TaskSearch,
    *,
    ecs: ECSClient,
    s3: S3Client,
    cluster: str,
    renderer_at: Callable[[str], RendererClient],
    now: Callable[[], float] = time.time,
) -> TaskLocation:
    waited = seconds_since(search.entered_time, now())

    def not_ready(reason: str) -> Exception:
        if waited >= search.start_timeout_s:
            limit = f"{waited:.0f} s (limit {search.start_timeout_s:.0f} s)"
            return TaskStartTimedOut(f"task group {search.group}: {reason} after {limit}")
        return TaskNotReady(f"task group {search.group}: {reason}")

    task = find_task_in_group(ecs, cluster, search.group)
    if task is None:
        if head_object(s3, search.bucket, search.launch_failure_key) is not None:
            raise TaskLaunchFailed(_launch_failure(get_bytes(s3, search.bucket, search.launch_failure_key)))
        raise not_ready("no task has been started yet")
    if task.stopped:
        raise TaskStoppedBeforeReady(_stopped_message(task))
    if task.last_status != "RUNNING" or not task.private_ip:
        raise not_ready(f"task {task.arn} is {task.last_status}")
    port = task.host_port or RENDERER_PORT
    endpoint = endpoint_for(task.private_ip, port)
    try:
        renderer_at(endpoint).health()
    except RendererUnavailable as exc:
        raise not_ready(f"the renderer API does not answer yet ({exc})") from None
    return TaskLocation(task_arn=task.arn, address=task.private_ip, port=port, endpoint=endpoint)


def _launch_failure(recorded: bytes) -> str:
    """The container branch's caught error ({"Error", "Cause"}) as one line, with RunTask's failure reasons.

    Parsed leniently: the document may arrive JSON-encoded once more (the local interpreter encodes a string
    Body again), and the Cause of AmazonECS.Unknown is itself RunTask's JSON with its `Failures`.
    """
    failure = _json_object(recorded.decode("utf-8", "replace"))
    if failure is None:
        return "RunTask gave up (its error could not be read)"
    cause = str(failure.get("Cause") or "")
    details = _json_object(cause)
    reasons = [str(f.get("Reason")) for f in (details or {}).get("Failures", []) if isinstance(f, dict)]
    return f"RunTask gave up: {failure.get('Error', 'error')}: {'; '.join(reasons) or cause or 'no cause given'}"


def _json_object(text: str) -> dict[str, Any] | None:
    value: Any = text
    for _ in range(3):  # a string may hold JSON, which may hold JSON
        if not isinstance(value, str):
            break
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, dict) else None


def _stopped_message(task: TaskView) -> str:
    why = ": ".join(part for part in (task.stop_code, task.stopped_reason) if part) or "no reason given"
    return f"task {task.arn} stopped before its API answered ({why})"
