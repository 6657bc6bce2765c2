"""Faults injected into whole jobs on the local cloud: renderers that crash at start, never answer or answer
503 for a while, RunTask capacity that never comes, Lambda throttling on every state, S3 refusing a video.

Renderer tasks here run `tests.e2e.faulty_renderer`, which takes the next fault from a queue (or is the real
renderer); the other faults come from `cloud.faults`. After every job: no task is left running, every scene
is accounted for in the report (succeeded, or failed with a specific error), the videos that succeeded are
in S3, and the report agrees with the execution's history and with ECS and holds no negative or NaN figure.
"""

from __future__ import annotations

import io
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudburst.cli.main import main
from cloudburst.cli.output import Output
from cloudburst.local import ExecutionResult, LocalCloud, TaskCommand
from cloudburst.local.task_commands import RENDERER_TASK_DEFINITIONS
from tests.e2e.faulty_renderer import QUEUE_VARIABLE, queue_fault
from tests.e2e.jobs import (
    assert_report_times_match_the_execution,
    job_document,
    job_tasks,
    report,
    run_job,
    scene_files,
    timestamp,
    wait_until,
)
from tests.unit.pipeline.stack import all_states, asl

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).parents[2]
START_TIMEOUT_S = 8
"""The stack's RendererStartTimeoutSeconds here: a renderer that never answers fails its batch this soon."""


def _longest_run_task_retries_s() -> float:
    """The most the state machine's RunTask retries can wait in all (every jittered delay at its maximum)."""
    retry = all_states(asl()["States"])["RunRenderer"]["Retry"][0]
    delays = (retry["IntervalSeconds"] * retry["BackoffRate"] ** attempt for attempt in range(retry["MaxAttempts"]))
    return float(sum(min(delay, retry.get("MaxDelaySeconds", math.inf)) for delay in delays))


TIME_SCALE = START_TIMEOUT_S / 3 / _longest_run_task_retries_s()
"""Retry intervals and Wait states are compressed so that RunTask's retries, at their longest, end well within
the start timeout, as they do on AWS with the stack's defaults (at most 135 s of retries against 600 s): a
launch that keeps failing must be reported as such, not as a renderer that never started."""

ONE_SCENE_PER_TASK = {"batching": {"strategy": "count", "scenes_per_task": 1, "max_parallel_tasks": 2}}
ONE_TASK_AT_A_TIME = {"batching": {"strategy": "count", "scenes_per_task": 1, "max_parallel_tasks": 1}}


@pytest.fixture(scope="module")
def queue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fault-queue")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory, queue: Path) -> Iterator[LocalCloud]:
    faulty = TaskCommand(
        argv=(sys.executable, "-m", "tests.e2e.faulty_renderer"),
        env={"WORK_DIR": "{task_dir}/work", QUEUE_VARIABLE: str(queue)},
        cwd=REPO,
    )
    with LocalCloud(
        template=REPO / "template.yaml",
        run_dir=tmp_path_factory.mktemp("faults-run"),
        time_scale=TIME_SCALE,
        task_commands=dict.fromkeys(RENDERER_TASK_DEFINITIONS, faulty),
        parameters={"RendererStartTimeoutSeconds": START_TIMEOUT_S},
    ) as running:
        yield running
        leftovers = running.leftover_tasks()
    assert leftovers == [], f"tasks outlived their jobs: {leftovers}"


@pytest.fixture(autouse=True)
def every_fault_is_used(queue: Path) -> Iterator[None]:
    yield
    waiting = [entry.name for entry in queue.iterdir() if not entry.name.endswith(".taken")]
    assert waiting == [], f"faults no task took: {waiting}"


