"""`execute_parallel_batches` on the local cloud: a real job through the state machine and the renderer,
returning every key the older library documented, each with the meaning the job's report gives it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudburst.client.local_target import connect_served
from cloudburst.client.targets import Target
from cloudburst.compat import cleanup_all_tasks, execute_parallel_batches, list_running_tasks, scan_scenes_from_folder
from cloudburst.local import LocalCloud
from cloudburst.models.report import Report
from tests.unit.client.media_files import make_scene_folder

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

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
}


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with LocalCloud(run_dir=tmp_path_factory.mktemp("compat-run"), time_scale=0.2) as cloud:
        with connect_served(cloud.describe()) as connected:
            yield connected
        assert cloud.leftover_tasks() == []


def _report(target: Target, job_id: str) -> Report:
    body = target.s3().get_object(Bucket=target.outputs.bucket, Key=f"outputs/{job_id}/report.json")["Body"].read()
    return Report.model_validate(json.loads(body))


def test_execute_parallel_batches_returns_every_documented_key_with_the_reports_meaning(
    target: Target, tmp_path: Path
) -> None:
    folder = make_scene_folder(tmp_path / "story", ["scene_1", "scene_2", "scene_3"], subtitles=False)
    scenes = scan_scenes_from_folder(folder)
    scenes[0]["subtitle_path"] = str(folder / "audio" / "scene_1.srt")  # only one scene has subtitles
    (folder / "audio" / "scene_1.srt").write_text("1\n00:00:00,000 --> 00:00:00,900\nHello\n", encoding="utf-8")

    result: dict[str, Any] = execute_parallel_batches(
        scenes,
        scenes_per_batch=2,
        language="english",
        enable_zoom=True,
        config_priority=5,
        max_parallel_tasks=2,
        saving_dir=tmp_path / "saved",
        is_portrait=None,
        background_opacity=0.2,
        target=target,
    )

    assert set(result) >= DOCUMENTED_KEYS
    assert set(result["efficiency"]) >= {"speedup_factor", "processing_efficiency", "cost_per_scene", "success_rate"}
    report = _report(target, result["job_id"])
    assert result["success"] is True
    assert (result["total_scenes"], result["successful_scenes"], result["failed_scenes"]) == (3, 3, 0)
    assert result["tasks_used"] == report.tasks_used == 2  # scenes_per_batch=2 honoured: batches of 2 and 1
    assert result["total_cost_usd"] == pytest.approx(report.cost.total_usd, abs=1e-6)
    assert result["total_cost_usd"] > 0
    assert result["total_time"] == sum(task.billed_seconds for task in report.tasks) >= 2 * 60  # minimum per task
    assert result["parallel_time"] == report.wall_seconds
    assert result["time_saved"] == pytest.approx(
        max(0.0, report.efficiency.sequential_estimate_seconds - report.wall_seconds), abs=1e-3
    )
    assert result["efficiency"]["speedup_factor"] == report.efficiency.speedup_factor
    assert result["efficiency"]["success_rate"] == 1.0
    assert result["efficiency"]["cost_per_scene"] == pytest.approx(report.cost.total_usd / 3, rel=1e-3)

    downloaded = [Path(path) for path in result["downloaded_files"]]
    assert sorted(path.name for path in downloaded) == ["scene_1.mp4", "scene_2.mp4", "scene_3.mp4"]
    assert all(path.is_file() and path.parent == tmp_path / "saved" / result["job_id"] for path in downloaded)
    assert [entry["scene_name"] for entry in result["batch_results"]] == ["scene_1", "scene_2", "scene_3"]
    assert all(entry["success"] and entry["download_success"] for entry in result["batch_results"])
    assert {task["task_config"] for task in result["task_results"]} == {"1.0vCPU/2.0GB"}  # priority 5: economy

    assert list_running_tasks(target=target) == []
    assert cleanup_all_tasks(target=target) == {
        "success": True,
        "terminated_count": 0,
        "failed_count": 0,
        "terminated_tasks": [],
        "failed_tasks": [],
        "message": "No running CloudBurst tasks",
    }
