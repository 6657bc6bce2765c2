"""Fargate's billing rules, as time: which seconds of a task are paid for.

AWS bills a Fargate task from the moment it starts pulling its image (`PullStartedAt`) until it has stopped
(`StoppedAt`), per second, rounded up, with a one-minute minimum. A task that failed or was interrupted is
billed the same way (the seconds were used); a task that never started (RunTask refused it, no capacity)
costs nothing. The older library stopped its clock when its own loop returned and ignored the minimum, so
it under-reported; this module is the one place those rules live. Prices are applied elsewhere (`pricing`).
"""

from __future__ import annotations

import math

from cloudburst.models.records import TaskRecord

FARGATE_MINIMUM_BILLED_SECONDS = 60
"""Fargate's one-minute minimum charge per task (aws.amazon.com/fargate/pricing)."""

_MILLIS = 1000


def billable_seconds(duration_seconds: float) -> int:
    """Whole seconds billed for a task that ran `duration_seconds`: rounded up, at least one minute.

    ECS timestamps have millisecond precision; the duration is rounded to the millisecond first so that a
    float artefact such as 90.0000000001 is not billed as 91 s.
    """
    if not (duration_seconds >= 0 and math.isfinite(duration_seconds)):
        raise ValueError(f"duration_seconds: {duration_seconds!r} is not a duration (it must be >= 0)")
    millis = round(duration_seconds * _MILLIS)
    whole_seconds = -(-millis // _MILLIS)
    return max(FARGATE_MINIMUM_BILLED_SECONDS, whole_seconds)


def billing_start(task: TaskRecord) -> float | None:
    """When billing began: the image pull, or (if ECS gave no pull time) the container start; None if never."""
    if task.pull_started_at is not None:
        return task.pull_started_at
    return task.started_at


def billing_end(task: TaskRecord, report_time: float) -> float:
    """When billing ended: the task's stop, or the report's time for a task that is still running."""
    return task.stopped_at if task.stopped_at is not None else report_time


def task_billed_seconds(task: TaskRecord, report_time: float) -> int:
    """Seconds a task is billed for; 0 for a task that never started (no pull, no start).

    `report_time` (epoch seconds) bills a task that has no `StoppedAt` yet up to the moment of the report.
    """
    start = billing_start(task)
    if start is None:
        return 0
    end = billing_end(task, report_time)
    return billable_seconds(max(0.0, end - start))


def task_started(task: TaskRecord) -> bool:
    """A task counts as used (and as one of the report's `tasks_used`) once Fargate began billing it."""
    return billing_start(task) is not None
