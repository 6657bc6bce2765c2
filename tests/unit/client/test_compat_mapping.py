"""The compatibility layer's two halves, without running anything: the older library's arguments become
the documented CloudBurst job, and a report becomes the older library's result keys with the report's
meanings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudburst.client.downloads import DownloadedVideo
from cloudburst.client.errors import InvalidJob
from cloudburst.client.status import ExecutionState, JobStatus
from cloudburst.compat.fargate import (
    execute_parallel_batches,
    fargate_result,
    job_from_fargate_arguments,
    scan_scenes_from_folder,
    zoom_for,
)
from cloudburst.core.pricing import bundled_price_table
from cloudburst.core.report import build_report
from cloudburst.core.scheduling import Batch, SceneWork
from cloudburst.models.job import ComputeOptions
from cloudburst.models.records import BatchRecord
from cloudburst.models.report import Report
from tests.unit.client.media_files import make_scene_folder

REPORT_FIXTURE = Path(__file__).parents[1] / "economics" / "fixtures" / "partial_job.json"
DOCUMENTED_KEYS = {
    "success",
    "total_scenes",
    "successful_scenes",
    "failed_scenes",
    "total_cost_usd",
    "total_time",
    "parallel_time",
    "time_saved",
    "tasks_used",
    "downloaded_files",
    "efficiency",
    "batch_results",
    "task_results",
    "scenes_per_batch",
}
EFFICIENCY_KEYS = {"speedup_factor", "processing_efficiency", "cost_per_scene", "success_rate"}


def _scenes(folder: Path, names: list[str], subtitles: bool = True) -> list[dict[str, Any]]:
    make_scene_folder(folder, names, subtitles=subtitles)
    return scan_scenes_from_folder(folder)


def test_arguments_map_to_the_documented_job(tmp_path: Path) -> None:
    scenes = _scenes(tmp_path, ["s1", "s2", "s3"])
    scenes[1]["subtitle_path"] = None  # the older library failed such a scene; here subtitles are optional
    mark = tmp_path / "images" / "s1.png"
    job = job_from_fargate_arguments(
        scenes,
        scenes_per_batch=2,
        language="english",
        enable_zoom=True,
        config_priority=2,
        max_parallel_tasks=3,
        watermark_path=mark,
        is_portrait=True,
        background_box=True,
        background_opacity=0.2,
    )
    spec = job.spec()
    assert (spec.batching.strategy, spec.batching.scenes_per_task, spec.batching.max_parallel_tasks) == ("count", 2, 3)
    assert spec.compute.profile == "high"
    subtitles = spec.render.subtitles
    assert (subtitles.language, subtitles.box) == ("en", True)
    assert subtitles.box_opacity == pytest.approx(0.8)
    assert spec.render.orientation == "portrait"
    assert [scene.effect for scene in spec.scenes] == [zoom_for(name) for name in ("s1", "s2", "s3")]
    assert spec.scenes[1].subtitles is None
    assert spec.watermark == spec.scenes[0].image  # one file, one upload
    assert job.validate().ok


@pytest.mark.parametrize(("is_portrait", "orientation"), [(False, "landscape"), (True, "portrait"), (None, "auto")])
def test_is_portrait_is_the_output_orientation(tmp_path: Path, is_portrait: bool | None, orientation: str) -> None:
    job = job_from_fargate_arguments(_scenes(tmp_path, ["a"]), is_portrait=is_portrait, enable_zoom=False)
    spec = job.spec()
    assert (spec.render.orientation, spec.scenes[0].effect) == (orientation, None)
    assert spec.render.subtitles.language == "zh"  # the older default, chinese


def test_zoom_choice_is_stable_and_uses_both_directions() -> None:
    names = [f"scene_{index}" for index in range(40)]
    assert [zoom_for(name) for name in names] == [zoom_for(name) for name in names]
    assert {zoom_for(name) for name in names} == {"zoom_in", "zoom_out"}


def test_bad_arguments_are_refused_before_anything_runs(tmp_path: Path) -> None:
    scenes = _scenes(tmp_path, ["a"])
    with pytest.raises(InvalidJob) as caught:
        job_from_fargate_arguments(
            [*scenes, {"scene_name": "b", "image_path": "x.png"}],
            config_priority=9,
            language="klingon!",
            background_opacity=1.5,
        )
    assert caught.value.problems == [
        "scenes[1]: missing audio_path",
        "config_priority: 9 is not 1-5 (1 standard, 2 high, 3 ultra, 4 maximum, 5 economy)",
        "background_opacity: 1.5 is not between 0 (solid) and 1 (invisible)",
        "language: 'klingon!' is neither 'english', 'chinese' nor a language code such as 'ja'",
    ]
    with pytest.raises(InvalidJob) as caught:
        execute_parallel_batches([])
    assert caught.value.problems == ["scenes: give at least one scene"]  # not the schema's words as well


def test_bad_arguments_and_bad_files_are_reported_together_before_anything_runs(tmp_path: Path) -> None:
    scenes = {scene["scene_name"]: scene for scene in _scenes(tmp_path, ["a", "b", "c"], subtitles=False)}
    good, text, missing = scenes["a"], scenes["b"], scenes["c"]
    Path(str(text["image_path"])).write_text("not an image")
    Path(str(missing["audio_path"])).unlink()
    with pytest.raises(InvalidJob) as caught:  # no target is given: it would fail to connect if it got that far
        execute_parallel_batches([good, text, missing], config_priority=7, background_opacity=2, max_parallel_tasks=0)
    assert caught.value.problems == [
        "config_priority: 7 is not 1-5 (1 standard, 2 high, 3 ultra, 4 maximum, 5 economy)",
        "background_opacity: 2 is not between 0 (solid) and 1 (invisible)",
        "batching.max_parallel_tasks: Input should be greater than or equal to 1",
        f"scenes[1] (b).image: {text['image_path']}: expected a PNG, JPEG or WebP image, got an unrecognised format",
        f"scenes[2] (c).audio: {missing['audio_path']}: no such file",
    ]
    assert "each file named" in caught.value.hint


def test_min_scenes_per_batch_other_than_the_default_warns(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="min_scenes_per_batch has no effect"), pytest.raises(InvalidJob):
        execute_parallel_batches([], min_scenes_per_batch=3)


def _report() -> Report:
    fixture = json.loads(REPORT_FIXTURE.read_text())
    plan = fixture["plan"]
    return build_report(
        job_id=fixture["job"]["job_id"],
        job_name=fixture["job"]["job_name"],
        compute=ComputeOptions.model_validate(fixture["job"]["compute"]),
        region=fixture["job"]["region"],
        scenes=[SceneWork(s["name"], s["audio_seconds"]) for s in plan["scenes"]],
        batches=[Batch(b["index"], tuple(b["scenes"]), b["audio_seconds"]) for b in plan["batches"]],
        records=[BatchRecord.model_validate(r) for r in fixture["records"]],
        started_at=fixture["execution"]["started_at"],
        finished_at=fixture["execution"]["finished_at"],
        prices=bundled_price_table(),
    )


def _status(report: Report) -> JobStatus:
    return JobStatus(
        job_id=report.job_id,
        state=ExecutionState.FAILED,
        scenes_total=report.scenes_total,
        scenes_done=report.scenes_succeeded,
        scenes_failed=report.scenes_failed,
        tasks_running=0,
        elapsed_s=report.wall_seconds,
        cost_so_far_usd=None,
        started_at=0.0,
        stopped_at=report.wall_seconds,
        error="CloudBurst.ScenesFailed",
    )


def test_result_keys_carry_the_reports_meanings(tmp_path: Path) -> None:
    report = _report()
    succeeded = [scene.name for scene in report.scenes if scene.status == "succeeded"]
    videos = [
        DownloadedVideo(name, tmp_path / f"{name}.mp4", 100, "0" * 64, 1.0 + i, 2.0 + i, verified=True)
        for i, name in enumerate(succeeded)
    ]
    result = fargate_result(_status(report), report, videos, scenes_per_batch=3, output_directory=tmp_path)

    assert set(result) >= DOCUMENTED_KEYS
    assert set(result["efficiency"]) >= EFFICIENCY_KEYS
    assert result["success"] is False  # some scenes failed
    assert (result["total_scenes"], result["successful_scenes"], result["failed_scenes"]) == (
        report.scenes_total,
        report.scenes_succeeded,
        report.scenes_failed,
    )
    assert result["total_cost_usd"] == pytest.approx(report.cost.total_usd, abs=1e-6)
    assert result["total_time"] == sum(task.billed_seconds for task in report.tasks)
    assert result["parallel_time"] == report.wall_seconds
    expected_saved = max(0.0, report.efficiency.sequential_estimate_seconds - report.wall_seconds)
    assert result["time_saved"] == pytest.approx(expected_saved, abs=1e-3)
    assert result["tasks_used"] == report.tasks_used
    assert result["downloaded_files"] == [str(video.path) for video in videos]
    assert result["efficiency"]["speedup_factor"] == report.efficiency.speedup_factor
    assert result["efficiency"]["processing_efficiency"] == report.efficiency.processing_efficiency
    assert result["efficiency"]["cost_per_scene"] == report.cost.per_scene_usd
    assert result["efficiency"]["success_rate"] == report.efficiency.success_rate

    names = [entry["scene_name"] for entry in result["batch_results"]]
    assert names == sorted(scene.name for scene in report.scenes)  # every scene, failed ones included
    failed = [entry for entry in result["batch_results"] if not entry["success"]]
    assert len(failed) == report.scenes_failed
    assert all(entry["error"] and entry["download_success"] is False for entry in failed)
    assert all(entry["download_success"] for entry in result["batch_results"] if entry["success"])
    assert {task["batch_id"] for task in result["task_results"]} == {task.batch_index for task in report.tasks}
    assert all(task["task_config"].endswith("GB") for task in result["task_results"])


def test_a_job_that_failed_as_a_whole_still_has_every_key(tmp_path: Path) -> None:
    status = JobStatus(
        job_id="job-000000000000",
        state=ExecutionState.FAILED,
        scenes_total=4,
        scenes_done=0,
        scenes_failed=0,
        tasks_running=0,
        elapsed_s=3.5,
        cost_so_far_usd=None,
        started_at=0.0,
        stopped_at=3.5,
        error="CloudBurst.InvalidJob",
        cause="scenes[0].audio: not found",
    )
    result = fargate_result(status, None, [], scenes_per_batch=10, output_directory=tmp_path)
    assert set(result) >= DOCUMENTED_KEYS
    assert set(result["efficiency"]) >= EFFICIENCY_KEYS
    assert (result["success"], result["failed_scenes"], result["tasks_used"]) == (False, 4, 0)
    assert result["error"] == "FAILED: CloudBurst.InvalidJob (scenes[0].audio: not found)"


def test_scan_scenes_from_folder_gives_the_old_scene_dicts(tmp_path: Path) -> None:
    scenes = _scenes(tmp_path, ["scene_2", "scene_1"], subtitles=False)
    assert scenes == [
        {
            "scene_name": name,
            "image_path": str(tmp_path / "images" / f"{name}.png"),
            "audio_path": str(tmp_path / "audio" / f"{name}.wav"),
            "subtitle_path": None,
        }
        for name in ("scene_1", "scene_2")
    ]
