"""How each ECS task definition runs on this machine: the local cloud's only configuration of its own.

On AWS a task definition names a container image; here it names a command. Everything else a task gets (its
environment, its overrides, its stop timeout, its port) comes from the template and the RunTask call, exactly
as on Fargate. Keys are the task definitions' logical ids in `template.yaml`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Final


class Readiness(StrEnum):
    """When a task counts as RUNNING: once its container port accepts connections, or as soon as it starts
    (for programs that serve nothing)."""

    PORT = "port"
    STARTED = "started"


@dataclass(frozen=True)
class TaskCommand:
    """The program that plays a task definition's container. `{host}` and `{port}` in `argv` are replaced by
    the task's address; `env` is added on top of the container's environment (for local-only settings)."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    readiness: Readiness = Readiness.PORT
    cwd: Path | None = None

    def resolved_argv(self, host: str, port: int) -> list[str]:
        return [part.replace("{host}", host).replace("{port}", str(port)) for part in self.argv]


RENDERER_TASK_DEFINITION: Final = "RendererTaskDefinition"
"""The renderer's task definition in `template.yaml`."""

PRODUCT_TASK_COMMANDS: Final[Mapping[str, TaskCommand]] = {
    RENDERER_TASK_DEFINITION: TaskCommand(argv=(sys.executable, "-m", "cloudburst.renderer")),
}
"""The product's mapping: the renderer container is the renderer program from this installation."""
