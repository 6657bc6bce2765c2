"""What every CloudBurst Lambda shares: Powertools logging, tracing and metrics, and AWS clients.

Clients are created per invocation, never at import: the local cloud imports these modules inside its own
AWS emulation, and a client made earlier would point at real AWS (or at a previous emulation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from botocore.config import Config

from cloudburst.aws.renderer_client import HttpRendererClient, RendererClient

if TYPE_CHECKING:
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_stepfunctions import SFNClient

logger = Logger()
tracer = Tracer()
metrics = Metrics()

_RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})
"""ECS and S3 throttle under a burst of batches; botocore's standard mode backs off with jitter."""


def s3_client() -> S3Client:
    return boto3.client("s3", config=_RETRIES.merge(Config(signature_version="s3v4")))


def ecs_client() -> ECSClient:
    return boto3.client("ecs", config=_RETRIES)


def sfn_client() -> SFNClient:
    return boto3.client("stepfunctions", config=_RETRIES)


def events_client() -> EventBridgeClient:
    return boto3.client("events", config=_RETRIES)


def secrets_client() -> SecretsManagerClient:
    return boto3.client("secretsmanager", config=_RETRIES)


def renderer_at(token: str) -> Callable[[str], RendererClient]:
    """Clients for the batch's renderer, whose address is known only once FindTask has found the task."""

    def client(endpoint: str) -> RendererClient:
        return HttpRendererClient(endpoint, token)

    return client
