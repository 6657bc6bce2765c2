"""Following a Step Functions execution to its end and reading its history (any Step Functions client)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

TERMINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class ExecutionTimeout(TimeoutError):
    """The execution was still running when the caller stopped waiting."""


@dataclass(frozen=True)
class ExecutionResult:
    arn: str
    status: str
    output: Any
    error: str | None
    cause: str | None
    history: list[dict[str, Any]]

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.history if event["type"] == event_type]


def decode_output(raw: str | None) -> Any:
    """The execution's output as data (moto returns a string output without JSON-encoding it)."""
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def execution_history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**request)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        request["nextToken"] = page["nextToken"]


def wait_for_execution(
    sfn: Any, execution_arn: str, timeout_seconds: float, poll_seconds: float = 0.05, history: bool = True
) -> ExecutionResult:
    """Poll DescribeExecution until the execution ends; raise `ExecutionTimeout` after `timeout_seconds`."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] in TERMINAL_STATUSES:
            break
        if time.monotonic() > deadline:
            raise ExecutionTimeout(f"{execution_arn} still {described['status']} after {timeout_seconds:.0f} s")
        time.sleep(poll_seconds)
    return ExecutionResult(
        arn=execution_arn,
        status=described["status"],
        output=decode_output(described.get("output")),
        error=described.get("error"),
        cause=described.get("cause"),
        history=execution_history(sfn, execution_arn) if history else [],
    )
