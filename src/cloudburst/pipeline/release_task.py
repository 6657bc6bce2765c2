"""ReleaseTask: end the batch's renderer task, whatever happened in the driver branch.

First the polite way, `POST /v1/shutdown` (the renderer cancels what is left, cleans up and exits 0, so the
sibling `runTask.sync` branch succeeds); when the API does not answer, `StopTask` (SIGTERM, which the
renderer also turns into exit 0). It never raises: a release that fails is recorded, and the orphan sweeper
and the task's own MAX_LIFETIME are the remaining safety nets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import BaseModel

from cloudburst.aws.ecs import find_task_in_group, stop_task
from cloudburst.aws.renderer_client import RendererClient
from cloudburst.pipeline.errors import PipelineError
from cloudburst.pipeline.payloads import BatchItem, TaskLocation

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient


class Release(BaseModel):
    released_by: Literal["shutdown", "stop_task"] | None
    task_arn: str | None = None
    note: str | None = None


def release_task(
    batch: BatchItem,
    task: TaskLocation | None,
    ecs: ECSClient,
    cluster: str,
    renderer_at: Callable[[str], RendererClient],
) -> Release:
    problems: list[str] = []
    if task is not None:
        try:
            renderer_at(task.endpoint).shutdown("cancel")
            return Release(released_by="shutdown", task_arn=task.task_arn)
        except PipelineError as exc:
            problems.append(f"shutdown failed: {exc}")
    try:
        arn = task.task_arn if task is not None else None
        if arn is None:
            found = find_task_in_group(ecs, cluster, batch.group)
            if found is None or found.stopped:
                problems.append("no running task in the batch's group")
                return Release(released_by=None, task_arn=found.arn if found else None, note="; ".join(problems))
            arn = found.arn
        stop_task(ecs, cluster, arn, f"CloudBurst released batch {batch.index} (attempt {batch.attempt})")
        return Release(released_by="stop_task", task_arn=arn, note="; ".join(problems) or None)
    except (ClientError, BotoCoreError) as exc:
        problems.append(f"StopTask failed: {exc}")
        return Release(released_by=None, task_arn=task.task_arn if task else None, note="; ".join(problems))
