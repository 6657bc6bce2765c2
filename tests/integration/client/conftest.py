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
