"""The cost a job has run up so far, while it runs: its Fargate tasks, billed by the same rules and prices as
the final report (`cloudburst.core.billing`, `cloudburst.core.pricing`), with running tasks billed up to now.

Only Fargate is counted here: it is nearly all of a job's cost and the only part that grows by the second.
The report, written when the job ends, adds Lambda, Step Functions and S3.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from cloudburst.core.billing import task_billed_seconds
from cloudburst.core.pricing import PriceTable, bundled_price_table, fargate_cost
from cloudburst.core.profiles import profile_for_size
from cloudburst.models.job import Architecture, Capacity, Profile
from cloudburst.models.records import TaskRecord

_MIB_PER_GB = 1024
_UNITS_PER_VCPU = 1024


def fargate_cost_so_far(
    tasks: Iterable[TaskRecord], region: str, now: float, prices: PriceTable | None = None
) -> float | None:
    """USD for these tasks' billed seconds up to `now`; None when the region has no prices."""
    table = prices or bundled_price_table()
    total = 0.0
    try:
        for task in tasks:
            rates = table.fargate_rates(region, task.architecture, task.capacity)
            seconds = task_billed_seconds(task, now)
            total += fargate_cost(seconds, task.cpu_units / _UNITS_PER_VCPU, task.memory_mib / _MIB_PER_GB, rates)
    except ValueError:
        return None
    return total


def task_record_from_ecs(task: Mapping[str, Any], architecture: Architecture) -> TaskRecord:
    """A running task as DescribeTasks shows it (boto3's shape), in the record form the billing rules take."""
    cpu_units = int(task.get("cpu") or 0)
    memory_mib = int(task.get("memory") or 0)
    capacity = Capacity.SPOT if task.get("capacityProviderName") == "FARGATE_SPOT" else Capacity.ON_DEMAND
    return TaskRecord(
        task_arn=task.get("taskArn"),
        profile=profile_for_size(cpu_units, memory_mib) or Profile.STANDARD,
        capacity=capacity,
        architecture=architecture,
        cpu_units=cpu_units,
        memory_mib=memory_mib,
        capacity_provider=task.get("capacityProviderName"),
        created_at=_epoch(task.get("createdAt")),
        pull_started_at=_epoch(task.get("pullStartedAt")),
        started_at=_epoch(task.get("startedAt")),
        stopped_at=_epoch(task.get("stoppedAt")),
    )


def _epoch(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None