def _numbers(value: Any, path: str = "") -> Iterator[tuple[str, float]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _numbers(item, f"{path}[{index}]")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield path, float(value)


def checked_outcome(cloud: LocalCloud, job_id: str, result: ExecutionResult) -> dict[str, dict[str, Any]]:
    """Check what every fault case must leave behind, and return the report's scenes by name."""
    wait_until(lambda: not [t for t in job_tasks(cloud, job_id) if t.alive], 15, "the job's tasks to stop")
    summary = report(cloud, job_id)
    bad = [(path, number) for path, number in _numbers(summary) if math.isnan(number) or number < 0]
    assert bad == [], f"negative or NaN figures in the report: {bad}"

    scenes = {scene["name"]: scene for scene in summary["scenes"]}
    succeeded = [name for name, scene in scenes.items() if scene["status"] == "succeeded"]
    failed = [name for name, scene in scenes.items() if scene["status"] == "failed"]
    assert summary["scenes_total"] == len(scenes) == len(succeeded) + len(failed)
    assert (summary["scenes_succeeded"], summary["scenes_failed"]) == (len(succeeded), len(failed))
    assert sorted(failure["scene"] for failure in summary["failures"]) == sorted(failed)
    for name in failed:
        assert scenes[name]["error_code"], name
        assert scenes[name]["error"], name
    listed = cloud.client("s3").list_objects_v2(Bucket=cloud.outputs["BucketName"], Prefix=f"outputs/{job_id}/")
    videos = {item["Key"].rsplit("/", 1)[-1].removesuffix(".mp4") for item in listed.get("Contents", [])}
    assert set(succeeded) <= videos  # nothing that succeeded is lost

    # The report agrees with the execution's history...
    assert result.status == ("SUCCEEDED" if not failed else "FAILED")
    assert_report_times_match_the_execution(cloud, summary, result)
    # ...and with ECS: every task it bills is stopped, at the times ECS gives.
    ecs_tasks = [task.task_arn for task in job_tasks(cloud, job_id)]
    described = {
        task["taskArn"]: task
        for task in (
            cloud.client("ecs").describe_tasks(cluster=cloud.outputs["ClusterArn"], tasks=ecs_tasks)["tasks"]
            if ecs_tasks
            else []
        )
    }
    assert all(task["lastStatus"] == "STOPPED" for task in described.values())
    billed = [task for task in summary["tasks"] if task["task_arn"] is not None]
    assert sorted(task["task_arn"] for task in billed) == sorted(described)
    assert summary["tasks_used"] == sum(1 for task in described.values() if task.get("pullStartedAt"))
    for task in billed:
        truth = described[task["task_arn"]]
        assert timestamp(task["stopped_at"]) == pytest.approx(truth["stoppedAt"].timestamp(), abs=0.01)
        assert task["exit_code"] == truth["containers"][0].get("exitCode")
    return scenes


def cli(*argv: str | Path) -> tuple[int, list[dict[str, Any]], str]:
    """`cloudburst --json ...` in this process: its exit code, its JSON lines (each must parse), its stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(["--json", *map(str, argv)], out=Output(json_mode=True, stdout=stdout, stderr=stderr, live=False))
    return code, [json.loads(line) for line in stdout.getvalue().splitlines()], stderr.getvalue()


def test_a_renderer_that_crashes_at_start_fails_its_own_scene_only(
    cloud: LocalCloud, queue: Path, tmp_path: Path
) -> None:
    queue_fault(queue, "exit-3")  # like an image that cannot be pulled, or a container that dies at once
    scenes = [scene_files(tmp_path, name, 1.0) for name in ("crash-first", "crash-second")]
    job_id, result = run_job(cloud, job_document(cloud, scenes, "crash-at-start", **ONE_TASK_AT_A_TIME))
    outcome = checked_outcome(cloud, job_id, result)
    assert outcome["crash-second"]["status"] == "succeeded"
    crashed = outcome["crash-first"]
    assert crashed["status"] == "failed"
    assert "TaskStoppedBeforeReady" in crashed["error"]
    assert "stopped before its API answered" in crashed["error"]
    exits = sorted(task["exit_code"] for task in report(cloud, job_id)["tasks"])
    assert exits == [0, 3]


def test_a_renderer_that_never_answers_is_stopped_at_the_start_timeout(
    cloud: LocalCloud, queue: Path, tmp_path: Path
) -> None:
    queue_fault(queue, "hang")
    scenes = [scene_files(tmp_path, name, 1.0) for name in ("silent", "heard")]
    job_id, result = run_job(cloud, job_document(cloud, scenes, "never-healthy", **ONE_TASK_AT_A_TIME))
    outcome = checked_outcome(cloud, job_id, result)
    assert outcome["heard"]["status"] == "succeeded"
    assert outcome["silent"]["status"] == "failed"
    assert "TaskStartTimedOut" in outcome["silent"]["error"]
    assert f"limit {START_TIMEOUT_S} s" in outcome["silent"]["error"]
    hung = next(task for task in report(cloud, job_id)["tasks"] if task["exit_code"] != 0)
    assert hung["stop_code"] == "UserInitiated"  # ReleaseTask stopped it: it did not linger to its lifetime


def test_a_renderer_unavailable_for_a_while_recovers_and_throttled_lambdas_are_retried(
    cloud: LocalCloud, queue: Path, tmp_path: Path
) -> None:
    queue_fault(queue, "unavailable-3")  # its first three API calls answer 503
    functions = [f"{state}Function" for state in ("PlanJob", "FindTask", "RenderScene", "PollRender")]
    functions += [f"{state}Function" for state in ("CopyOutput", "ReleaseTask", "RecordBatch", "BuildReport")]
    for function in functions:
        cloud.faults.throttle_lambda(function, times=2)
    cloud.faults.fail_s3("PutObject", key_contains="/flaky-copy.mp4", times=2)  # botocore retries these
    before = len(cloud.faults.injected)
    scenes = [scene_files(tmp_path, name, 1.0) for name in ("flaky-copy", "flaky-other")]
    job_id, result = run_job(cloud, job_document(cloud, scenes, "recovers", **ONE_SCENE_PER_TASK))
    assert result.succeeded, (result.error, result.cause)
    assert len(cloud.faults.injected) - before == 2 * len(functions) + 2  # every fault fired, none failed the job
    assert all(scene["status"] == "succeeded" for scene in checked_outcome(cloud, job_id, result).values())
    throttled = [
        event["lambdaFunctionFailedEventDetails"]["error"]
        for event in result.history
        if event["type"] == "LambdaFunctionFailed"
    ]
    assert throttled == ["Lambda.TooManyRequestsException"] * 4  # PlanJob's and BuildReport's, retried each time


def test_faults_that_outlast_the_retries_fail_only_the_scenes_they_touch(cloud: LocalCloud, tmp_path: Path) -> None:
    cloud.faults.fail_run_task(times=6)  # the first batch's RunTask and its five retries: no capacity
    scenes = [scene_files(tmp_path, name, 1.0) for name in ("no-capacity", "throttled", "unstorable", "fine")]
    cloud.faults.throttle_lambda("RenderSceneFunction", times=6)  # the next scene to start: RenderScene, 6 times
    cloud.faults.fail_s3("PutObject", key_contains="/unstorable.mp4", times=6)  # a first try and 5 SDK retries
    job_id, result = run_job(cloud, job_document(cloud, scenes, "outlasting", **ONE_TASK_AT_A_TIME))
    assert result.error == "CloudBurst.ScenesFailed"
    outcome = checked_outcome(cloud, job_id, result)
    assert outcome["fine"]["status"] == "succeeded"
    assert outcome["no-capacity"]["error"].startswith("TaskLaunchFailed: RunTask gave up: AmazonECS.Unknown")
    assert "Capacity is unavailable" in outcome["no-capacity"]["error"]
    assert outcome["throttled"]["error_code"] == "Lambda.TooManyRequestsException"
    assert "InternalError" in outcome["unstorable"]["error"]
    assert "PutObject" in outcome["unstorable"]["error"]
    launch = next(task for task in report(cloud, job_id)["tasks"] if task["task_arn"] is None)
    assert launch["billed_seconds"] == 0
    assert "Capacity is unavailable" in (launch["launch_error"] or "")
    uploads = cloud.client("s3").list_multipart_uploads(Bucket=cloud.outputs["BucketName"])
    assert uploads.get("Uploads", []) == []  # no half-written video left behind


def test_the_report_of_a_faulty_job_reads_back_through_the_cli(
    cloud: LocalCloud, queue: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue_fault(queue, "exit-1")
    scenes = [scene_files(tmp_path, name, 1.0) for name in ("cli-lost", "cli-kept")]
    job_id, result = run_job(cloud, job_document(cloud, scenes, "cli-report", **ONE_TASK_AT_A_TIME))
    state = tmp_path / "local-cloud.json"
    state.write_text(json.dumps(cloud.describe()))
    monkeypatch.setenv("CLOUDBURST_LOCAL_STATE", str(state))
    monkeypatch.delenv("CLOUDBURST_STACK", raising=False)
    code, lines, _ = cli("report", job_id, "--output", tmp_path / "report")
    assert code == 0
    (printed,) = [line for line in lines if line["event"] == "report"]
    assert printed["report"] == json.loads((tmp_path / "report" / "report.json").read_text())
    assert printed["report"]["scenes_failed"] == 1
    code, lines, _ = cli("status", job_id)
    (status,) = [line for line in lines if line["event"] == "status"]
    assert (code, status["state"], status["execution_status"]) == (0, "partial", "FAILED")
    assert status["scenes"] == {"total": 2, "done": 1, "failed": 1, "left": 0}
    assert (status["cost_final"], status["cost_so_far_usd"]) == (True, printed["report"]["cost"]["total_usd"])
    assert "TaskStoppedBeforeReady" in status["failed_scenes"]["cli-lost"]
    assert checked_outcome(cloud, job_id, result)["cli-kept"]["status"] == "succeeded"
