"""Following a job through what the pipeline leaves in S3 and ECS (written here by hand, the way RecordBatch,
CopyOutput and the state machine's tasks would): status counts, cost so far, verified downloads, events."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

import pytest

from cloudburst.client.downloads import VideoDownloader
from cloudburst.client.errors import DownloadFailed, ReportNotReady
from cloudburst.client.handle import JobEnded, JobHandle, SceneFailed, StatusUpdate, VideoArrived, job_task_group_prefix
from cloudburst.client.job import Job
from cloudburst.client.status import ExecutionState, JobState
from cloudburst.client.submit import submit
from cloudburst.client.targets import Target
from cloudburst.core.naming import task_group
from cloudburst.core.pricing import bundled_price_table
from cloudburst.models.job import Architecture, Capacity
from tests.integration.client.conftest import BUCKET, run_renderer_tasks
from tests.unit.client.media_files import make_scene_folder

VIDEO = b"\x00\x00\x00\x18ftypisom" + b"v" * 5000


def _handle(target: Target, tmp_path: Path, scenes: list[str]) -> JobHandle:
    return submit(Job.from_folder(make_scene_folder(tmp_path / "story", scenes, subtitles=False)), target)


def _put_video(target: Target, handle: JobHandle, scene: str, body: bytes = VIDEO, sha: str | None = "auto") -> None:
    metadata = {} if sha is None else {"sha256": hashlib.sha256(body).hexdigest() if sha == "auto" else sha}
    key = f"outputs/{handle.job_id}/{scene}.mp4"
    target.s3().put_object(Bucket=BUCKET, Key=key, Body=body, Metadata=metadata)


def _put_record(target: Target, handle: JobHandle, index: int, scenes: list[dict[str, object]], **task: object) -> None:
    record = {"job_id": handle.job_id, "batch_index": index, "scenes": scenes}
    if task:
        record["task"] = {"profile": "standard", "capacity": "on-demand", "architecture": "x86_64", **task}
    key = f"runs/{handle.job_id}/batches/{index}.json"
    target.s3().put_object(Bucket=BUCKET, Key=key, Body=json.dumps(record).encode())


def test_status_counts_scenes_from_videos_and_records_and_prices_finished_tasks(target: Target, tmp_path: Path) -> None:
    handle = _handle(target, tmp_path, ["s1", "s2", "s3", "s4"])
    _put_video(target, handle, "s1")
    _put_record(
        target,
        handle,
        0,
        [
            {"name": "s2", "status": "failed", "batch_index": 0, "error": "audio: cannot read the MP3 headers"},
            {"name": "s3", "status": "succeeded", "batch_index": 0, "sha256": "ab" * 32},
        ],
        task_arn="arn:aws:ecs:us-east-1:123456789012:task/cloudburst/0",
        cpu_units=2048,
        memory_mib=4096,
        pull_started_at=1000.0,
        stopped_at=1090.0,
    )
    status = handle.status()
    assert status.state is ExecutionState.RUNNING
    assert not status.finished
    assert (status.scenes_total, status.scenes_done, status.scenes_failed, status.scenes_left) == (4, 2, 1, 1)
    assert status.failed_scenes == {"s2": "audio: cannot read the MP3 headers"}
    assert status.recorded_sha256 == {"s3": "ab" * 32}
    rates = bundled_price_table().fargate_rates("us-east-1", Architecture.X86_64, Capacity.ON_DEMAND)
    assert status.cost_so_far_usd == pytest.approx(90 * rates.per_second(2, 4))
    assert status.as_dict()["scenes"] == {"total": 4, "done": 2, "failed": 1, "left": 1}


def test_running_tasks_of_this_job_are_counted_and_billed_until_now(target: Target, tmp_path: Path) -> None:
    handle = _handle(target, tmp_path, ["s1"])
    for group in (task_group(handle.job_id, 0, 0), task_group("other-000000000000", 0, 0)):
        run_renderer_tasks(target, group, startedBy="AWS Step Functions", overrides={"cpu": "2048", "memory": "4096"})
    status = handle.status()
    assert status.tasks_running == 1
    assert status.cost_so_far_usd == 0.0  # ECS has not begun pulling its image: nothing is billed yet
    assert job_task_group_prefix(handle.job_id) == f"cloudburst:{handle.job_id}:"


def test_downloads_are_verified_against_the_recorded_hash(target: Target, tmp_path: Path) -> None:
    handle = _handle(target, tmp_path, ["s1", "s2"])
    _put_video(target, handle, "s1")
    _put_video(target, handle, "s2", body=VIDEO + b"2", sha=None)  # no metadata: checked against the record
    videos = handle.download(tmp_path / "out", wait=False)
    assert sorted((v.scene, v.verified) for v in videos) == [("s1", True), ("s2", False)]
    assert (tmp_path / "out" / "s1.mp4").read_bytes() == VIDEO
    assert not list((tmp_path / "out").glob(".*part"))

    downloader = VideoDownloader(target.s3(), BUCKET, tmp_path / "out")
    again = downloader.fetch(handle.status().videos)
    assert all(video.reused for video in again)  # already there with the same bytes: nothing fetched
    confirmed = downloader.confirm({"s2": hashlib.sha256(VIDEO + b"2").hexdigest()})
    assert [video.scene for video in confirmed] == ["s2"]
    assert downloader.unverified == []


def test_a_video_that_does_not_match_its_hash_is_refused_and_removed(target: Target, tmp_path: Path) -> None:
    handle = _handle(target, tmp_path, ["s1", "s2"])
    _put_video(target, handle, "s1", sha="00" * 32)
    with pytest.raises(DownloadFailed, match=r"s1.mp4: could not be downloaded after 3 attempts \(SHA-256"):
        handle.download(tmp_path / "out", wait=False)
    assert not (tmp_path / "out" / "s1.mp4").exists()

    _put_video(target, handle, "s2", sha=None)
    downloader = VideoDownloader(target.s3(), BUCKET, tmp_path / "out2")
    downloader.fetch([v for v in handle.status().videos if v.scene == "s2"])
    with pytest.raises(DownloadFailed, match="does not match the rendered video"):
        downloader.confirm({"s2": "11" * 32})
    assert not (tmp_path / "out2" / "s2.mp4").exists()


def test_watch_delivers_each_video_before_the_job_ends(target: Target, tmp_path: Path) -> None:
    handle = _handle(target, tmp_path, ["s1", "s2"])

    def pipeline() -> None:
        time.sleep(0.1)
        _put_video(target, handle, "s1")
        time.sleep(0.2)
        _put_record(target, handle, 1, [{"name": "s2", "status": "failed", "batch_index": 1, "error": "boom"}])
        time.sleep(0.1)
        target.sfn().stop_execution(executionArn=handle.execution_arn, error="CloudBurst.Cancelled")

    worker = threading.Thread(target=pipeline)
    worker.start()
    events = list(handle.watch(tmp_path / "out", poll_s=0.02))
    worker.join()
    kinds = [type(event) for event in events]
    assert (kinds.count(VideoArrived), kinds.count(SceneFailed), kinds[-1]) == (1, 1, JobEnded)
    assert kinds.index(VideoArrived) < kinds.index(JobEnded)
    assert isinstance(events[0], StatusUpdate)
    arrived = next(e for e in events if isinstance(e, VideoArrived))
    ended = events[-1]
    assert isinstance(ended, JobEnded)
    assert ended.status.state is ExecutionState.ABORTED
    assert ended.status.stopped_at is not None
    assert arrived.video.downloaded_at <= ended.status.stopped_at + 1.0  # S3 and SFN clocks are whole seconds
    failed = next(e for e in events if isinstance(e, SceneFailed))
    assert (failed.scene, failed.reason) == ("s2", "boom")


def test_report_before_the_job_ends_says_so(target: Target, tmp_path: Path) -> None:
    handle = _handle(target, tmp_path, ["s1"])
    with pytest.raises(ReportNotReady, match="has no report yet"):
        handle.report_document()
    key = f"outputs/{handle.job_id}/report.json"
    target.s3().put_object(Bucket=BUCKET, Key=key, Body=b'{"job_id": "x"}')
    target.s3().put_object(Bucket=BUCKET, Key=f"outputs/{handle.job_id}/timeline.html", Body=b"<html></html>")
    assert handle.report_document() == {"job_id": "x"}
    written = handle.save_report_files(tmp_path / "report")
    assert [path.name for path in written] == ["report.json", "timeline.html"]


def test_a_job_cancelled_before_it_was_planned_has_no_report(target: Target, tmp_path: Path) -> None:
    handle = _handle(target, tmp_path, ["s1"])
    assert handle.cancel() is True
    assert handle.cancel() is False  # it had already ended
    with pytest.raises(ReportNotReady, match="was cancelled before it was planned; no task ran"):
        handle.report_document()
    status = handle.status()
    assert (status.job_state, status.cost_so_far_usd, status.cost_final) == (JobState.CANCELLED, 0.0, False)


def _put_plan(target: Target, handle: JobHandle, batches: list[list[str]]) -> None:
    plan = {
        "job_id": handle.job_id,
        "name": "story",
        "compute": {"profile": "standard", "capacity": "on-demand", "architecture": "x86_64"},
        "output_prefix": f"outputs/{handle.job_id}/",
        "scenes": [
            {"name": name, "batch_index": index, "audio_seconds": 4.0}
            for index, names in enumerate(batches)
            for name in names
        ],
        "batches": [
            {"index": index, "scenes": names, "audio_seconds": 4.0 * len(names)} for index, names in enumerate(batches)
        ],
    }
    target.s3().put_object(Bucket=BUCKET, Key=f"runs/{handle.job_id}/plan.json", Body=json.dumps(plan).encode())


def test_a_cancelled_job_gets_a_report_of_what_its_tasks_did_and_cost(target: Target, tmp_path: Path) -> None:
    handle = _handle(target, tmp_path, ["s1", "s2", "s3", "s4"])
    _put_plan(target, handle, [["s1", "s2"], ["s3", "s4"]])
    _put_record(  # batch 0 finished before the cancel: its record bills its task
        target,
        handle,
        0,
        [
            {"name": "s1", "status": "succeeded", "batch_index": 0},
            {"name": "s2", "status": "succeeded", "batch_index": 0},
        ],
        task_arn="arn:aws:ecs:us-east-1:123456789012:task/cloudburst/0",
        cpu_units=2048,
        memory_mib=4096,
        pull_started_at=1000.0,
        stopped_at=1090.0,
    )
    (arn,) = run_renderer_tasks(target, task_group(handle.job_id, 1, 0), startedBy="AWS Step Functions")
    _put_video(target, handle, "s3")  # batch 1 delivered one scene, then the job was cancelled
    assert handle.cancel("changed my mind") is True
    ecs, cluster = target.ecs(), target.outputs.cluster or ""
    with pytest.raises(ReportNotReady, match="1 of its tasks are still stopping"):
        handle.report_document()  # (the state machine stops its tasks; here the test does)
    ecs.stop_task(cluster=cluster, task=arn, reason="Execution was stopped")
    ecs.describe_tasks(cluster=cluster, tasks=[arn])  # moto moves it on when described

    report = handle.report()
    assert report.status == "cancelled"
    assert (report.scenes_succeeded, report.scenes_failed) == (3, 1)
    assert sorted((task.batch_index, task.task_arn) for task in report.tasks) == [
        (0, "arn:aws:ecs:us-east-1:123456789012:task/cloudburst/0"),
        (1, arn),
    ]
    rates = bundled_price_table().fargate_rates("us-east-1", Architecture.X86_64, Capacity.ON_DEMAND)
    assert report.cost.by_service.fargate == pytest.approx(90 * rates.per_second(2, 4), abs=1e-6)
    assert report.efficiency.speedup_factor is None  # it never did all its work
    (failure,) = report.failures
    assert failure.scene == "s4"
    assert "was cancelled" in failure.error
    stored = target.s3().list_objects_v2(Bucket=BUCKET, Prefix=f"outputs/{handle.job_id}/")["Contents"]
    assert {item["Key"].rsplit("/", 1)[-1] for item in stored} == {
        "s3.mp4",
        "report.json",
        "timeline.html",
        "timeline.png",
    }

    status = handle.status()
    assert (status.job_state, status.state) == (JobState.CANCELLED, ExecutionState.ABORTED)
    assert status.cost_final
    assert status.cost_so_far_usd == report.cost.total_usd
    assert status.elapsed_s == report.wall_seconds
    assert status.as_dict()["state"] == "cancelled"
    assert status.as_dict()["execution_status"] == "ABORTED"


def test_a_task_that_stopped_before_its_record_is_still_counted(target: Target, tmp_path: Path) -> None:
    handle = _handle(target, tmp_path, ["s1"])
    ecs = target.ecs()
    (arn,) = run_renderer_tasks(target, task_group(handle.job_id, 0, 0), startedBy="AWS Step Functions")
    assert handle.status().tasks_running == 1
    ecs.stop_task(cluster=target.outputs.cluster or "", task=arn, reason="batch released")
    ecs.describe_tasks(cluster=target.outputs.cluster or "", tasks=[arn])  # moto moves it on when described
    later = handle.status()
    assert later.tasks_running == 0
    assert [task.task_arn for task in handle._known_tasks([], [])] == [arn]  # billed until its record arrives
