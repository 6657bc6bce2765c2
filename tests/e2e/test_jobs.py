"""Whole jobs through the real template and state machine on the local cloud, with the real renderer and ffmpeg.

Each test submits a job as a client of a deployed stack would (inputs in S3, StartExecution) and checks what
the stack produced: videos in S3 that ffprobe reads, a report whose numbers agree with the execution's history
and with ECS, and the failure paths: a corrupt input, a renderer that dies mid-batch, a capacity failure at
RunTask, a job stopped by its user, an invalid job, a job started by uploading its manifest. No renderer
process may outlive its job (checked after each job and for the module).
"""

from __future__ import annotations

import json
import math
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from cloudburst.local import LocalCloud
from tests.e2e.jobs import (
    HEIGHT,
    WIDTH,
    assert_report_times_match_the_execution,
    batch_records,
    download,
    encoders_of,
    job_document,
    job_tasks,
    probe,
    report,
    run_job,
    scene_files,
    sha256,
    start_job,
    timestamp,
    wait_until,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TWO_TASKS = {"batching": {"strategy": "count", "scenes_per_task": 2, "max_parallel_tasks": 2}}


def _assert_no_task_left(cloud: LocalCloud, job_id: str) -> None:
    wait_until(lambda: not [task for task in job_tasks(cloud, job_id) if task.alive], 15, "the job's tasks to stop")


def test_every_scene_becomes_a_video_and_the_report_agrees_with_the_run(
    product_cloud: LocalCloud, tmp_path: Path
) -> None:
    scenes = [
        scene_files(tmp_path, "opening", 1.5, subtitles=True),
        scene_files(tmp_path, "middle", 1.0),
        scene_files(tmp_path, "turn", 2.0),
        scene_files(tmp_path, "ending", 1.0),
    ]
    job = job_document(product_cloud, scenes, "happy", **TWO_TASKS)
    job["scenes"][0]["effect"] = "zoom_in"
    job["scenes"][2]["effect"] = "pan_left"
    job_id, result = run_job(product_cloud, job)
    assert result.succeeded, (result.error, result.cause)
    _assert_no_task_left(product_cloud, job_id)

    # Every video is in S3, downloads intact, and plays at the asked size and length.
    batches = batch_records(product_cloud, job_id)
    records = {scene["name"]: scene for batch in batches for scene in batch["scenes"]}
    served_by = {scene["name"]: batch["task"]["task_arn"] for batch in batches for scene in batch["scenes"]}
    for scene in scenes:
        record = records[scene.name]
        assert record["status"] == "succeeded"
        local = download(product_cloud, record["output_key"], tmp_path / "out" / f"{scene.name}.mp4")
        assert local.stat().st_size == record["size_bytes"]
        assert sha256(local) == record["sha256"]
        probed = probe(local)
        kinds = {stream["codec_type"]: stream for stream in probed["streams"]}
        assert kinds["video"]["codec_name"] == "h264"
        assert (kinds["video"]["width"], kinds["video"]["height"]) == (WIDTH, HEIGHT)
        assert kinds["audio"]["codec_name"] == "aac"
        assert float(probed["format"]["duration"]) == pytest.approx(scene.seconds, abs=0.25)

    # The report's numbers agree with the execution's history...
    summary = report(product_cloud, job_id)
    assert summary["status"] == "succeeded"
    assert (summary["scenes_total"], summary["scenes_succeeded"], summary["scenes_failed"]) == (4, 4, 0)
    assert summary["video_seconds"] == pytest.approx(sum(scene.seconds for scene in scenes), abs=0.5)
    assert_report_times_match_the_execution(product_cloud, summary, result)
    assert len(result.events("MapRunStarted")) == 1
    # ...and with ECS, which the report bills from.
    ecs = product_cloud.client("ecs")
    tasks = job_tasks(product_cloud, job_id)
    assert summary["tasks_used"] == len(tasks) == 2
    described = {
        task["taskArn"]: task
        for task in ecs.describe_tasks(cluster=product_cloud.outputs["ClusterArn"], tasks=[t.task_arn for t in tasks])[
            "tasks"
        ]
    }
    for billed in summary["tasks"]:
        truth = described[billed["task_arn"]]
        assert timestamp(billed["created_at"]) == pytest.approx(truth["createdAt"].timestamp(), abs=0.01)
        assert timestamp(billed["stopped_at"]) == pytest.approx(truth["stoppedAt"].timestamp(), abs=0.01)
        ran = truth["stoppedAt"].timestamp() - truth["pullStartedAt"].timestamp()
        assert billed["billed_seconds"] == max(60, math.ceil(ran))  # per second, one-minute minimum
        assert billed["exit_code"] == truth["containers"][0]["exitCode"] == 0
        assert sorted(billed["scenes"]) == sorted(name for name, arn in served_by.items() if arn == truth["taskArn"])
    assert summary["cost"]["total_usd"] > 0


def test_a_corrupt_narration_fails_its_scene_only(product_cloud: LocalCloud, tmp_path: Path) -> None:
    scenes = [
        scene_files(tmp_path, "fine", 1.0),
        scene_files(tmp_path, "broken", 1.0, corrupt=True),
        scene_files(tmp_path, "also-fine", 1.0),
    ]
    job_id, result = run_job(product_cloud, job_document(product_cloud, scenes, "corrupt", **TWO_TASKS))
    assert result.status == "FAILED"
    assert result.error == "CloudBurst.ScenesFailed"
    assert "broken" in (result.cause or "")
    summary = report(product_cloud, job_id)
    assert (summary["scenes_succeeded"], summary["scenes_failed"]) == (2, 1)
    broken = next(scene for scene in summary["scenes"] if scene["name"] == "broken")
    assert broken["status"] == "failed"
    assert "input_unreadable" in f"{broken['error_code']} {broken['error']}"
    assert "audio" in broken["error"]
    keys = product_cloud.client("s3").list_objects_v2(
        Bucket=product_cloud.outputs["BucketName"], Prefix=f"outputs/{job_id}/"
    )
    videos = sorted(item["Key"].rsplit("/", 1)[-1] for item in keys["Contents"] if item["Key"].endswith(".mp4"))
    assert videos == ["also-fine.mp4", "fine.mp4"]
    _assert_no_task_left(product_cloud, job_id)


def test_a_renderer_that_dies_mid_batch_fails_its_remaining_scenes_only(
    product_cloud: LocalCloud, tmp_path: Path
) -> None:
    # "second" is twenty minutes of narration (several seconds of work here, even for a scene without motion):
    # the task is killed as soon as its encoder starts on it, so the kill lands mid-render however slow this
    # test is to notice. (Five minutes, 1.5 s of work, once let the render finish before the kill.)
    scenes = [
        scene_files(tmp_path, "first", 1.0),
        scene_files(tmp_path, "second", 1200.0, rate=2000),
        scene_files(tmp_path, "third", 4.0),
        scene_files(tmp_path, "other-batch", 1.0),
    ]
    job = job_document(
        product_cloud, scenes, "crash", batching={"strategy": "count", "scenes_per_task": 3, "max_parallel_tasks": 2}
    )
    job_id, arn = start_job(product_cloud, job)
    s3 = product_cloud.client("s3")
    bucket = product_cloud.outputs["BucketName"]

    def first_video_landed() -> bool:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"outputs/{job_id}/first.mp4")
        return bool(listed.get("Contents"))

    wait_until(first_video_landed, 90, "the first scene's video")
    victim = next(task for task in job_tasks(product_cloud, job_id) if task.group.endswith(":0:0"))
    assert victim.pid is not None
    wait_until(lambda: encoders_of(victim.pid), 60, "the encoder of the second scene")
    os.kill(victim.pid, signal.SIGKILL)  # the renderer crashes

    result = product_cloud.wait_for_execution(arn, 120)
    assert result.status == "FAILED"
    assert result.error == "CloudBurst.ScenesFailed"
    summary = report(product_cloud, job_id)
    outcome = {scene["name"]: scene["status"] for scene in summary["scenes"]}
    assert outcome == {"first": "succeeded", "second": "failed", "third": "failed", "other-batch": "succeeded"}
    crashed = next(task for task in summary["tasks"] if task["task_arn"] == victim.task_arn)
    assert crashed["exit_code"] == 137  # killed: the task stopped, as ECS reports it
    assert crashed["stopped_at"] is not None
    _assert_no_task_left(product_cloud, job_id)


