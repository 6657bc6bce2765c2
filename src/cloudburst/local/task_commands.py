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
    the task's address; `env` is added on top of the container's environment (for local-only settings), with
    `{task_dir}` replaced by a folder of the task's own in the run directory."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    readiness: Readiness = Readiness.PORT
    cwd: Path | None = None

    def resolved_argv(self, host: str, port: int) -> list[str]:
        return [part.replace("{host}", host).replace("{port}", str(port)) for part in self.argv]

    def resolved_env(self, task_dir: Path) -> dict[str, str]:
        return {name: value.replace("{task_dir}", str(task_dir)) for name, value in self.env.items()}


RENDERER_TASK_DEFINITIONS: Final = ("RendererTaskDefinitionX86", "RendererTaskDefinitionArm64")
"""The renderer's task definitions in `template.yaml` (one per CPU architecture; locally both run natively)."""

RENDERER: Final = TaskCommand(
    argv=(sys.executable, "-m", "cloudburst.renderer"),
    # The image's WORK_DIR is per container; local tasks share a disk, so each gets its own.
    env={"WORK_DIR": "{task_dir}/work"},
)

PRODUCT_TASK_COMMANDS: Final[Mapping[str, TaskCommand]] = dict.fromkeys(RENDERER_TASK_DEFINITIONS, RENDERER)
"""The product's mapping: the renderer container is the renderer program from this installation."""

PRODUCT_PARAMETERS: Final[Mapping[str, str]] = {"RendererImageUri": "cloudburst-renderer:local"}
"""Template parameters that only matter on AWS: the renderer image, which the local command stands in for."""
