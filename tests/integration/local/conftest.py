"""One local cloud on the engine-test template for this package's tests (starting one costs ~3 s), with the
tiny HTTP task program standing in for the renderer, and a check that no task process outlives the package."""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudburst.local import ExecutionResult, LocalCloud, TaskCommand

ENGINE = Path(__file__).parents[2] / "fixtures" / "local" / "engine"
TIME_SCALE = 0.02
"""Retry intervals and Wait states of the fixtures pass 50 times faster."""


@pytest.fixture(scope="package")
def engine_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    commands = {"WorkerTaskDefinition": TaskCommand(argv=(sys.executable, str(ENGINE / "task_server.py")))}
    cloud = LocalCloud(
        template=ENGINE / "template.yaml",
        run_dir=tmp_path_factory.mktemp("engine-run"),
        time_scale=TIME_SCALE,
        task_commands=commands,
    )
    with cloud:
        yield cloud
        leftovers = cloud.leftover_tasks()
    assert not leftovers, f"task processes outlived the tests: {leftovers}"
    assert not [task for task in cloud.tasks() if task.pid is not None and _alive(task.pid)]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start(cloud: LocalCloud, machine_output: str, payload: Any, name: str | None = None) -> str:
    sfn = cloud.client("stepfunctions")
    execution_name = name or f"test-{uuid.uuid4().hex[:12]}"
    response = sfn.start_execution(
        stateMachineArn=cloud.outputs[machine_output], name=execution_name, input=json.dumps(payload)
    )
    arn: str = response["executionArn"]
    return arn


def run(cloud: LocalCloud, machine_output: str, payload: Any, timeout: float = 60) -> ExecutionResult:
    return cloud.wait_for_execution(start(cloud, machine_output, payload), timeout_seconds=timeout)


def worker_definition(cloud: LocalCloud) -> str:
    arn: str = cloud.outputs["WorkerTaskDefinitionArn"]
    return arn


def run_task_input(
    cloud: LocalCloud, environment: dict[str, str], definition: str | None = None, timeout_seconds: int = 120
) -> dict[str, Any]:
    return {
        "timeout_seconds": timeout_seconds,
        "task_definition": definition or worker_definition(cloud),
        "group": f"test:{uuid.uuid4().hex[:8]}",
        "environment": [{"Name": name, "Value": value} for name, value in environment.items()],
    }


def explain(cloud: LocalCloud, result: ExecutionResult) -> str:
    """A failed execution's error and cause, with the output of the tasks it started (for assertion messages)."""
    logs = [
        f"--- {task.group} {task.log_path}\n{task.log_path.read_text()[-600:]}"
        for task in cloud.tasks()[-3:]
        if task.log_path
    ]
    return "\n".join([f"{result.status} {result.error}: {(result.cause or '')[:1500]}", *logs])