def test_a_capacity_failure_at_run_task_is_retried(product_cloud: LocalCloud, tmp_path: Path) -> None:
    injected = len(product_cloud.faults.injected)
    product_cloud.faults.fail_run_task(times=1)
    job_id, result = run_job(
        product_cloud, job_document(product_cloud, [scene_files(tmp_path, "only", 1.0)], "capacity")
    )
    assert result.succeeded, (result.error, result.cause)
    assert len(product_cloud.faults.injected) == injected + 1  # the failure happened and was retried past
    assert len(job_tasks(product_cloud, job_id)) == 1  # the failed RunTask started nothing
    assert report(product_cloud, job_id)["scenes_succeeded"] == 1
    _assert_no_task_left(product_cloud, job_id)


def test_a_job_stopped_by_its_user_stops_its_tasks(product_cloud: LocalCloud, tmp_path: Path) -> None:
    scenes = [scene_files(tmp_path, f"long-{index}", 6.0) for index in range(4)]
    job_id, arn = start_job(product_cloud, job_document(product_cloud, scenes, "stopped", **TWO_TASKS))
    wait_until(lambda: len([t for t in job_tasks(product_cloud, job_id) if t.alive]) == 2, 60, "both tasks to start")
    product_cloud.client("stepfunctions").stop_execution(executionArn=arn, error="User.Cancelled", cause="test")
    assert product_cloud.wait_for_execution(arn, 30).status == "ABORTED"
    _assert_no_task_left(product_cloud, job_id)
    ecs = product_cloud.client("ecs")
    tasks = [task.task_arn for task in job_tasks(product_cloud, job_id)]
    for task in ecs.describe_tasks(cluster=product_cloud.outputs["ClusterArn"], tasks=tasks)["tasks"]:
        assert task["lastStatus"] == "STOPPED"
        assert task["stopCode"] == "UserInitiated"


