"""Scale: a job of many scenes through the real state machine, with the renderer's stub mode standing in for
ffmpeg (CLOUDBURST_STUB_RENDER=1 writes a tiny valid MP4), proving the Distributed Map / S3-reference design.

`make test` runs 150 scenes (ten tasks of 15); `make test-scale` runs 2,000 (CLOUDBURST_SCALE_SCENES). The job
is passed by reference (`{"job_uri"}`), as the CLI does, since 2,000 scenes would exceed Step Functions'
256 KB input limit. The test states its figures (wall time, scenes per second, peak memory of the local cloud
and of the renderers) and fails beyond generous bounds: the point is that it completes, every scene accounted
for.
"""

from __future__ import annotations

import json
import math
import os
import resource
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cloudburst.local import LocalCloud, TaskCommand
from cloudburst.local.task_commands import RENDERER, RENDERER_TASK_DEFINITIONS
from tests.e2e.conftest import REPO, TIME_SCALE
from tests.e2e.jobs import RENDER, probe, read_json, renderer_children
from tests.unit.client.media_files import write_png, write_wav

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SCENES = int(os.environ.get("CLOUDBURST_SCALE_SCENES", "150"))
TASKS = 10
SECONDS_ALLOWED = 90 + 0.4 * SCENES  # measured: 150 scenes in ~33 s, 300 in ~60 s, 2,000 in ~260 s on 2 cores
LOCAL_CLOUD_MB_ALLOWED = 1536
RENDERER_MB_ALLOWED = 400


@pytest.fixture(scope="module")
def stub_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    stub = TaskCommand(argv=RENDERER.argv, env={**RENDERER.env, "CLOUDBURST_STUB_RENDER": "1"})
    with LocalCloud(
        template=REPO / "template.yaml",
        run_dir=tmp_path_factory.mktemp("scale-run"),
        time_scale=TIME_SCALE,
        task_commands=dict.fromkeys(RENDERER_TASK_DEFINITIONS, stub),
    ) as cloud:
        yield cloud
        assert cloud.leftover_tasks() == []
    assert renderer_children() == []


class RendererMemory:
    """Samples the resident memory of the local cloud's task processes while a job runs."""

    def __init__(self, cloud: LocalCloud) -> None:
        self._cloud = cloud
        self._stop = threading.Event()
        self.peak_each_mb = 0.0
        self.peak_total_mb = 0.0
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> RendererMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            sizes = [_resident_mb(task.pid) for task in self._cloud.tasks() if task.alive and task.pid]
            if sizes:
                self.peak_each_mb = max(self.peak_each_mb, *sizes)
                self.peak_total_mb = max(self.peak_total_mb, sum(sizes))


def _resident_mb(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="memory is sampled from /proc")
@pytest.mark.timeout(SECONDS_ALLOWED + 180)  # beyond the suite's 300 s per test, for 2,000 scenes
def test_a_job_of_many_scenes_completes_with_every_scene_accounted_for(
    stub_cloud: LocalCloud, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    s3 = stub_cloud.client("s3")
    bucket = stub_cloud.outputs["BucketName"]
    s3.upload_file(str(write_png(tmp_path / "still.png", 64, 36)), bucket, "inputs/scale/still.png")
    s3.upload_file(str(write_wav(tmp_path / "voice.wav", 1.0)), bucket, "inputs/scale/voice.wav")
    per_task = min(200, math.ceil(SCENES / TASKS))
    job = {
        "version": 1,
        "name": "scale",
        "render": RENDER,
        "batching": {
            "strategy": "count", "scenes_per_task": per_task, "max_parallel_tasks": TASKS, "scenes_in_flight": 4
        },
        "scenes": [
            {"name": f"s{index:05}", "image": f"s3://{bucket}/inputs/scale/still.png", "audio": f"s3://{bucket}/inputs/scale/voice.wav"}
            for index in range(SCENES)
        ],
    }  # fmt: skip
    s3.put_object(Bucket=bucket, Key="manifests/scale.json", Body=json.dumps(job).encode())
    job_id = f"scale-{SCENES:012}"
    started = time.monotonic()
    with RendererMemory(stub_cloud) as renderers:
        execution = stub_cloud.client("stepfunctions").start_execution(
            stateMachineArn=stub_cloud.outputs["StateMachineArn"],
            name=job_id,
            input=json.dumps({"job_uri": f"s3://{bucket}/manifests/scale.json"}),
        )
        result = stub_cloud.wait_for_execution(execution["executionArn"], SECONDS_ALLOWED + 60)
    wall = time.monotonic() - started
    cloud_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {
        "scenes": SCENES,
        "wall_seconds": round(wall, 1),
        "scenes_per_second": round(SCENES / wall, 1),
        "local_cloud_peak_mb": round(cloud_mb),
        "renderer_peak_mb": round(renderers.peak_each_mb),
        "renderers_peak_total_mb": round(renderers.peak_total_mb),
        "lambda_invocations": len(stub_cloud.lambda_invocations()),
    }
    for name, value in figures.items():
        record_property(name, value)
    print(f"\nscale figures: {json.dumps(figures)}")

    assert result.succeeded, (result.error, result.cause)
    summary = read_json(stub_cloud, f"outputs/{job_id}/report.json")
    assert (summary["scenes_total"], summary["scenes_succeeded"], summary["scenes_failed"]) == (SCENES, SCENES, 0)
    assert summary["tasks_used"] == math.ceil(SCENES / per_task)
    videos = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"outputs/{job_id}/"):
        videos += sum(1 for item in page.get("Contents", []) if item["Key"].endswith(".mp4"))
    assert videos == SCENES
    sample = tmp_path / "sample.mp4"
    s3.download_file(bucket, f"outputs/{job_id}/s{SCENES - 1:05}.mp4", str(sample))
    assert {stream["codec_type"] for stream in probe(sample)["streams"]} >= {"video"}
    assert wall < SECONDS_ALLOWED
    assert cloud_mb < LOCAL_CLOUD_MB_ALLOWED
    assert renderers.peak_each_mb < RENDERER_MB_ALLOWED
