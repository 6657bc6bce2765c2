"""What an output folder already holds of a job: its report read back, each video checked by the SHA-256 the
report records, and files set aside (never deleted) when they are in another job's way."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from cloudburst.client.delivered import delivery, files_in_the_way, find_delivery, read_report, set_aside, video_path
from cloudburst.models.report import Report


def _scene(name: str, *, status: str = "succeeded", sha256: str | None = None) -> dict[str, Any]:
    failed = status == "failed"
    return {
        "name": name,
        "status": status,
        "batch_index": 0,
        "attempt": 0,
        "task_arn": None,
        "started_at": None,
        "finished_at": None,
        "render_seconds": None,
        "audio_seconds": 1.0,
        "realtime_factor": None,
        "size_bytes": None,
        "output_key": None if failed else f"outputs/job/{name}.mp4",
        "sha256": sha256,
        "error_code": "render_failed" if failed else None,
        "error": "bad" if failed else None,
    }


def _write_job(folder: Path, job_id: str, videos: dict[str, bytes | None]) -> Report:
    """A folder as `render` leaves it: each video (None: the scene failed) and a report recording its hash."""
    folder.mkdir(parents=True, exist_ok=True)
    scenes = []
    for name, content in videos.items():
        if content is None:
            scenes.append(_scene(name, status="failed"))
            continue
        video_path(folder, name).write_bytes(content)
        scenes.append(_scene(name, sha256=hashlib.sha256(content).hexdigest()))
    failed = sum(content is None for content in videos.values())
    report = _minimal_report(job_id, scenes, "succeeded" if not failed else "partial")
    (folder / "report.json").write_text(report.to_json(), encoding="utf-8")
    return report


def _minimal_report(job_id: str, scenes: list[dict[str, Any]], status: str) -> Report:
    """A valid report with nothing but the identity, status and scene lines these tests look at."""
    document: dict[str, Any] = {
        "job_id": job_id,
        "job_name": "story",
        "status": status,
        "region": "us-east-1",
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:01:00Z",
        "wall_seconds": 60.0,
        "scenes_total": len(scenes),
        "scenes_succeeded": sum(s["status"] == "succeeded" for s in scenes),
        "scenes_failed": sum(s["status"] == "failed" for s in scenes),
        "failures": [],
        "video_seconds": 1.0,
        "tasks_used": 0,
        "cost": {
            "total_usd": 0.0,
            "by_service": dict.fromkeys(
                ("fargate", "fargate_storage", "public_ipv4", "lambda", "step_functions", "s3"), 0
            ),
            "per_scene_usd": None,
            "per_video_minute_usd": None,
        },
        "efficiency": {
            "speedup_factor": None,
            "parallel_efficiency": None,
            "processing_efficiency": None,
            "cost_ratio_vs_sequential": None,
            "sequential_estimate_seconds": 0.0,
            "success_rate": 1.0,
        },
        "tasks": [],
        "scenes": scenes,
        "usage": {
            "lambda_invocations": 0,
            "lambda_gb_seconds": 0.0,
            "state_transitions": 0,
            "s3_put_requests": 0,
            "s3_get_requests": 0,
            "estimated": True,
        },
        "prices": {
            "source": [],
            "date": "2026-01-01",
            "region": "us-east-1",
            "currency": "USD",
            "fargate_on_demand": {},
            "fargate_spot": {},
            "ephemeral_storage_gb_hour": 0,
            "free_ephemeral_storage_gb": 20,
            "public_ipv4_hour": 0,
            "lambda_gb_second": 0,
            "lambda_requests_per_million": 0,
            "step_functions_per_thousand_transitions": 0,
            "s3_put_per_thousand": 0,
            "s3_get_per_thousand": 0,
        },
    }
    return Report.model_validate(document)


def test_a_job_whose_every_video_matches_its_report_is_complete(tmp_path: Path) -> None:
    report = _write_job(tmp_path, "story-aaaaaaaaaaaa", {"s1": b"one", "s2": b"two"})
    found = delivery(tmp_path, report)
    assert (found.complete, found.verified, found.failed_scenes) == (True, ("s1", "s2"), [])


def test_a_missing_or_changed_video_makes_the_job_incomplete(tmp_path: Path) -> None:
    report = _write_job(tmp_path, "story-aaaaaaaaaaaa", {"s1": b"one", "s2": b"two", "s3": b"three"})
    video_path(tmp_path, "s1").unlink()
    video_path(tmp_path, "s2").write_bytes(b"owt")  # same size, other bytes
    found = delivery(tmp_path, report)
    assert (found.complete, found.verified) == (False, ("s3",))


def test_a_partial_job_is_never_complete_and_names_its_failed_scenes(tmp_path: Path) -> None:
    report = _write_job(tmp_path, "story-aaaaaaaaaaaa", {"s1": b"one", "s2": None})
    found = delivery(tmp_path, report)
    assert (found.complete, found.verified, found.failed_scenes) == (False, ("s1",), ["s2"])


def test_a_report_without_hashes_vouches_for_no_video(tmp_path: Path) -> None:
    """Reports written before they recorded each video's SHA-256: the job is rendered (or attached to) again."""
    video_path(tmp_path, "s1").write_bytes(b"one")
    report = _minimal_report("story-aaaaaaaaaaaa", [_scene("s1", sha256=None)], "succeeded")
    assert delivery(tmp_path, report).complete is False