def test_an_invalid_job_is_refused_before_any_task_starts(product_cloud: LocalCloud, tmp_path: Path) -> None:
    scenes = [
        scene_files(tmp_path, "good", 1.0),
        scene_files(tmp_path, "text", 1.0),
        scene_files(tmp_path, "backwards", 1.0, subtitles=True),
    ]
    scenes[1].image.write_text("this is not a picture")
    assert scenes[2].subtitles is not None
    scenes[2].subtitles.write_text("1\n00:00:00,500 --> 00:00:00,200\nends before it starts\n")
    job_id, result = run_job(product_cloud, job_document(product_cloud, scenes, "invalid"))
    assert result.status == "FAILED"
    assert result.error == "CloudBurst.InvalidJob"
    assert "scenes[1].image" in (result.cause or "")
    assert "backwards.srt: not valid SRT: line 2: the cue ends (00:00:00,200) before it starts" in (result.cause or "")
    assert job_tasks(product_cloud, job_id) == []


def test_uploading_a_manifest_under_jobs_starts_the_job(product_cloud: LocalCloud, tmp_path: Path) -> None:
    scene = scene_files(tmp_path, "uploaded", 1.0)
    s3 = product_cloud.client("s3")
    bucket = product_cloud.outputs["BucketName"]
    s3.upload_file(str(scene.image), bucket, "jobs/e2e/uploaded.png")
    s3.upload_file(str(scene.audio), bucket, "jobs/e2e/uploaded.wav")
    manifest = {"version": 1, "name": "uploaded", "render": job_document(product_cloud, [], "unused")["render"],
                "scenes": [{"name": "uploaded", "image": "uploaded.png", "audio": "uploaded.wav"}]}  # fmt: skip
    s3.put_object(Bucket=bucket, Key="jobs/e2e/trigger.json", Body=json.dumps(manifest).encode())
    sfn = product_cloud.client("stepfunctions")

    def started() -> list[dict[str, Any]]:
        listed = sfn.list_executions(stateMachineArn=product_cloud.outputs["StateMachineArn"])["executions"]
        return [execution for execution in listed if execution["name"].startswith("uploaded-")]

    execution = wait_until(started, 30, "the upload trigger to start the job")[0]
    result = product_cloud.wait_for_execution(execution["executionArn"], 120)
    assert result.succeeded, (result.error, result.cause)
    assert report(product_cloud, execution["name"])["scenes_succeeded"] == 1
