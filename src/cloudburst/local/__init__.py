"""The local cloud: CloudBurst's template and state machine running on one machine (see `cloud.LocalCloud`).

The names below are loaded on first use: importing them loads moto and the whole emulator, which
`python -m cloudburst.local status|stop` and the client's state-file lookup have no need for.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudburst.local.cloud import LocalCloud, LocalCloudError
    from cloudburst.local.executions import ExecutionResult, ExecutionTimeout
    from cloudburst.local.task_commands import Readiness, TaskCommand

__all__ = ["ExecutionResult", "ExecutionTimeout", "LocalCloud", "LocalCloudError", "Readiness", "TaskCommand"]

_HOMES = {
    "LocalCloud": "cloudburst.local.cloud",
    "LocalCloudError": "cloudburst.local.cloud",
    "ExecutionResult": "cloudburst.local.executions",
    "ExecutionTimeout": "cloudburst.local.executions",
    "Readiness": "cloudburst.local.task_commands",
    "TaskCommand": "cloudburst.local.task_commands",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
