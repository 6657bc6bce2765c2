"""SweepOrphanTasks: stop CloudBurst renderer tasks that have outlived any batch that could own them.

Normally a task ends three ways: released by its batch, its own IDLE_TIMEOUT, or its MAX_LIFETIME. This is
the fourth, for when all three fail (a wedged container, an execution aborted while Step Functions could not
stop the task). Tasks are recognised by the `CreatedBy=cloudburst` tag propagated from the task definition,
so tasks of other applications in a shared cluster are never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pydantic import BaseModel

from cloudburst.aws.ecs import running_tasks_with_tags, stop_task

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

OWNER_TAG = ("CreatedBy", "cloudburst")
GRACE_S = 600
"""Beyond MAX_LIFETIME, time for the renderer to stop by itself before it is stopped."""


class SweepResult(BaseModel):
    checked: int
    stopped: list[str]


def sweep_orphan_tasks(
    ecs: ECSClient, cluster: str, max_lifetime_s: int, *, now: Callable[[], float] = time.time
) -> SweepResult:
    at = now()
    stopped: list[str] = []
    tasks = running_tasks_with_tags(ecs, cluster)
    for task in tasks:
        if task.tags.get(OWNER_TAG[0]) != OWNER_TAG[1]:
            continue
        born = task.started_at or task.created_at
        if born is not None and at - born > max_lifetime_s + GRACE_S:
            stop_task(
                ecs, cluster, task.arn, f"CloudBurst sweeper: running {at - born:.0f} s, above {max_lifetime_s} s"
            )
            stopped.append(task.arn)
    return SweepResult(checked=len(tasks), stopped=stopped)
