"""FindTask: ECS answers through botocore's Stubber (real request/response validation against the ECS model),
the renderer through the in-memory fake."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.stub import Stubber

from cloudburst.aws.ecs import STARTED_BY_STEP_FUNCTIONS
from cloudburst.aws.renderer_client import RendererClient
from cloudburst.pipeline.errors import TaskLaunchFailed, TaskNotReady, TaskStartTimedOut, TaskStoppedBeforeReady
from cloudburst.pipeline.find_task import TaskSearch, find_task, launch_failure_key
from cloudburst.pipeline.payloads import TaskLocation
from tests.unit.pipeline.support import BUCKET, FakeRenderer

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_s3 import S3Client

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/cloudburst"
GROUP = "cloudburst:job-0123456789ab:0:0"
ENTERED = "2026-01-01T00:00:00Z"
T0 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()


def look(
    ecs: ECSClient, renderer_at: Callable[[str], RendererClient], now: Callable[[], float], s3: S3Client | None = None
) -> TaskLocation:
    search = TaskSearch(GROUP, ENTERED, 600, BUCKET, launch_failure_key("job-0123456789ab", 0, 0))
    storage = s3 or boto3.client("s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return find_task(search, ecs=ecs, s3=storage, cluster=CLUSTER, renderer_at=renderer_at, now=now)


def clock(at: float) -> Callable[[], float]:
    return lambda: at


def task(arn: str, group: str, status: str, ip: str | None = "10.0.1.23", **extra: Any) -> dict[str, Any]:
    details = [{"name": "privateIPv4Address", "value": ip}] if ip else []
    return {
        "taskArn": arn,
        "group": group,
        "lastStatus": status,
        "desiredStatus": "RUNNING" if status != "STOPPED" else "STOPPED",
        "attachments": [{"type": "ElasticNetworkInterface", "details": details}],
        **extra,
    }


@pytest.fixture
def ecs() -> Iterator[tuple[ECSClient, Stubber]]:
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def expect_listing(stubber: Stubber, desired: str, pages: list[list[str]]) -> None:
    for number, arns in enumerate(pages):
        params: dict[str, Any] = {"cluster": CLUSTER, "desiredStatus": desired, "startedBy": STARTED_BY_STEP_FUNCTIONS}
        if number:
            params["nextToken"] = f"page-{number}"
        response: dict[str, Any] = {"taskArns": arns}
        if number + 1 < len(pages):
            response["nextToken"] = f"page-{number + 1}"
        stubber.add_response("list_tasks", response, params)


def test_finds_its_task_among_others_across_pages_and_checks_health(ecs: tuple[ECSClient, Stubber]) -> None:
    client, stubber = ecs
    expect_listing(stubber, "RUNNING", [["arn:task/a"], ["arn:task/b"]])
    stubber.add_response(
        "describe_tasks",
        {"tasks": [task("arn:task/a", "cloudburst:other:0:0", "RUNNING"), task("arn:task/b", GROUP, "RUNNING")]},
        {"cluster": CLUSTER, "tasks": ["arn:task/a", "arn:task/b"]},
    )
    renderer = FakeRenderer()
    endpoints: list[str] = []

    def renderer_at(endpoint: str) -> FakeRenderer:
        endpoints.append(endpoint)
        return renderer

    location = look(client, renderer_at, lambda: T0 + 5)
    assert (location.task_arn, location.endpoint, location.port) == ("arn:task/b", "http://10.0.1.23:8080", 8080)
    assert endpoints == ["http://10.0.1.23:8080"]


def test_a_host_port_binding_wins_over_the_container_port(ecs: tuple[ECSClient, Stubber]) -> None:
    client, stubber = ecs
    expect_listing(stubber, "RUNNING", [["arn:task/b"]])
    running = task("arn:task/b", GROUP, "RUNNING", ip="127.0.0.1")
    running["containers"] = [{"networkBindings": [{"containerPort": 8080, "hostPort": 49152}]}]
    stubber.add_response("describe_tasks", {"tasks": [running]}, {"cluster": CLUSTER, "tasks": ["arn:task/b"]})
    location = look(client, lambda _: FakeRenderer(), lambda: T0)
    assert location.endpoint == "http://127.0.0.1:49152"


def test_a_pending_task_or_a_silent_api_is_not_ready_until_the_start_timeout(ecs: tuple[ECSClient, Stubber]) -> None:
    client, stubber = ecs
    expect_listing(stubber, "RUNNING", [["arn:task/b"]])
    stubber.add_response("describe_tasks", {"tasks": [task("arn:task/b", GROUP, "PENDING", ip=None)]})
    with pytest.raises(TaskNotReady, match="is PENDING"):
        look(client, lambda _: FakeRenderer(), lambda: T0 + 30)

    silent = FakeRenderer()
    silent.unavailable = True
    for waited, error in ((30, TaskNotReady), (601, TaskStartTimedOut)):
        expect_listing(stubber, "RUNNING", [["arn:task/b"]])
        stubber.add_response("describe_tasks", {"tasks": [task("arn:task/b", GROUP, "RUNNING")]})
        with pytest.raises(error, match="does not answer yet"):
            look(client, lambda _: silent, clock(T0 + waited))


def test_no_task_yet_then_timeout(ecs: tuple[ECSClient, Stubber], s3: S3Client) -> None:
    client, stubber = ecs
    for waited, error in ((10, TaskNotReady), (900, TaskStartTimedOut)):
        expect_listing(stubber, "RUNNING", [[]])
        expect_listing(stubber, "STOPPED", [[]])
        with pytest.raises(error, match="no task has been started yet"):
            look(client, lambda _: FakeRenderer(), clock(T0 + waited), s3)


def test_a_task_that_stopped_before_ready_is_a_final_answer(ecs: tuple[ECSClient, Stubber]) -> None:
    client, stubber = ecs
    expect_listing(stubber, "RUNNING", [[]])
    expect_listing(stubber, "STOPPED", [["arn:task/b"]])
    stopped = task(
        "arn:task/b", GROUP, "STOPPED", stopCode="TaskFailedToStart", stoppedReason="CannotPullContainerError"
    )
    stubber.add_response("describe_tasks", {"tasks": [stopped]})
    with pytest.raises(TaskStoppedBeforeReady, match="TaskFailedToStart: CannotPullContainerError"):
        look(client, lambda _: FakeRenderer(), lambda: T0)


def test_a_recorded_launch_failure_ends_the_wait_at_once(ecs: tuple[ECSClient, Stubber], s3: S3Client) -> None:
    client, stubber = ecs
    reason = "Capacity is unavailable at this time."
    failures = {"Failures": [{"Arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/r:1", "Reason": reason}]}
    failure = {"Error": "AmazonECS.Unknown", "Cause": json.dumps(failures)}
    body = json.dumps(json.dumps(failure))  # as the local interpreter writes it; AWS writes it encoded once
    s3.put_object(Bucket=BUCKET, Key=launch_failure_key("job-0123456789ab", 0, 0), Body=body.encode())
    expect_listing(stubber, "RUNNING", [[]])
    expect_listing(stubber, "STOPPED", [[]])
    with pytest.raises(TaskLaunchFailed, match=r"RunTask gave up: AmazonECS\.Unknown: Capacity is unavailable"):
        look(client, lambda _: FakeRenderer(), clock(T0 + 5), s3)
