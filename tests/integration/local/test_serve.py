"""`python -m cloudburst.local serve` as its own process: another process finds it through the state file and
reaches the same stack over HTTP; `stop` ends it and removes the state file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from tests.integration.local.conftest import ENGINE

pytestmark = pytest.mark.slow


def _cli(*args: str, state: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "CLOUDBURST_LOCAL_STATE": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "cloudburst.local", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_serve_status_and_stop_across_processes(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    environment = {**os.environ, "CLOUDBURST_LOCAL_STATE": str(state)}
    server = subprocess.Popen(
        [sys.executable, "-m", "cloudburst.local", "serve", "--template", str(ENGINE / "template.yaml"),
         "--run-dir", str(tmp_path / "run")],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not state.exists() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.1)
        described = json.loads(state.read_text())
        assert described["pid"] == server.pid
        assert described["outputs"]["BucketName"] == "cloudburst-local-bucket"

        status = _cli("status", state=state)
        assert status.returncode == 0
        assert json.loads(status.stdout)["endpoint_url"] == described["endpoint_url"]
        refused = _cli("serve", "--template", str(ENGINE / "template.yaml"), state=state)
        assert refused.returncode == 1
        assert "already serving" in refused.stderr

        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=described["region"])
        s3 = session.client("s3", endpoint_url=described["endpoint_url"])
        s3.put_object(Bucket=described["outputs"]["BucketName"], Key="from-another-process", Body=b"hello")
        sfn = session.client("stepfunctions", endpoint_url=described["endpoint_url"])
        machines = {machine["name"] for machine in sfn.list_state_machines()["stateMachines"]}
        assert "cloudburst-local-invoke" in machines

        stopped = _cli("stop", state=state)
        assert stopped.returncode == 0
        assert server.wait(timeout=30) == 0
        assert not state.exists()
        assert _cli("status", state=state).returncode == 1
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    output = server.stdout.read() if server.stdout else ""
    assert "local cloud serving at" in output
    assert "no task is left running" in output
