"""The local cloud's engine on a fixture template: the product's shape in miniature (Distributed Map over S3
items, Parallel of `ecs:runTask.sync` and a driver, inline Map per batch), task processes, Lambda errors,
triggers and the endpoint guard. Each test runs real executions on moto's interpreter with real processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cloudburst.local import LocalCloud
from tests.integration.local.conftest import TIME_SCALE, explain, run, run_task_input, start

pytestmark = pytest.mark.slow


def _batches(count: int, items: int, **flags: Any) -> list[dict[str, Any]]:
    return [
        {"items": [{"name": f"b{b}i{i}", **flags.get(f"b{b}i{i}", {})} for i in range(items)]} for b in range(count)
    ]


def test_outputs_are_resolved_like_a_deployed_stack(engine_cloud: LocalCloud) -> None:
    outputs = engine_cloud.outputs
    assert outputs["BucketName"] == "cloudburst-local-bucket"
    assert outputs["ClusterArn"].endswith(":cluster/cloudburst-local-Cluster")
    assert outputs["ClusterName"] == "cloudburst-local-Cluster"
    assert "ProductionTopic" not in outputs  # its condition is false
    sfn = engine_cloud.client("stepfunctions")
    assert sfn.describe_state_machine(stateMachineArn=outputs["PipelineStateMachineArn"])["status"] == "ACTIVE"


def test_the_pipeline_runs_every_batch_on_its_own_task(engine_cloud: LocalCloud) -> None:
    batches = _batches(3, 3, b1i0={"fail": True})
    result = run(engine_cloud, "PipelineStateMachineArn", {"run": "p1", "batches": batches, "max_parallel": 2})
    assert result.succeeded, explain(engine_cloud, result)
    done = result.output["batches"]
    assert len(done) == 3
    groups = set()
    for index, batch in enumerate(done):
        container = batch["container"]
        assert container["exit_code"] == 0
        assert container["stop_code"] == "UserInitiated"  # released by the driver's StopTask
        assert container["created_at"] <= container["started_at"] <= container["stopped_at"]
        assert container["cpu"] == "1024"
        for item in batch["items"]:
            if item["name"] == "b1i0":
                assert item["error"] == "ItemFailed"  # caught by name in the inline Map
            else:
                assert item["group"].endswith(f":{index}")  # served by this batch's own task
                groups.add(item["group"])
    assert len(groups) == 3
    tasks = [task for task in engine_cloud.tasks() if task.group in groups]
    assert len({(task.host, task.port) for task in tasks}) == 3  # each task its own address
    assert all(task.log_path and task.log_path.read_text().count("POST /work") >= 2 for task in tasks)
    # MaxConcurrencyPath (2): never three tasks alive at once
    spans = sorted((b["container"]["created_at"], b["container"]["stopped_at"]) for b in done)
    assert not (spans[0][1] > spans[2][0] and spans[1][1] > spans[2][0])


def test_a_failing_child_execution_fails_the_distributed_map(engine_cloud: LocalCloud) -> None:
    batches = _batches(2, 2, b0i0={"crash_task": True})
    result = run(engine_cloud, "PipelineStateMachineArn", {"run": "p2", "batches": batches, "max_parallel": 2})
    assert result.status == "FAILED"
    assert result.error == "States.ExceedToleratedFailureThreshold"


def test_asl_features_the_product_relies_on(engine_cloud: LocalCloud) -> None:
    payload = {
        "wait_seconds": 10,  # 0.2 s at the test time scale
        "values": [3, 4, 5],
        "checks": [{"code": 0}],
        "failures": 2,
        "error_name": "Test.Finished",
    }
    started = time.monotonic()
    result = run(engine_cloud, "FeaturesStateMachineArn", payload)
    assert time.monotonic() - started < 10
    assert result.status == "FAILED"
    assert result.error == "Test.Finished"  # Fail.ErrorPath
    assert result.cause == "after 3 attempts"  # Fail.CausePath with an intrinsic; two Transient retries
    assert len(result.events("WaitStateEntered")) == 1
    waited = result.events("WaitStateExited")[0]["timestamp"] - result.events("WaitStateEntered")[0]["timestamp"]
    # time_scale multiplies the length of a Wait state (not divides it)
    assert 10 * TIME_SCALE * 0.5 <= waited.total_seconds() < 10 * TIME_SCALE + 1.5
    retried = [
        event for event in result.events("TaskFailed") if event["taskFailedEventDetails"]["error"] == "Transient"
    ]
    assert len(retried) == 2
    fan = json.loads(result.events("ParallelStateExited")[0]["stateExitedEventDetails"]["output"])["fan"]
    assert fan["code"] == 0
    assert fan["mapped"] == [{"index": 0, "value": 3}, {"index": 1, "value": 4}, {"index": 2, "value": 5}]


def test_a_task_that_exits_non_zero_fails_the_sync_state(engine_cloud: LocalCloud) -> None:
    result = run(
        engine_cloud,
        "RunTaskStateMachineArn",
        run_task_input(engine_cloud, {"EXIT_AFTER_SECONDS": "0.2", "EXIT_CODE": "3"}),
    )
    assert result.status == "FAILED"
    assert result.error == "States.TaskFailed"
    task = json.loads(result.cause or "{}")
    assert task["Containers"][0]["ExitCode"] == 3
    assert task["StopCode"] == "EssentialContainerExited"


def test_a_task_that_exits_zero_reports_what_the_report_bills_from(engine_cloud: LocalCloud) -> None:
    result = run(engine_cloud, "RunTaskStateMachineArn", run_task_input(engine_cloud, {"EXIT_AFTER_SECONDS": "0.3"}))
    assert result.succeeded, explain(engine_cloud, result)
    task = result.output
    assert task["exit_code"] == 0
    assert task["stop_code"] == "EssentialContainerExited"
    assert task["stopped_reason"] == "Essential container in task exited"
    assert (task["cpu"], task["memory"]) == ("512", "1024")  # the RunTask overrides
    order = ["created_at", "pull_started_at", "pull_stopped_at", "started_at", "stopping_at", "stopped_at"]
    stamps = [task[name] for name in order]
    assert all(isinstance(stamp, int) for stamp in stamps)  # epoch milliseconds, as Step Functions gives them
    assert stamps == sorted(stamps)
    # Ran about as long as it was asked to: the process starts after the pull stamp and lives 0.3 s. (Counted
    # from the pull, not from startedAt, which the readiness poll sets a little late on a busy machine.)
    assert stamps[-1] - stamps[1] >= 295


def _wait_for_running(cloud: LocalCloud, group: str, timeout: float = 20) -> Any:
    ecs = cloud.client("ecs")
    cluster = cloud.outputs["ClusterArn"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        arns = ecs.list_tasks(cluster=cluster, startedBy="AWS Step Functions", desiredStatus="RUNNING")["taskArns"]
        for task in ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []:
            if task["group"] == group and task["lastStatus"] == "RUNNING":
                return task
        time.sleep(0.05)
    raise AssertionError(f"no RUNNING task in group {group}")


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:  # a loopback task address
        return json.loads(response.read())


def test_a_task_gets_its_environment_secrets_overrides_tags_and_is_stopped_with_its_execution(
    engine_cloud: LocalCloud,
) -> None:
    payload = run_task_input(engine_cloud, {"BATCH_NOTE": "from the overrides"})
    arn = start(engine_cloud, "RunTaskStateMachineArn", payload)
    task = _wait_for_running(engine_cloud, payload["group"])
    ip = task["attachments"][0]["details"][-1]["value"]
    port = task["containers"][0]["networkBindings"][0]["hostPort"]
    url = f"http://{ip}:{port}"

    def env(name: str) -> Any:
        return _get_json(f"{url}/env/{name}")["value"]

    secret = engine_cloud.client("secretsmanager").list_secrets()["SecretList"][0]["ARN"]
    assert env("GREETING") == "hello from us-east-1"  # the container definition
    assert env("BATCH_NOTE") == "from the overrides"  # the RunTask overrides
    assert (
        env("WORKER_TOKEN") == engine_cloud.client("secretsmanager").get_secret_value(SecretId=secret)["SecretString"]
    )
    assert env("AWS_ENDPOINT_URL") == engine_cloud.endpoint_url  # AWS calls from a task stay local
    assert env("AWS_ACCESS_KEY_ID") == "local-cloud"
    ecs = engine_cloud.client("ecs")
    tags = ecs.list_tags_for_resource(resourceArn=task["taskArn"])["tags"]
    assert {"key": "app", "value": "engine-test"} in tags  # PropagateTags: TASK_DEFINITION

    engine_cloud.client("stepfunctions").stop_execution(executionArn=arn, error="Test.Stopped")
    result = engine_cloud.wait_for_execution(arn, 30)
    assert result.status == "ABORTED"
    deadline = time.monotonic() + 10
    stopped = {}
    while time.monotonic() < deadline:
        stopped = ecs.describe_tasks(cluster=engine_cloud.outputs["ClusterArn"], tasks=[task["taskArn"]])["tasks"][0]
        if stopped["lastStatus"] == "STOPPED":
            break
        time.sleep(0.05)
    assert stopped["lastStatus"] == "STOPPED"
    assert stopped["stopCode"] == "UserInitiated"
    assert stopped["containers"][0]["exitCode"] == 0  # it handled SIGTERM


def test_a_task_ignoring_sigterm_is_killed_after_its_stop_timeout(engine_cloud: LocalCloud) -> None:
    payload = run_task_input(engine_cloud, {"IGNORE_SIGTERM": "1"})
    arn = start(engine_cloud, "RunTaskStateMachineArn", payload)
    task = _wait_for_running(engine_cloud, payload["group"])
    ecs = engine_cloud.client("ecs")
    stopped_at = time.monotonic()
    ecs.stop_task(cluster=engine_cloud.outputs["ClusterArn"], task=task["taskArn"], reason="test")
    result = engine_cloud.wait_for_execution(arn, 30)
    assert result.status == "FAILED"
    described = json.loads(result.cause or "{}")
    assert described["Containers"][0]["ExitCode"] == 137  # SIGKILL, after StopTimeout (2 s in the fixture)
    assert described["StoppedReason"] == "test"
    assert time.monotonic() - stopped_at >= 1.9


def test_a_sync_state_that_times_out_stops_its_task(engine_cloud: LocalCloud) -> None:
    payload = run_task_input(engine_cloud, {}, timeout_seconds=1)  # TimeoutSecondsPath: real seconds
    result = run(engine_cloud, "RunTaskStateMachineArn", payload)
    assert result.status == "FAILED"
    assert result.error == "States.Timeout"
    task = next(task for task in engine_cloud.tasks() if task.group == payload["group"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and next(t for t in engine_cloud.tasks() if t.group == payload["group"]).alive:
        time.sleep(0.05)
    stopped = engine_cloud.client("ecs").describe_tasks(
        cluster=engine_cloud.outputs["ClusterArn"], tasks=[task.task_arn]
    )
    assert stopped["tasks"][0]["lastStatus"] == "STOPPED"
    assert stopped["tasks"][0]["stopCode"] == "UserInitiated"  # Step Functions' best-effort StopTask


def test_a_task_that_exits_before_it_listens_still_reports_when_it_started(engine_cloud: LocalCloud) -> None:
    # Its container ran (ECS gives it a startedAt) although no port ever answered; the .sync result must
    # carry StartedAt, or a ResultSelector that reads it fails the state.
    result = run(engine_cloud, "RunTaskStateMachineArn", run_task_input(engine_cloud, {"EXIT_BEFORE_LISTENING": "1"}))
    assert result.succeeded, explain(engine_cloud, result)
    task = result.output
    assert task["exit_code"] == 0
    assert task["pull_stopped_at"] <= task["started_at"] <= task["stopped_at"]


def test_a_capacity_failure_is_retried_by_the_state_machine(engine_cloud: LocalCloud) -> None:
    engine_cloud.faults.fail_run_task(times=1)
    result = run(engine_cloud, "RunTaskStateMachineArn", run_task_input(engine_cloud, {"EXIT_AFTER_SECONDS": "0.1"}))
    assert result.succeeded, explain(engine_cloud, result)
    failed = [event["taskFailedEventDetails"] for event in result.events("TaskFailed")]
    assert [failure["error"] for failure in failed] == ["AmazonECS.Unknown"]
    assert "Capacity is unavailable" in failed[0]["cause"]


def test_capacity_failures_beyond_the_retries_fail_the_state(engine_cloud: LocalCloud) -> None:
    engine_cloud.faults.fail_run_task(times=3)
    result = run(engine_cloud, "RunTaskStateMachineArn", run_task_input(engine_cloud, {}))
    assert result.status == "FAILED"
    assert result.error == "AmazonECS.Unknown"


def test_a_task_definition_without_local_command_fails_to_start(engine_cloud: LocalCloud) -> None:
    definition = engine_cloud.outputs["UnconfiguredTaskDefinitionArn"]
    result = run(engine_cloud, "RunTaskStateMachineArn", run_task_input(engine_cloud, {}, definition))
    assert result.status == "FAILED"
    assert result.error == "States.TaskFailed"
    task = json.loads(result.cause or "{}")
    assert task["StopCode"] == "TaskFailedToStart"
    assert "no local command" in task["StoppedReason"]


@pytest.mark.parametrize(
    ("function", "payload", "error"),
    [
        ("cloudburst-local-FailWithFunction", {"error": "RenderFailed"}, "RenderFailed"),
        ("cloudburst-local-SleepFunction", {"seconds": 3}, "Lambda.Unknown"),  # past its 1 s Timeout
        ("cloudburst-local-NoSuchFunction", {}, "Lambda.ResourceNotFoundException"),
    ],
)
def test_lambda_failures_carry_aws_error_names(
    engine_cloud: LocalCloud, function: str, payload: dict[str, Any], error: str
) -> None:
    result = run(engine_cloud, "InvokeStateMachineArn", {"function": function, "payload": payload})
    assert result.succeeded
    assert result.output["error"] == error


def test_a_function_sees_its_own_environment_and_context(engine_cloud: LocalCloud) -> None:
    payload = {"function": "cloudburst-local-EnvironmentFunction", "payload": {"name": "STAGE"}}
    result = run(engine_cloud, "InvokeStateMachineArn", payload)
    assert result.output["payload"]["value"] == "testing"  # !If on a condition
    assert 0 < result.output["payload"]["remaining_ms"] <= 10_000  # Globals Timeout


def test_an_upload_matching_the_s3_event_filter_triggers_its_function(engine_cloud: LocalCloud) -> None:
    s3 = engine_cloud.client("s3")
    bucket = engine_cloud.outputs["BucketName"]
    s3.put_object(Bucket=bucket, Key="uploads/job.json", Body=b"{}")
    s3.put_object(Bucket=bucket, Key="uploads/notes.txt", Body=b"x")
    deadline = time.monotonic() + 10
    keys: list[str] = []
    while time.monotonic() < deadline and "seen/uploads/job.json" not in keys:
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix="seen/").get("Contents", [])]
        time.sleep(0.05)
    assert keys == ["seen/uploads/job.json"]
    event = json.loads(s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read())
    assert event["Records"][0]["eventName"].startswith("ObjectCreated")


def test_presigned_urls_from_lambdas_work_from_another_process(engine_cloud: LocalCloud) -> None:
    s3 = engine_cloud.client("s3")
    s3.put_object(Bucket=engine_cloud.outputs["BucketName"], Key="inputs/hello.txt", Body=b"hello renderer")
    payload = {"function": "cloudburst-local-presign", "payload": {"key": "inputs/hello.txt"}}
    url = run(engine_cloud, "InvokeStateMachineArn", payload).output["payload"]["url"]
    assert url.startswith("http://localhost:")
    fetched = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert fetched.stdout == "hello renderer"


def test_nothing_leaves_the_machine(engine_cloud: LocalCloud) -> None:
    # In-process clients are answered by the emulator; Lambda's non-Invoke API goes to the loopback endpoint.
    functions = boto3.client("lambda").list_functions()
    assert functions["ResponseMetadata"]["HTTPHeaders"].get("server", "").startswith("Werkzeug")
    # A service the emulator does not implement fails here, at once, instead of reaching AWS.
    started = time.monotonic()
    with pytest.raises(ClientError):
        boto3.client("mediaconvert").list_queues()
    assert time.monotonic() - started < 5
    # Another process gets the loopback endpoint for every service.
    environment = engine_cloud.client_environment()
    assert environment["AWS_ENDPOINT_URL"] == engine_cloud.endpoint_url
    assert environment["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
