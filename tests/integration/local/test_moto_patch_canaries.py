"""Canaries: with one patch turned off, moto 5.2.5 still shows the defect the patch fixes.

When a canary fails after a moto upgrade, upstream changed: remove the patch (cloudburst.local.moto_patches)
and its canary rather than patching a fixed moto. The patched behaviour itself is tested in test_engine.py.
"""

from __future__ import annotations

import time

import pytest

from cloudburst.local import LocalCloud, moto_patches
from tests.integration.local.conftest import run, run_task_input, start

pytestmark = pytest.mark.slow


def test_canary_moto_reports_a_failed_task_as_success(engine_cloud: LocalCloud) -> None:
    with moto_patches.temporarily_disabled("ecs-sync-exit-code"):
        payload = run_task_input(engine_cloud, {"EXIT_AFTER_SECONDS": "0.1", "EXIT_CODE": "3"})
        result = run(engine_cloud, "RunTaskStateMachineArn", payload)
    assert result.succeeded
    assert result.output["exit_code"] == 3


def test_canary_moto_crashes_on_run_task_failures(engine_cloud: LocalCloud) -> None:
    engine_cloud.faults.fail_run_task(times=1)
    with moto_patches.temporarily_disabled("ecs-run-task-failures"):
        result = run(engine_cloud, "RunTaskStateMachineArn", run_task_input(engine_cloud, {}))
    assert result.status == "FAILED"
    assert result.error == "States.Runtime"  # AWS: AmazonECS.Unknown, which the state machine retries


def test_canary_moto_leaves_the_task_of_a_cancelled_state_running(engine_cloud: LocalCloud) -> None:
    payload = run_task_input(engine_cloud, {})
    with moto_patches.temporarily_disabled("ecs-stop-on-cancel"):
        arn = start(engine_cloud, "RunTaskStateMachineArn", payload)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not [t for t in engine_cloud.tasks() if t.group == payload["group"]]:
            time.sleep(0.05)
        engine_cloud.client("stepfunctions").stop_execution(executionArn=arn)
        assert engine_cloud.wait_for_execution(arn, 30).status == "ABORTED"
        time.sleep(0.5)
    task = next(task for task in engine_cloud.tasks() if task.group == payload["group"])
    try:
        assert task.alive
    finally:
        engine_cloud.client("ecs").stop_task(cluster=engine_cloud.outputs["ClusterArn"], task=task.task_arn)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and next(t for t in engine_cloud.tasks() if t.group == payload["group"]).alive:
        time.sleep(0.05)


def test_canary_moto_names_an_untyped_lambda_error_exception(engine_cloud: LocalCloud) -> None:
    payload = {"function": "cloudburst-local-SleepFunction", "payload": {"seconds": 3}}
    with moto_patches.temporarily_disabled("lambda-error-names"):
        result = run(engine_cloud, "InvokeStateMachineArn", payload)
    assert result.output["error"] == "Exception"  # AWS: Lambda.Unknown


def test_canary_moto_lets_a_distributed_map_succeed_over_failed_children(engine_cloud: LocalCloud) -> None:
    batches = [{"items": [{"name": "crash", "crash_task": True}]}]
    with moto_patches.temporarily_disabled("distributed-map-tolerated-failures"):
        result = run(engine_cloud, "PipelineStateMachineArn", {"run": "canary", "batches": batches, "max_parallel": 1})
    assert result.succeeded
    assert result.output["batches"] == [None]  # AWS: States.ExceedToleratedFailureThreshold


def test_canary_moto_reads_result_writer_parameters_from_the_results(engine_cloud: LocalCloud) -> None:
    payload = {"items": [1, 2], "bucket": engine_cloud.outputs["BucketName"], "prefix": "results"}
    with moto_patches.temporarily_disabled("result-writer-reads-state-input"):
        broken = run(engine_cloud, "ResultWriterStateMachineArn", payload)
    assert broken.status == "FAILED"
    assert broken.error == "States.Runtime"
    fixed = run(engine_cloud, "ResultWriterStateMachineArn", payload)
    assert fixed.succeeded, (fixed.error, fixed.cause)
    details = fixed.output["ResultWriterDetails"]
    assert details["Bucket"] == payload["bucket"]
    assert details["Key"].startswith("results/")
