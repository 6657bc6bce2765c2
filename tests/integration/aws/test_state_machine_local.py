"""The real template and state machine, end to end on the local cloud (moto's interpreter, in-process Lambdas,
renderer processes in stub-render mode): a manifest upload, an invalid job, a failing scene and a Spot
shortage run at the same time, and each must end exactly as on AWS."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudburst.local.cloud import LocalCloud
from cloudburst.local.task_commands import RENDERER, RENDERER_TASK_DEFINITIONS, TaskCommand
from tests.unit.pipeline.stack import ROOT
from tests.unit.pipeline.support import png_bytes, wav_bytes

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:No application metrics to publish")]
STUB_RENDERER = TaskCommand(argv=RENDERER.argv, env={**RENDERER.env, "CLOUDBURST_STUB_RENDER": "1"})
RUNTASK_ATTEMPTS = 6  # RunRenderer's Retry: 1 + MaxAttempts 5


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(
        template=ROOT / "template.yaml",
        run_dir=tmp_path_factory.mktemp("local-cloud"),
        time_scale=0.02,
        task_commands=dict.fromkeys(RENDERER_TASK_DEFINITIONS, STUB_RENDERER),
    ) as running:
        yield running


def scenes(names: list[str], image: str = "in/a.png") -> list[dict[str, str]]:
    return [{"name": name, "image": image, "audio": "in/a.wav"} for name in names]


def test_four_jobs_end_as_they_would_on_aws(cloud: LocalCloud) -> None:
    s3 = cloud.client("s3")
    sfn = cloud.client("stepfunctions")
    bucket, machine = cloud.outputs["BucketName"], cloud.outputs["StateMachineArn"]
    s3.put_object(Bucket=bucket, Key="in/a.png", Body=png_bytes(64, 36))
    s3.put_object(Bucket=bucket, Key="in/broken.png", Body=b"\x89PNG\r\n\x1a\n" + b"not an image" * 4)
    s3.put_object(Bucket=bucket, Key="in/a.wav", Body=wav_bytes(1.0))
    s3.put_object(Bucket=bucket, Key="jobs/story/a.png", Body=png_bytes(64, 36))
    s3.put_object(Bucket=bucket, Key="jobs/story/a.wav", Body=wav_bytes(1.0))
    small = {"render": {"width": 320, "height": 180}, "batching": {"strategy": "count", "scenes_per_task": 2}}

    def start(name: str, job: Any) -> str:
        return str(sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(job))["executionArn"])

    cloud.faults.fail_run_task(RUNTASK_ATTEMPTS)  # Spot capacity never comes for the first batch...
    spot = start("spot-000000000001", {"scenes": scenes(["a", "b"]), "compute": {"capacity": "spot"}, **small})
    deadline = time.monotonic() + 60
    while len(cloud.faults.injected) < RUNTASK_ATTEMPTS and time.monotonic() < deadline:
        time.sleep(0.05)  # ...which is the Spot job's: the others start once RunTask has given up on it
    invalid = start("bad-000000000001", {"scenes": [{"name": "has space", "image": "in/a.png"}]})
    partial = start("part-000000000001", {"scenes": scenes(["fine"]) + scenes(["broken"], "in/broken.png"), **small})
    manifest = {"name": "story", "scenes": [{"name": n, "image": "a.png", "audio": "a.wav"} for n in "xy"], **small}
    s3.put_object(Bucket=bucket, Key="jobs/story/job.json", Body=json.dumps(manifest).encode())

    result = cloud.wait_for_execution(invalid, timeout_seconds=60)
    assert (result.status, result.error) == ("FAILED", "CloudBurst.InvalidJob")
    assert "scenes[0].name" in str(result.cause)
    assert "scenes[0].audio: Field required" in str(result.cause)

    result = cloud.wait_for_execution(partial, timeout_seconds=120)
    assert (result.status, result.error) == ("FAILED", "CloudBurst.ScenesFailed")
    assert str(result.cause).startswith("1 of 2 scenes failed: broken. Report: outputs/part-000000000001/")
    record = json.loads(s3.get_object(Bucket=bucket, Key="runs/part-000000000001/batches/0.json")["Body"].read())
    broken = next(scene for scene in record["scenes"] if scene["name"] == "broken")
    assert broken["error_code"] == "RenderFailed"
    assert "input_unreadable" in broken["error"]
    assert record["task"]["exit_code"] == 0
    assert record["released_by"] == "shutdown"

    result = cloud.wait_for_execution(spot, timeout_seconds=150)
    assert result.status == "SUCCEEDED", result.cause
    first = json.loads(s3.get_object(Bucket=bucket, Key="runs/spot-000000000001/batches/0.json")["Body"].read())
    assert first["driver_error"].startswith("TaskLaunchFailed: RunTask gave up: AmazonECS.Unknown: Capacity")
    rerun = json.loads(
        s3.get_object(Bucket=bucket, Key="runs/spot-000000000001/batches/0.attempt1.json")["Body"].read()
    )
    assert rerun["task"]["capacity_provider"] == "FARGATE"
    assert [s["status"] for s in rerun["scenes"]] == ["succeeded", "succeeded"]

    uploaded = sfn.list_executions(stateMachineArn=machine)["executions"]
    (story,) = [e for e in uploaded if e["name"].startswith("story-")]
    result = cloud.wait_for_execution(story["executionArn"], timeout_seconds=150)
    assert result.status == "SUCCEEDED", result.cause
    videos = s3.list_objects_v2(Bucket=bucket, Prefix=f"outputs/{story['name']}/")["Contents"]
    assert sorted(Path(v["Key"]).name for v in videos) == [
        "report.json", "timeline.html", "timeline.png", "x.mp4", "y.mp4",
    ]  # fmt: skip
    ecs = cloud.client("ecs")
    assert ecs.list_tasks(cluster=cloud.outputs["ClusterArn"], desiredStatus="RUNNING")["taskArns"] == []
