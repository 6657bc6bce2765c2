"""Each local cloud is a new deployment: its in-process functions start cold, whatever ran before them.

A boto3 client keeps the botocore handlers of the session it was created in, and the local cloud's fault
injection is such a handler. A client that a handler module cached during an earlier cloud in the same process
(reused because the new cloud happened to get the old one's port, so the endpoint it is keyed on matched) never
saw the new cloud's faults: a fault test then passed or failed by the luck of the port.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from cloudburst.local import LocalCloud

pytestmark = [pytest.mark.e2e]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _runtime_s3(cloud: LocalCloud) -> Any:
    """The S3 client the deployed functions use (their shared runtime module, as the handlers import it)."""
    return sys.modules["lambda_runtime"].s3_client()


def test_a_new_cloud_on_the_same_port_reaches_the_functions_with_its_faults(tmp_path: Path) -> None:
    port = _free_port()
    with LocalCloud(run_dir=tmp_path / "first", port=port) as first:
        bucket = first.outputs["BucketName"]
        _runtime_s3(first).put_object(Bucket=bucket, Key="probe/first", Body=b"x")  # a client is cached now
        first_runtime = sys.modules["lambda_runtime"]
    with LocalCloud(run_dir=tmp_path / "second", port=port) as second:
        assert sys.modules["lambda_runtime"] is not first_runtime  # imported afresh: a cold start
        second.faults.fail_s3("PutObject", key_contains="/probe/second", times=1)  # botocore retries it
        _runtime_s3(second).put_object(Bucket=second.outputs["BucketName"], Key="probe/second", Body=b"x")
        assert [fault for fault in second.faults.injected if "probe/second" in fault] != []
