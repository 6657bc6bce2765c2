"""Finding a deployed stack through CloudFormation (moto): its outputs, and what each failure says."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from moto import mock_aws

from cloudburst.client.errors import TargetUnavailable
from cloudburst.client.targets import connect_stack

REGION = "eu-west-1"


def _template(outputs: dict[str, str]) -> str:
    return json.dumps(
        {
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
            "Outputs": {name: {"Value": value} for name, value in outputs.items()},
        }
    )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_outputs_of_a_cloudburst_stack(aws: None) -> None:
    outputs = {
        "BucketName": "cb-bucket",
        "StateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:cb",
        "ClusterArn": "arn:aws:ecs:eu-west-1:123456789012:cluster/cb",
        "ClusterName": "cb",
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(StackName="cb", TemplateBody=_template(outputs))
    with connect_stack("cb", REGION) as target:
        assert (target.outputs.bucket, target.outputs.cluster) == ("cb-bucket", outputs["ClusterArn"])
        assert target.description == "stack cb (eu-west-1)"
        assert target.client("s3").meta.config.retries == {"mode": "standard", "total_max_attempts": 9}


def test_a_stack_that_is_not_cloudburst_or_not_there(aws: None) -> None:
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="other", TemplateBody=_template({"BucketName": "b"})
    )
    with pytest.raises(TargetUnavailable, match="stack 'other' in eu-west-1 has no output StateMachineArn"):
        connect_stack("other", REGION)
    with pytest.raises(TargetUnavailable, match="stack 'missing' in eu-west-1 does not exist") as caught:
        connect_stack("missing", REGION)
    assert "sam deploy --guided" in caught.value.hint


def test_no_credentials_says_how_to_give_them(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoCredentials:
        region_name = REGION

        def client(self, service: str) -> object:
            raise NoCredentialsError()

    with pytest.raises(TargetUnavailable, match="no AWS credentials were found") as caught:
        connect_stack("cb", session=NoCredentials())
    assert "--local" in caught.value.hint
