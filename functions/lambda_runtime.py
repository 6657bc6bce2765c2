"""What every CloudBurst Lambda shares: Powertools logging, tracing and metrics, and AWS clients.

Clients are created per invocation, never at import: the local cloud imports these modules inside its own
AWS emulation, and a client made earlier would point at real AWS (or at a previous emulation).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

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


_S3_CONFIG = _RETRIES.merge(Config(signature_version="s3v4"))
_ENDPOINT_VARIABLES = {
    "s3": "AWS_ENDPOINT_URL_S3",
    "ecs": "AWS_ENDPOINT_URL_ECS",
    "stepfunctions": "AWS_ENDPOINT_URL_SFN",
    "events": "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "secretsmanager": "AWS_ENDPOINT_URL_SECRETS_MANAGER",
}


def _environment_key(service: str) -> tuple[str | None, ...]:
    """What a client is bound to when created: region and endpoint come from the environment."""
    return (
        os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        os.environ.get(_ENDPOINT_VARIABLES[service]),
        os.environ.get("AWS_ENDPOINT_URL"),
    )


@functools.cache
def _client(service: str, _environment: tuple[str | None, ...]) -> Any:
    """One client per service and environment, reused across warm invocations (creating a boto3 client costs
    milliseconds of CPU each time). Keyed on the environment so that a changed endpoint or region — the local
    cloud started again, a test with its own emulator — gets a fresh client, never a stale one."""
    return boto3.client(service, config=_S3_CONFIG if service == "s3" else _RETRIES)  # type: ignore[call-overload]


def s3_client() -> S3Client:
    client: S3Client = _client("s3", _environment_key("s3"))
    return client


def ecs_client() -> ECSClient:
    client: ECSClient = _client("ecs", _environment_key("ecs"))
    return client


def sfn_client() -> SFNClient:
    client: SFNClient = _client("stepfunctions", _environment_key("stepfunctions"))
    return client


def events_client() -> EventBridgeClient:
    client: EventBridgeClient = _client("events", _environment_key("events"))
    return client


def secrets_client() -> SecretsManagerClient:
    client: SecretsManagerClient = _client("secretsmanager", _environment_key("secretsmanager"))
    return client


Handler = TypeVar("Handler", bound=Callable[..., Any])

MAX_ERROR_MESSAGE_CHARS = 1000


def compact_errors(handler: Handler) -> Handler:
    """Outermost decorator of every handler: log the failure in full, then re-raise it with a one-frame
    traceback and a bounded message.

    The Lambda runtime puts the stack trace into the error payload that Step Functions records as the
    state's `Cause`, and the per-scene Catch keeps that Cause in the scene's record. A deep trace (Powertools
    wrappers, adapters, urllib3) is kilobytes; a 200-scene batch whose renderer died would then outgrow the
    256 KiB payload limit and lose every record. The error's class (its `errorType`, which the ASL matches)
    is unchanged; CloudWatch keeps the full trace.
    """

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        except Exception as exc:
            logger.exception("the handler failed with %s", type(exc).__name__)
            message = str(exc)
            if len(message) > MAX_ERROR_MESSAGE_CHARS:
                exc.args = (message[: MAX_ERROR_MESSAGE_CHARS - 1] + "…",)
            raise exc.with_traceback(None) from None

    return wrapper  # type: ignore[return-value]


def renderer_at(token: str) -> Callable[[str], RendererClient]:
    """Clients for the batch's renderer, whose address is known only once FindTask has found the task."""

    def client(endpoint: str) -> RendererClient:
        return HttpRendererClient(endpoint, token)

    return client
