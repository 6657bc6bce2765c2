"""The three ways a running job is shown take the same events: JSON lines that parse (status only when it
changes), plain lines for logs, and the rich display on a terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from cloudburst.cli.display import JsonDisplay, PlainDisplay, RichDisplay
from cloudburst.client.downloads import DownloadedVideo
from cloudburst.client.handle import JobEnded, JobEvent, SceneFailed, StatusUpdate, VideoArrived
from cloudburst.client.status import ExecutionState, JobStatus
from cloudburst.client.uploads import UploadProgress


def _status(state: ExecutionState, done: int, elapsed: float, error: str | None = None) -> JobStatus:
    return JobStatus(
        job_id="story-0123456789ab",
        state=state,
        scenes_total=2,
        scenes_done=done,
        scenes_failed=1 if error else 0,
        tasks_running=1 if state is ExecutionState.RUNNING else 0,
        elapsed_s=elapsed,
        cost_so_far_usd=0.001,
        started_at=100.0,
        error=error,
    )


def _events(tmp_path: Path) -> list[JobEvent]:
    video = DownloadedVideo("s1", tmp_path / "s1.mp4", 2048, "ab" * 32, 104.0, 105.0, verified=True)
    return [
        StatusUpdate(_status(ExecutionState.RUNNING, 0, 1.0)),
        StatusUpdate(_status(ExecutionState.RUNNING, 0, 2.0)),  # only the clock moved: no new line
        StatusUpdate(_status(ExecutionState.RUNNING, 1, 5.0)),
        VideoArrived(video),
        SceneFailed("s2", "audio: cannot read the MP3 headers"),
        JobEnded(_status(ExecutionState.FAILED, 1, 9.0, error="CloudBurst.ScenesFailed"), 1, ()),
    ]


def test_json_display_writes_one_parsable_object_per_line(tmp_path: Path) -> None:
    stream = io.StringIO()
    display = JsonDisplay(stream)
    display.uploading(UploadProgress(1, 2, 100, 200, 0))
    display.uploading(UploadProgress(1, 2, 150, 200, 0))  # same file count: not repeated
    display.uploading(UploadProgress(2, 2, 200, 200, 0))
    for event in _events(tmp_path):
        display.event(event)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == [
        "upload",
        "upload",
        "status",
        "status",
        "video",
        "scene_failed",
        "finished",
    ]
    assert lines[3]["scenes"] == {"total": 2, "done": 1, "failed": 0, "left": 1}
    assert lines[4] | {"path": None} == {
        "event": "video",
        "scene": "s1",
        "path": None,
        "size_bytes": 2048,
        "sha256": "ab" * 32,
        "verified": True,
        "reused": False,
        "landed_at": 104.0,
        "downloaded_at": 105.0,
    }
    assert (lines[-1]["state"], lines[-1]["execution_status"]) == ("partial", "FAILED")  # ours, and Step Functions'
    assert lines[-1]["error"] == "CloudBurst.ScenesFailed"
    assert (lines[-1]["videos_downloaded"], lines[-1]["videos_unverified"]) == (1, [])


def test_plain_display_writes_a_line_per_change(tmp_path: Path) -> None:
    stream = io.StringIO()
    display = PlainDisplay(stream)
    display.uploading(UploadProgress(2, 2, 0, 0, 2))
    for event in _events(tmp_path):
        display.event(event)
    assert stream.getvalue().splitlines() == [
        "inputs: 2 files, 2 already uploaded, 0 B sent",
        "scenes 0/2 done; 1 task running; 1.0 s; cost so far $0.0010",
        "scenes 1/2 done; 1 task running; 5.0 s; cost so far $0.0010",
        f"video s1 → {tmp_path / 's1.mp4'} (2.0 KB, verified, +5.0 s)",
        "scene s2 failed: audio: cannot read the MP3 headers",
        "Job story-0123456789ab finished with 1 of 2 scenes failed (1 rendered).",
        "All 1 videos match the SHA-256 the renderer recorded.",
    ]


def test_rich_display_shows_the_same_facts(tmp_path: Path) -> None:
    stream = io.StringIO()
    display = RichDisplay(Console(file=stream, force_terminal=False, width=160))
    display.uploading(UploadProgress(2, 2, 0, 0, 2))
    for event in _events(tmp_path):
        display.event(event)
    display.close()
    text = stream.getvalue()
    assert "✓ s1 →" in text
    assert "✗ scene s2 failed: audio: cannot read the MP3 headers" in text
    assert "finished with 1 of 2 scenes failed" in text
