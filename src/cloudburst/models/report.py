"""The cost and efficiency report (`report.json`): what a job did, what it cost, and how well it used what it
paid for. BuildReport writes it; the CLI prints and reads it; the timeline draws it.

Every formula behind these fields is in `docs/report.md`. Money is in USD, times are UTC, durations are
seconds. A value that has no meaning for this job (a cost per scene when no scene succeeded) is null,
never a made-up zero.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from cloudburst.models.job import Architecture, Capacity, Profile
from cloudburst.models.records import SceneStatus

REPORT_SCHEMA_VERSION: Final = "1"

JobStatus = Literal["succeeded", "partial", "failed", "cancelled"]
"""`cancelled`: the job was stopped before it ended (its report is made by the CLI from what the run left)."""


class ReportModel(BaseModel):
    """Report parts are immutable values; a newer report may carry fields an older reader ignores."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Failure(ReportModel):
    scene: str
    error_code: str
    error: str


class CostByService(ReportModel):
    fargate: float = Field(description="Task vCPU and memory, billed seconds × rates.")
    fargate_storage: float = Field(description="Ephemeral storage above the free 20 GB.")
    public_ipv4: float = Field(description="One public IPv4 address per task that had one.")
    lambda_: float = Field(alias="lambda", serialization_alias="lambda", description="Requests and GB-seconds.")
    step_functions: float = Field(description="Standard workflow state transitions.")
    s3: float = Field(description="PUT/COPY/POST/LIST and GET requests.")

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True, serialize_by_alias=True)


class Cost(ReportModel):
    total_usd: float
    by_service: CostByService
    per_scene_usd: float | None = Field(description="Total cost / succeeded scenes.")
    per_video_minute_usd: float | None = Field(description="Total cost / minutes of video produced.")


class Efficiency(ReportModel):
    speedup_factor: float | None = Field(description="sequential_estimate_seconds / wall_seconds.")
    parallel_efficiency: float | None = Field(description="speedup_factor / tasks_used.")
    processing_efficiency: float | None = Field(description="Render-busy seconds / billed task seconds.")
    cost_ratio_vs_sequential: float | None = Field(description="Total cost / cost of the sequential run.")
    sequential_estimate_seconds: float = Field(description="One task doing every scene, startup included.")
    success_rate: float = Field(description="Succeeded scenes / scenes in the job.")


class RenderSpan(ReportModel):
    """One scene's render on one task (every attempt, so an interrupted render shows where it ran)."""

    scene: str
    status: SceneStatus
    started_at: datetime
    finished_at: datetime | None = Field(description="None when the task stopped mid-render.")


class TaskReport(ReportModel):
    batch_index: int
    attempt: int
    task_arn: str | None
    profile: Profile
    capacity: Capacity
    architecture: Architecture
    vcpu: float
    memory_gb: float
    started: bool = Field(description="Whether Fargate started (and billed) the task.")
    created_at: datetime | None
    pull_started_at: datetime | None
    pull_stopped_at: datetime | None
    running_at: datetime | None
    stopping_at: datetime | None
    stopped_at: datetime | None
    billed_seconds: int
    startup_seconds: float | None = Field(description="Created to running.")
    pull_seconds: float | None = Field(description="Image pull start to pull stop.")
    render_seconds: float = Field(description="Seconds during which at least one scene was rendering.")
    idle_seconds: float = Field(description="Billed seconds neither pulling nor rendering.")
    cost_usd: float = Field(description="Fargate, storage and public IPv4 of this task.")
    stop_code: str | None
    stopped_reason: str | None
    exit_code: int | None
    launch_error: str | None
    scenes: list[str]
    renders: list[RenderSpan] = Field(default_factory=list, description="For the timeline.")


class SceneReport(ReportModel):
    name: str
    status: SceneStatus
    batch_index: int
    attempt: int
    task_arn: str | None
    started_at: datetime | None = Field(description="Render start on the task.")
    finished_at: datetime | None = Field(description="Render end on the task.")
    render_seconds: float | None
    audio_seconds: float | None
    realtime_factor: float | None = Field(description="audio_seconds / render_seconds.")
    size_bytes: int | None
    output_key: str | None
    sha256: str | None = Field(
        default=None, description="The video's SHA-256 as the renderer recorded it: a downloaded copy is checked by it."
    )
    error_code: str | None
    error: str | None


class PricesUsed(ReportModel):
    source: list[str]
    date: str
    region: str
    currency: str
    fargate_on_demand: dict[Architecture, dict[str, float]] = Field(description="vcpu_hour and gb_hour.")
    fargate_spot: dict[Architecture, dict[str, float]]
    ephemeral_storage_gb_hour: float
    free_ephemeral_storage_gb: float
    public_ipv4_hour: float
    lambda_gb_second: float
    lambda_requests_per_million: float
    step_functions_per_thousand_transitions: float
    s3_put_per_thousand: float
    s3_get_per_thousand: float
    note: str | None = Field(default=None, description="Set when another region's rates stood in.")


class UsageUsed(ReportModel):
    """The non-Fargate usage the costs were computed from, and whether it was counted or estimated."""

    lambda_invocations: int
    lambda_gb_seconds: float
    state_transitions: int
    s3_put_requests: int
    s3_get_requests: int
    estimated: bool


class Report(ReportModel):
    schema_version: Literal["1"] = REPORT_SCHEMA_VERSION
    job_id: str
    job_name: str | None
    status: JobStatus
    region: str
    started_at: datetime
    finished_at: datetime
    wall_seconds: float
    scenes_total: int
    scenes_succeeded: int
    scenes_failed: int
    failures: list[Failure]
    video_seconds: float
    tasks_used: int
    cost: Cost
    efficiency: Efficiency
    tasks: list[TaskReport]
    scenes: list[SceneReport]
    usage: UsageUsed
    prices: PricesUsed

    def to_json(self) -> str:
        """report.json's text."""
        return self.model_dump_json(indent=2)
