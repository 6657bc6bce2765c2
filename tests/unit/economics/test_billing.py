"""Fargate's billing rules on worked examples: per second, rounded up, one-minute minimum, from image pull to
stop; failed and interrupted tasks are billed, tasks that never started are not."""

from __future__ import annotations

import math

import pytest

from cloudburst.core.billing import (
    FARGATE_MINIMUM_BILLED_SECONDS,
    billable_seconds,
    task_billed_seconds,
    task_started,
)
from cloudburst.models.records import TaskRecord

T0 = 1_800_000_000.0


def _task(**times: float | None) -> TaskRecord:
    return TaskRecord(
        profile="standard", capacity="on-demand", architecture="x86_64", cpu_units=2048, memory_mib=4096, **times
    )


@pytest.mark.parametrize(
    ("duration", "billed"),
    [
        (0.0, 60),  # the minimum
        (1.0, 60),
        (59.999, 60),
        (60.0, 60),
        (60.001, 61),  # any part of a second is a whole second
        (61.5, 62),
        (90.0000000001, 90),  # a float artefact below a millisecond is not a second
        (3600.0, 3600),
    ],
)
def test_billable_seconds(duration: float, billed: int) -> None:
    assert billable_seconds(duration) == billed


@pytest.mark.parametrize("duration", [-1.0, math.nan, math.inf])
def test_billable_seconds_refuses_what_is_not_a_duration(duration: float) -> None:
    with pytest.raises(ValueError, match="duration_seconds"):
        billable_seconds(duration)


def test_a_task_is_billed_from_image_pull_to_stop_not_from_creation() -> None:
    task = _task(created_at=T0, pull_started_at=T0 + 25.0, started_at=T0 + 40.0, stopped_at=T0 + 145.2)
    assert task_billed_seconds(task, report_time=T0 + 1000) == 121  # 120.2 s rounded up


def test_a_short_task_pays_the_minute() -> None:
    task = _task(pull_started_at=T0, stopped_at=T0 + 12.0)
    assert task_billed_seconds(task, report_time=T0 + 1000) == FARGATE_MINIMUM_BILLED_SECONDS


def test_a_crashed_task_is_billed_like_any_other() -> None:
    crashed = _task(pull_started_at=T0, started_at=T0 + 10, stopped_at=T0 + 95.0).model_copy(update={"exit_code": 137})
    assert task_billed_seconds(crashed, report_time=T0 + 1000) == 95


def test_a_task_that_never_started_costs_nothing() -> None:
    never = _task(created_at=T0).model_copy(update={"launch_error": "RESOURCE:FARGATE"})
    assert task_billed_seconds(never, report_time=T0 + 1000) == 0
    assert not task_started(never)


def test_a_running_task_is_billed_up_to_the_report_time() -> None:
    running = _task(pull_started_at=T0, started_at=T0 + 20)
    assert task_billed_seconds(running, report_time=T0 + 300.4) == 301
    assert task_started(running)


def test_without_a_pull_time_billing_starts_at_the_container_start() -> None:
    task = _task(started_at=T0, stopped_at=T0 + 200)
    assert task_billed_seconds(task, report_time=T0 + 1000) == 200
