"""The local cloud: CloudBurst's template and state machine running on one machine (see `cloud.LocalCloud`)."""

from cloudburst.local.cloud import LocalCloud, LocalCloudError
from cloudburst.local.executions import ExecutionResult, ExecutionTimeout
from cloudburst.local.task_commands import Readiness, TaskCommand

__all__ = ["ExecutionResult", "ExecutionTimeout", "LocalCloud", "LocalCloudError", "Readiness", "TaskCommand"]
