"""ECS as the driver Lambdas see it: find the task a `runTask.sync` state started, stop tasks, list ours.

Step Functions starts the renderer task itself and forces `startedBy` to "AWS Step Functions"; ListTasks
cannot filter by group, so the task is found by listing those tasks, describing them and matching `group`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

STARTED_BY_STEP_FUNCTIONS = "AWS Step Functions"
_DESCRIBE_BATCH = 100  # DescribeTasks takes at most 100 tasks per call


@dataclass(frozen=True)
class TaskView:
    """The facts about one task that the pipeline acts on."""

    arn: str
    group: str | None
    last_status: str
    desired_status: str
    private_ip: str | None
    host_port: int | None = None
    created_at: float | None = None
    started_at: float | None = None
    stopped_reason: str | None = None
    stop_code: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def stopped(self) -> bool:
        return self.last_status in ("DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED")


def _epoch(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


def _private_ip(task: Any) -> str | None:
    """The task's awsvpc address: from the ENI attachment (Fargate) or the container's interface."""
    for attachment in task.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address" and detail.get("value"):
                return str(detail["value"])
    for container in task.get("containers", []):
        for interface in container.get("networkInterfaces", []):
            if interface.get("privateIpv4Address"):
                return str(interface["privateIpv4Address"])
    return None


def _host_port(task: Any) -> int | None:
    """The port the container is published on, when ECS reports a binding (awsvpc: the container port)."""
    for container in task.get("containers", []):
        for binding in container.get("networkBindings", []):
            if binding.get("hostPort"):
                return int(binding["hostPort"])
    return None


def task_view(task: Any) -> TaskView:
    return TaskView(
        arn=task["taskArn"],
        group=task.get("group"),
        last_status=task.get("lastStatus", "UNKNOWN"),
        desired_status=task.get("desiredStatus", "UNKNOWN"),
        private_ip=_private_ip(task),
        host_port=_host_port(task),
        created_at=_epoch(task.get("createdAt")),
        started_at=_epoch(task.get("startedAt")),
        stopped_reason=task.get("stoppedReason"),
        stop_code=task.get("stopCode"),
        tags={tag["key"]: tag["value"] for tag in task.get("tags", []) if "key" in tag and "value" in tag},
    )


def list_task_arns(
    ecs: ECSClient,
    cluster: str,
    desired_status: Literal["RUNNING", "PENDING", "STOPPED"],
    started_by: str | None = None,
) -> Iterator[str]:
    """Task ARNs in the cluster, across pages."""
    params: dict[str, Any] = {"cluster": cluster, "desiredStatus": desired_status}
    if started_by:
        params["startedBy"] = started_by
    for page in ecs.get_paginator("list_tasks").paginate(**params):
        yield from page.get("taskArns", [])


def describe_tasks(ecs: ECSClient, cluster: str, arns: Sequence[str], with_tags: bool = False) -> list[TaskView]:
    views: list[TaskView] = []
    for start in range(0, len(arns), _DESCRIBE_BATCH):
        chunk = list(arns[start : start + _DESCRIBE_BATCH])
        if with_tags:
            response = ecs.describe_tasks(cluster=cluster, tasks=chunk, include=["TAGS"])
        else:
            response = ecs.describe_tasks(cluster=cluster, tasks=chunk)
        views.extend(task_view(task) for task in response.get("tasks", []))
    return views


def find_task_in_group(ecs: ECSClient, cluster: str, group: str) -> TaskView | None:
    """The task of a batch attempt, running or stopped; None when ECS has not created it (yet).

    Tasks whose desired status is RUNNING are searched first (they include PENDING ones); a task that has
    already stopped is still reported, so the caller can tell "not started yet" from "died while starting".
    """
    desired_statuses: tuple[Literal["RUNNING", "STOPPED"], ...] = ("RUNNING", "STOPPED")
    for desired in desired_statuses:
        arns = list(list_task_arns(ecs, cluster, desired, started_by=STARTED_BY_STEP_FUNCTIONS))
        for view in describe_tasks(ecs, cluster, arns):
            if view.group == group:
                return view
    return None


def stop_task(ecs: ECSClient, cluster: str, task_arn: str, reason: str) -> None:
    ecs.stop_task(cluster=cluster, task=task_arn, reason=reason[:255])


def running_tasks_with_tags(ecs: ECSClient, cluster: str) -> list[TaskView]:
    """Every task the cluster wants running, with its tags (the orphan sweeper's view)."""
    return describe_tasks(ecs, cluster, list(list_task_arns(ecs, cluster, "RUNNING")), with_tags=True)
