"""CloudBurst's tasks in a cluster: list them and stop them, by the `CreatedBy=cloudburst` tag.

The state machine stops every task it starts, and the orphan sweeper catches what slips through; these are
the manual safety net the older library offered (`list_running_tasks`, `cleanup_all_tasks`), but paginated
(ECS lists at most 100 tasks a page) and limited to CloudBurst's own tasks, so nothing else in a shared
cluster is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudburst.aws.ecs import list_task_arns, stop_task, task_view
from cloudburst.pipeline.sweep_orphan_tasks import OWNER_TAG

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

_DESCRIBE_BATCH = 100


@dataclass(frozen=True)
class CloudBurstTask:
    arn: str
    task_definition: str | None
    group: str | None
    last_status: str
    desired_status: str
    cpu_units: int | None
    memory_mib: int | None
    created_at: float | None
    started_at: float | None
    private_ip: str | None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def job_id(self) -> str | None:
        """The job the task works for, from its group (`cloudburst:<job id>:<batch>:<attempt>`)."""
        parts = (self.group or "").split(":")
        return parts[1] if len(parts) == 4 and parts[0] == "cloudburst" else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "task_arn": self.arn,
            "task_definition": self.task_definition,
            "job_id": self.job_id,
            "group": self.group,
            "status": self.last_status,
            "desired_status": self.desired_status,
            "cpu": self.cpu_units,
            "memory": self.memory_mib,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "private_ip": self.private_ip,
            "tags": dict(self.tags),
        }


@dataclass
class CleanupResult:
    stopped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # task ARN → why it could not be stopped
    kept: dict[str, str] = field(default_factory=dict)  # task ARN → why it was left alone (its job is running)


JobIsRunning = Callable[[str], bool]


def list_cloudburst_tasks(ecs: ECSClient, cluster: str, *, job_id: str | None = None) -> list[CloudBurstTask]:
    """CloudBurst's tasks that ECS has not stopped (pending and running), all pages; optionally one job's."""
    arns = list(list_task_arns(ecs, cluster, "RUNNING"))
    found = []
    for start in range(0, len(arns), _DESCRIBE_BATCH):
        described = ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + _DESCRIBE_BATCH], include=["TAGS"])
        for raw in described.get("tasks", []):
            task = _task(dict(raw))
            if task.tags.get(OWNER_TAG[0]) == OWNER_TAG[1] and (job_id is None or task.job_id == job_id):
                found.append(task)
    return sorted(found, key=lambda task: (task.created_at or 0.0, task.arn))


def stop_cloudburst_tasks(
    ecs: ECSClient,
    cluster: str,
    reason: str = "cloudburst tasks cleanup",
    *,
    job_id: str | None = None,
    job_is_running: JobIsRunning | None = None,
) -> CleanupResult:
    """Stop CloudBurst's running tasks (optionally one job's); every failure is reported, none hides the rest.

    With `job_is_running`, a task whose job is still running is kept: it is working, and stopping it would
    fail that job's scenes. Without it, every task is stopped."""
    result = CleanupResult()
    for task in list_cloudburst_tasks(ecs, cluster, job_id=job_id):
        if job_is_running is not None and task.job_id is not None and job_is_running(task.job_id):
            result.kept[task.arn] = f"job {task.job_id} is running (cancel the job, or stop all tasks)"
            continue
        try:
            stop_task(ecs, cluster, task.arn, reason)
        except (ClientError, BotoCoreError) as exc:
            result.failed[task.arn] = str(exc)
        else:
            result.stopped.append(task.arn)
    return result


def _task(raw: dict[str, Any]) -> CloudBurstTask:
    view = task_view(raw)
    return CloudBurstTask(
        arn=view.arn,
        task_definition=raw.get("taskDefinitionArn"),
        group=view.group,
        last_status=view.last_status,
        desired_status=view.desired_status,
        cpu_units=int(raw["cpu"]) if raw.get("cpu") else None,
        memory_mib=int(raw["memory"]) if raw.get("memory") else None,
        created_at=view.created_at,
        started_at=view.started_at,
        private_ip=view.private_ip,
        tags=view.tags,
    )
