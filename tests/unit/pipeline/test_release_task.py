"""ReleaseTask: the API first, StopTask as the fallback, and never an exception."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.stub import Stubber

from cloudburst.aws.ecs import STARTED_BY_STEP_FUNCTIONS
from cloudburst.pipeline.payloads import TaskLocation
from cloudburst.pipeline.release_task import release_task
from tests.unit.pipeline.support import FakeRenderer
from tests.unit.pipeline.test_record_batch import batch

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/cloudburst"
TASK = TaskLocation(task_arn="arn:task/1", address="10.0.1.5", port=8080, endpoint="http://10.0.1.5:8080")


@pytest.fixture
def ecs() -> Iterator[tuple[ECSClient, Stubber]]:
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_the_renderer_is_asked_to_shut_down(ecs: tuple[ECSClient, Stubber]) -> None:
    renderer = FakeRenderer()
    release = release_task(batch(), TASK, ecs[0], CLUSTER, lambda _: renderer)
    assert (release.released_by, release.task_arn, renderer.shutdowns) == ("shutdown", "arn:task/1", ["cancel"])


def test_a_silent_renderer_is_stopped_through_ecs(ecs: tuple[ECSClient, Stubber]) -> None:
    client, stubber = ecs
    renderer = FakeRenderer()
    renderer.unavailable = True
    stubber.add_response(
        "stop_task",
        {"task": {"taskArn": "arn:task/1"}},
        {"cluster": CLUSTER, "task": "arn:task/1", "reason": "CloudBurst released batch 2 (attempt 0)"},
    )
    release = release_task(batch(), TASK, client, CLUSTER, lambda _: renderer)
    assert release.released_by == "stop_task"
    assert release.note is not None
    assert "shutdown failed" in release.note


def test_without_a_found_task_the_group_is_searched_and_stopped(ecs: tuple[ECSClient, Stubber]) -> None:
    client, stubber = ecs
    item = batch()
    stubber.add_response(
        "list_tasks",
        {"taskArns": ["arn:task/7"]},
        {"cluster": CLUSTER, "desiredStatus": "RUNNING", "startedBy": STARTED_BY_STEP_FUNCTIONS},
    )
    stubber.add_response(
        "describe_tasks",
        {
            "tasks": [
                {"taskArn": "arn:task/7", "group": item.group, "lastStatus": "PENDING", "desiredStatus": "RUNNING"}
            ]
        },
    )
    stubber.add_response("stop_task", {"task": {"taskArn": "arn:task/7"}})
    release = release_task(item, None, client, CLUSTER, lambda _: FakeRenderer())
    assert (release.released_by, release.task_arn) == ("stop_task", "arn:task/7")


def test_ecs_errors_are_reported_not_raised(ecs: tuple[ECSClient, Stubber]) -> None:
    client, stubber = ecs
    renderer = FakeRenderer()
    renderer.unavailable = True
    stubber.add_client_error("stop_task", "AccessDeniedException", "not allowed")
    release = release_task(batch(), TASK, client, CLUSTER, lambda _: renderer)
    assert release.released_by is None
    assert release.note is not None
    assert "StopTask failed" in release.note
