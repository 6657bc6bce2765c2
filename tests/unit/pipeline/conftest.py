from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from tests.unit.pipeline.support import BUCKET, REGION, credentials_env

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto for every AWS call in the test; nothing can reach a real endpoint."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_ECS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in credentials_env().items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


@pytest.fixture
def s3(aws: None) -> S3Client:
    client = boto3.client("s3", region_name=REGION, config=Config(signature_version="s3v4"))  # as the Lambdas
    client.create_bucket(Bucket=BUCKET)
    return client