def test_find_delivery_takes_the_first_folder_holding_this_jobs_report(tmp_path: Path) -> None:
    _write_job(tmp_path / "other", "other-bbbbbbbbbbbb", {"s1": b"one"})
    _write_job(tmp_path / "mine", "story-aaaaaaaaaaaa", {"s1": b"one"})
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "report.json").write_text("{not json", encoding="utf-8")
    folders = [tmp_path / name for name in ("absent", "broken", "other", "mine")]
    found = find_delivery(folders, lambda job_id: job_id == "story-aaaaaaaaaaaa")
    assert found is not None
    assert (found.folder, found.complete) == (tmp_path / "mine", True)
    assert find_delivery(folders[:3], lambda job_id: job_id == "story-aaaaaaaaaaaa") is None
    assert read_report(tmp_path / "broken") is None


def test_files_in_the_way_are_this_jobs_videos_and_the_report_files_already_there(tmp_path: Path) -> None:
    _write_job(tmp_path, "other-bbbbbbbbbbbb", {"s1": b"one", "s9": b"nine"})
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert files_in_the_way(tmp_path, ["s1", "s2"]) == [tmp_path / "s1.mp4", tmp_path / "report.json"]


def test_set_aside_renames_and_never_overwrites(tmp_path: Path) -> None:
    first = tmp_path / "scene_2.mp4"
    first.write_bytes(b"first")
    assert set_aside(first) == tmp_path / "scene_2.previous.mp4"
    first.write_bytes(b"second")
    assert set_aside(first) == tmp_path / "scene_2.previous-2.mp4"
    assert not first.exists()
    assert (tmp_path / "scene_2.previous.mp4").read_bytes() == b"first"
    assert (tmp_path / "scene_2.previous-2.mp4").read_bytes() == b"second"
    report = tmp_path / "report.json"
    report.write_text("{}", encoding="utf-8")
    assert set_aside(report).name == "report.previous.json"


@pytest.mark.parametrize("status", ["succeeded", "partial"])
def test_the_reports_status_is_read_back(tmp_path: Path, status: str) -> None:
    videos: dict[str, bytes | None] = {"s1": b"one", "s2": None if status == "partial" else b"two"}
    _write_job(tmp_path, "story-aaaaaaaaaaaa", videos)
    report = read_report(tmp_path)
    assert report is not None
    assert (report.job_id, report.status) == ("story-aaaaaaaaaaaa", status)
