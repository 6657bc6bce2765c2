"""A CloudBurst-shaped target on moto: bucket, a state machine that just waits, and a cluster. The pipeline
itself is not here (the end-to-end tests run it); these tests check the helper's side of each contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cloudburst.client.targets import StackOutputs, Target

REGION = "us-east-1"
BUCKET = "cloudburst-helper-test"
WAITING_STATE_MACHINE = {"StartAt": "Hold", "States": {"Hold": {"Type": "Wait", "Seconds": 3600, "End": True}}}


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)
        state_machine = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
            name="CloudBurst",
            definition=json.dumps(WAITING_STATE_MACHINE),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
        cluster = boto3.client("ecs", region_name=REGION).create_cluster(clusterName="cloudburst")["cluster"]

        def client(service: str) -> Any:
            return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]

        outputs = StackOutputs(BUCKET, state_machine, cluster["clusterArn"], cluster["clusterName"])
        with Target("test stack", outputs, client, region=REGION, poll_interval_s=0.01) as connected:
            yield connected


def run_renderer_tasks(
    target: Target, group: str, *, count: int = 1, tags: dict[str, str] | None = None, **run_task_args: Any
) -> list[str]:
    """Fargate tasks in the target's cluster, as the state machine's RunTask leaves them (the group names the
    job and batch; `run_task_args` adds e.g. `startedBy` or `overrides`); their ARNs."""
    ecs = target.ecs()
    definition = ecs.register_task_definition(
        family="renderer", containerDefinitions=[{"name": "renderer", "image": "renderer", "memory": 512}]
    )["taskDefinition"]["taskDefinitionArn"]
    extra = dict(run_task_args)
    if tags:
        extra["tags"] = [{"key": key, "value": value} for key, value in tags.items()]
    tasks = ecs.run_task(
        cluster=target.outputs.cluster or "",
        taskDefinition=definition,
        group=group,
        count=count,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"]}},
        **extra,
    )["tasks"]
    return [task["taskArn"] for task in tasks]
