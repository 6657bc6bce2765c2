"""FindTask: find the renderer task that the sibling `runTask.sync` branch started, and wait for its API.

Raises `TaskNotReady` (the state machine retries it with backoff) until the task runs and `GET /healthz`
answers; `TaskStoppedBeforeReady` if the task died first; `TaskStartTimedOut` once the batch's start timeout
has passed since the state was first entered, so a RunTask that never launched cannot hold the batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from cloudburst.aws.ecs import TaskView, find_task_in_group
from cloudburst.aws.renderer_client import RENDERER_PORT, RendererClient, endpoint_for
from cloudburst.pipeline.errors import RendererUnavailable, TaskNotReady, TaskStartTimedOut, TaskStoppedBeforeReady
from cloudburst.pipeline.payloads import TaskLocation

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient


def seconds_since(entered_time: str, now: float) -> float:
    """Seconds since a Step Functions context timestamp (`$$.State.EnteredTime`, ISO 8601 with Z)."""
    return now - datetime.fromisoformat(entered_time.replace("Z", "+00:00")).timestamp()


def find_task(
    group: str,
    entered_time: str,
    start_timeout_s: float,
    *,
    ecs: ECSClient,
    cluster: str,
    renderer_at: Callable[[str], RendererClient],
    now: Callable[[], float] = time.time,
) -> TaskLocation:
    waited = seconds_since(entered_time, now())

    def not_ready(reason: str) -> Exception:
        if waited >= start_timeout_s:
            return TaskStartTimedOut(
                f"task group {group}: {reason} after {waited:.0f} s (limit {start_timeout_s:.0f} s)"
            )
        return TaskNotReady(f"task group {group}: {reason}")

    task = find_task_in_group(ecs, cluster, group)
    if task is None:
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


def _stopped_message(task: TaskView) -> str:
    why = ": ".join(part for part in (task.stop_code, task.stopped_reason) if part) or "no reason given"
    return f"task {task.arn} stopped before its API answered ({why})"
