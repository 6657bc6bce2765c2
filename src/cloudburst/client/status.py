"""Where a job stands, from what the run has left in Step Functions, S3 and ECS so far.

`summarize` is pure: it takes the execution's description, the videos in the output folder, the batch
records written so far and the job's running tasks, and says how many scenes are done, failed and left, how
many tasks are running, how long the job has run and what it has cost so far. Once the job has its report,
the time and the cost are the report's (`wall_seconds`, `cost.total_usd`: every service, not only Fargate),
so every figure shown for a finished job is the same one. The handle gathers the facts; the CLI and the
compatibility layer only read the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cloudburst.client.downloads import RemoteVideo
from cloudburst.models.records import BatchRecord, SceneStatus
from cloudburst.models.report import Report
from cloudburst.pipeline.job_document import listed_problems


class ExecutionState(StrEnum):
    """Step Functions' execution statuses (`JobStatus.job_state` is what CloudBurst calls them)."""

    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    ABORTED = "ABORTED"
    PENDING_REDRIVE = "PENDING_REDRIVE"


SCENES_FAILED_ERROR = "CloudBurst.ScenesFailed"
"""The Fail state's error when the job ran to the end but some scenes failed (the report exists)."""
INVALID_JOB_ERROR = "CloudBurst.InvalidJob"
"""The Fail state's error when PlanJob refused the job: no task was started; the cause lists the problems."""


class JobState(StrEnum):
    """How CloudBurst names where a job stands: the report's status once there is one, and the same words in
    `render`, `status` and `report` (Step Functions' own status stays in `execution_status`)."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"  # ran to the end; some scenes failed, the others were delivered
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    REFUSED = "refused"  # PlanJob refused the job: nothing ran


@dataclass(frozen=True)
class ExecutionFacts:
    state: ExecutionState
    started_at: float
    stopped_at: float | None = None
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    state: ExecutionState
    scenes_total: int
    scenes_done: int
    scenes_failed: int
    tasks_running: int
    elapsed_s: float
    cost_so_far_usd: float | None
    started_at: float
    stopped_at: float | None = None
    error: str | None = None
    cause: str | None = None
    videos: tuple[RemoteVideo, ...] = ()
    failed_scenes: dict[str, str] = field(default_factory=dict)  # scene → why
    recorded_sha256: dict[str, str] = field(default_factory=dict)  # scene → hash from the batch records
    report_status: str | None = None  # the report's status, once the job has a report
    cost_final: bool = False  # cost_so_far_usd and elapsed_s are the report's total and wall time

    @property
    def job_state(self) -> JobState:
        """CloudBurst's name for where the job stands (see `JobState`)."""
        if self.state is ExecutionState.RUNNING:
            return JobState.RUNNING
        if self.refused:
            return JobState.REFUSED
        if self.state is ExecutionState.ABORTED:
            return JobState.CANCELLED
        if self.state is ExecutionState.TIMED_OUT:
            return JobState.TIMED_OUT
        if self.report_status in {state.value for state in JobState}:
            return JobState(self.report_status)
        if self.all_succeeded:
            return JobState.SUCCEEDED
        return JobState.PARTIAL if self.ran_to_the_end and self.scenes_done else JobState.FAILED

    @property
    def finished(self) -> bool:
        return self.state is not ExecutionState.RUNNING

    @property
    def scenes_left(self) -> int:
        return max(0, self.scenes_total - self.scenes_done - self.scenes_failed)

    @property
    def all_succeeded(self) -> bool:
        return self.state is ExecutionState.SUCCEEDED

    @property
    def ran_to_the_end(self) -> bool:
        """Succeeded, or failed only because some scenes failed (the report and the other videos exist)."""
        return self.all_succeeded or (self.state is ExecutionState.FAILED and self.error == SCENES_FAILED_ERROR)

    @property
    def refused(self) -> bool:
        """PlanJob refused the job (its document or an input): nothing ran; the cause says what to fix."""
        return self.state is ExecutionState.FAILED and self.error == INVALID_JOB_ERROR

    @property
    def refusal_problems(self) -> list[str]:
        """The problems PlanJob listed (one `- <field>: <why>` line each in the cause)."""
        if not self.refused or not self.cause:
            return []
        return listed_problems(self.cause)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (what `cloudburst status --json` prints)."""
        return {
            "job_id": self.job_id,
            "state": self.job_state.value,
            "execution_status": self.state.value,
            "scenes": {
                "total": self.scenes_total,
                "done": self.scenes_done,
                "failed": self.scenes_failed,
                "left": self.scenes_left,
            },
            "tasks_running": self.tasks_running,
            "elapsed_s": round(self.elapsed_s, 3),
            "cost_so_far_usd": None if self.cost_so_far_usd is None else round(self.cost_so_far_usd, 6),
            "cost_final": self.cost_final,
            "started_at": self.started_at,
            "stopped_at": self.stopped_at,
            "error": self.error,
            "cause": self.cause,
            "failed_scenes": dict(sorted(self.failed_scenes.items())),
        }


def latest_scene_outcomes(records: Iterable[BatchRecord]) -> tuple[set[str], dict[str, str], dict[str, str]]:
    """(succeeded, failed scene → reason, succeeded scene → SHA-256), the later attempt of a scene winning
    (a batch rerun on on-demand after a Spot interruption records attempt 1)."""
    outcome: dict[str, tuple[int, Any]] = {}
    for record in records:
        for scene in record.scenes:
            attempt = max(scene.attempt, record.attempt)
            if scene.name not in outcome or attempt >= outcome[scene.name][0]:
                outcome[scene.name] = (attempt, scene)
    succeeded: set[str] = set()
    failed: dict[str, str] = {}
    hashes: dict[str, str] = {}
    for name, (_, scene) in outcome.items():
        if scene.status is SceneStatus.SUCCEEDED:
            succeeded.add(name)
            if scene.sha256:
                hashes[name] = scene.sha256
        else:
            failed[name] = scene.error or scene.error_code or "failed"
    return succeeded, failed, hashes


def summarize(
    job_id: str,
    execution: ExecutionFacts,
    *,
    scenes_total: int,
    videos: Sequence[RemoteVideo],
    records: Sequence[BatchRecord],
    tasks_running: int,
    now: float,
    cost_so_far_usd: float | None = None,
    report: Report | None = None,
) -> JobStatus:
    """`report`, once the job has one, gives the final time, cost and status."""
    succeeded, failed, hashes = latest_scene_outcomes(records)
    done = succeeded | {video.scene for video in videos}
    failed = {name: why for name, why in failed.items() if name not in done}
    end = execution.stopped_at if execution.stopped_at is not None else now
    elapsed = max(0.0, end - execution.started_at)
    if report is not None:
        elapsed, cost_so_far_usd = report.wall_seconds, report.cost.total_usd
    return JobStatus(
        job_id=job_id,
        state=execution.state,
        scenes_total=max(scenes_total, len(done) + len(failed)),
        scenes_done=len(done),
        scenes_failed=len(failed),
        tasks_running=tasks_running,
        elapsed_s=elapsed,
        cost_so_far_usd=cost_so_far_usd,
        started_at=execution.started_at,
        stopped_at=execution.stopped_at,
        error=execution.error,
        cause=execution.cause,
        videos=tuple(sorted(videos, key=lambda video: (video.landed_at, video.scene))),
        failed_scenes=failed,
        recorded_sha256=hashes,
        report_status=None if report is None else report.status,
        cost_final=report is not None,
    )
