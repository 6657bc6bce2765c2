"""The AWS environment of the local cloud: which endpoint each caller uses, and what keeps calls on the machine.

Two kinds of callers talk to the emulated AWS:

* code in this process (the Step Functions interpreter, the Lambda handlers): its calls to the usual AWS
  endpoints are answered in-process by moto's mock (no HTTP; a put to S3 costs about 2 ms this way against
  14 ms through the HTTP server). S3 is the exception: its endpoint is the loopback server, so presigned URLs
  the Lambdas make point where the renderer processes can fetch them, and moto's mock still answers this
  process's own S3 calls to it in-process (`MOTO_S3_CUSTOM_ENDPOINTS`). moto treats *every* request to such a
  custom endpoint as S3, so the S3 endpoint is spelled `localhost:<port>` and the general endpoint
  `127.0.0.1:<port>`: the same server, two names, and each request reaches the right service.
* other processes (the renderer tasks, a CLI in another shell): every service at the loopback server.

Nothing may reach real AWS: credentials are dummies, shared config and credential files are hidden, instance
metadata is off, and Lambda (which the mock passes through to our in-process dispatcher) points at the
loopback server too, so a Lambda call that misses the dispatcher lands there rather than on AWS.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Final

LOCAL_REGION: Final = "us-east-1"
LOCAL_ACCOUNT_ID: Final = "123456789012"  # moto's default account
LOCAL_PARTITION: Final = "aws"

_DUMMY_CREDENTIALS: Final = {
    "AWS_ACCESS_KEY_ID": "local-cloud",
    "AWS_SECRET_ACCESS_KEY": "local-cloud",
    "AWS_SESSION_TOKEN": "local-cloud",
}

# Variables that would select other credentials, profiles or endpoints than ours.
_CLEARED: Final = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


def _isolation(region: str) -> dict[str, str]:
    return {
        **_DUMMY_CREDENTIALS,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def s3_endpoint(endpoint_url: str) -> str:
    """The name of the loopback endpoint this process's S3 calls (and presigned URLs) use."""
    return endpoint_url.replace("//127.0.0.1:", "//localhost:")


def in_process_environment(endpoint_url: str, region: str = LOCAL_REGION) -> dict[str, str]:
    """Environment of the process that hosts the local cloud while it runs."""
    return {
        **_isolation(region),
        "AWS_ENDPOINT_URL_S3": s3_endpoint(endpoint_url),
        "MOTO_S3_CUSTOM_ENDPOINTS": s3_endpoint(endpoint_url),
        "AWS_ENDPOINT_URL_LAMBDA": endpoint_url,
        # Powertools in handlers: no X-Ray daemon here.
        "POWERTOOLS_TRACE_DISABLED": "true",
    }


def client_environment(endpoint_url: str, region: str = LOCAL_REGION) -> dict[str, str]:
    """Environment for another process that should use the local cloud: every service at the loopback server."""
    return {**_isolation(region), "AWS_ENDPOINT_URL": endpoint_url}


def cleared_variables() -> tuple[str, ...]:
    return _CLEARED


@contextmanager
def overlay(values: Mapping[str, str], remove: tuple[str, ...] = ()) -> Iterator[None]:
    """Set `values` and unset `remove` in `os.environ`, restoring the previous environment afterwards."""
    saved = {name: os.environ.get(name) for name in (*values, *remove)}
    try:
        for name in remove:
            os.environ.pop(name, None)
        os.environ.update(values)
        yield
    finally:
        for name, previous in saved.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous
