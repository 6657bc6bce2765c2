"""The CLI's words and numbers: sizes, durations, money, progress and outcome lines, the report summary, and
which outcome gets which exit code."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from botocore.exceptions import NoCredentialsError

from cloudburst.cli.exit_codes import EXIT_CODES_HELP, ExitCode, exit_code_for_error, exit_code_for_status
from cloudburst.cli.formatting import (
    human_bytes,
    human_seconds,
    outcome_line,
    report_lines,
    status_line,
    usd,
    verification_line,
    video_line,
)
from cloudburst.client.downloads import DownloadedVideo
from cloudburst.client.errors import DownloadFailed, InvalidJob, JobNotFound, TargetUnavailable
from cloudburst.client.status import ExecutionState, JobStatus
from tests.unit.client.test_compat_mapping import _report


def _status(state: ExecutionState, error: str | None = None, **counts: int) -> JobStatus:
    return JobStatus(
        job_id="story-0123456789ab",
        state=state,
        scenes_total=counts.get("total", 6),
        scenes_done=counts.get("done", 6),
        scenes_failed=counts.get("failed", 0),
        tasks_running=counts.get("running", 0),
        elapsed_s=75.4,
        cost_so_far_usd=0.00123,
        started_at=1000.0,
        error=error,
        cause="scenes s2, s5 failed; report at outputs/story-0123456789ab/report.json" if error else None,
    )


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0 B"), (999, "999 B"), (1234, "1.2 KB"), (1_234_567, "1.2 MB"), (5e12, "5.0 TB")]
)
def test_human_bytes(size: float, text: str) -> None:
    assert human_bytes(size) == text


@pytest.mark.parametrize(("seconds", "text"), [(9.87, "9.9 s"), (75.4, "1 min 15 s"), (3725, "1 h 2 min")])
def test_human_seconds(seconds: float, text: str) -> None:
    assert human_seconds(seconds) == text


def test_usd_shows_small_amounts_to_the_hundredth_of_a_cent() -> None:
    assert (usd(0.00123), usd(12.345), usd(None)) == ("$0.0012", "$12.35", "n/a")


def test_status_and_outcome_lines() -> None:
    running = _status(ExecutionState.RUNNING, done=3, failed=1, running=2)
    assert status_line(running) == "scenes 3/6 done, 1 failed; 2 tasks running; 1 min 15 s; cost so far $0.0012"
    assert outcome_line(_status(ExecutionState.SUCCEEDED)) == (
        "Job story-0123456789ab succeeded: all 6 scenes rendered in 1 min 15 s."
    )
    partial = _status(ExecutionState.FAILED, "CloudBurst.ScenesFailed", done=4, failed=2)
    assert outcome_line(partial) == "Job story-0123456789ab finished with 2 of 6 scenes failed (4 rendered)."
    assert outcome_line(_status(ExecutionState.ABORTED, done=2)) == (
        "Job story-0123456789ab was cancelled after 1 min 15 s; 2 of 6 scenes rendered; cost so far $0.0012."
    )
    timed_out = _status(ExecutionState.TIMED_OUT, "States.Timeout", done=1)
    assert outcome_line(timed_out).startswith("Job story-0123456789ab timed out: States.Timeout (scenes s2")
    assert outcome_line(timed_out).endswith("; 1 of 6 scenes rendered; cost so far $0.0012.")
    refused = _status(ExecutionState.FAILED, "CloudBurst.InvalidJob", done=0)
    refused = dataclasses.replace(refused, cause="The job is invalid (2 problems):\n- scenes[1].audio: a\n- name: b")
    assert outcome_line(refused) == (
        "Job story-0123456789ab was refused before any task started: scenes[1].audio: a; name: b."
    )


def test_a_finished_job_with_its_report_shows_the_reports_cost_not_a_cost_so_far() -> None:
    ended = dataclasses.replace(_status(ExecutionState.SUCCEEDED), cost_final=True)
    assert status_line(ended) == "scenes 6/6 done; 1 min 15 s; cost $0.0012"
    cancelled = dataclasses.replace(_status(ExecutionState.ABORTED, done=0), cost_final=True)
    assert outcome_line(cancelled).endswith("; 0 of 6 scenes rendered; cost $0.0012.")


def test_video_line(tmp_path: Path) -> None:
    video = DownloadedVideo("s1", tmp_path / "s1.mp4", 1_234_567, "0" * 64, 1008.0, 1009.5, verified=True)
    assert video_line(video, started_at=1000.0) == f"s1 → {tmp_path / 's1.mp4'} (1.2 MB, verified, +9.5 s)"


def test_verification_line_says_how_videos_were_checked() -> None:
    assert verification_line(0, ()) is None
    assert verification_line(3, ()) == "All 3 videos match the SHA-256 the renderer recorded."
    assert verification_line(3, ("s2",)) == ("1 of 3 videos could only be checked by size (no recorded SHA-256): s2")


def test_report_lines_name_the_headline_figures() -> None:
    report = _report()
    lines = report_lines(report)
    assert lines[0].startswith(f"Job {report.job_id}: partial, {report.scenes_succeeded}/{report.scenes_total} scenes")
    assert lines[1].startswith(f"Cost {usd(report.cost.total_usd)} (fargate ")
    assert lines[2] == (
        f"Tasks used {report.tasks_used}; billed {sum(t.billed_seconds for t in report.tasks)} task-seconds"
    )
    assert lines[3].startswith("Efficiency: speedup ")
    assert "processing efficiency" in lines[3]
    assert [line for line in lines if line.startswith("Failed: ")] == [
        f"Failed: {failure.scene}: {failure.error}" for failure in report.failures
    ]


def test_exit_codes_are_the_documented_numbers() -> None:
    # Scripts rely on these numbers: the README's table and `--help` must list exactly the codes we use.
    assert [int(code) for code in ExitCode] == [0, 1, 2, 3, 4, 130, 141]
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    table = re.findall(r"^\| (\d+) \| ", readme.split("Exit codes, the same for every command:")[1], re.M)
    assert sorted(int(code) for code in table) == sorted(int(code) for code in ExitCode)
    listed = re.findall(r"^  (\d+) ", EXIT_CODES_HELP, re.M)
    assert sorted(int(code) for code in listed) == sorted(int(code) for code in ExitCode)


def test_exit_codes_for_outcomes() -> None:
    assert exit_code_for_status(_status(ExecutionState.SUCCEEDED)) == ExitCode.OK
    assert exit_code_for_status(_status(ExecutionState.FAILED, "CloudBurst.ScenesFailed")) == ExitCode.SCENES_FAILED
    assert exit_code_for_status(_status(ExecutionState.FAILED, "CloudBurst.InvalidJob")) == ExitCode.INVALID_INPUT
    assert exit_code_for_status(_status(ExecutionState.ABORTED)) == ExitCode.JOB_FAILED
    assert exit_code_for_status(_status(ExecutionState.TIMED_OUT)) == ExitCode.JOB_FAILED


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidJob(["x"]), 2),
        (JobNotFound("no job"), 2),
        (TargetUnavailable("down"), 4),
        (DownloadFailed("bad"), 4),
        (NoCredentialsError(), 4),
        (KeyboardInterrupt(), 130),
        (RuntimeError("bug"), 1),
    ],
)
def test_exit_codes_for_errors(error: BaseException, code: int) -> None:
    assert exit_code_for_error(error) == code
