"""What the state machine records about each task and scene: RecordBatch writes one `BatchRecord` per batch
to `runs/<job id>/batches/<index>.json`; BuildReport, the CLI and the report maths read them.

Timestamps are epoch seconds (floats, UTC). Step Functions hands ECS timestamps over as epoch milliseconds;
the conversion happens once, where the record is built (`TaskRecord.from_sync_result`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloudburst.models.job import Architecture, Capacity, Profile


class Record(BaseModel):
    """Records tolerate fields added by later versions (a newer Lambda may write more than an older CLI reads)."""

    model_config = ConfigDict(extra="ignore")


class SceneStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class SceneRecord(Record):
    name: str
    status: SceneStatus
    batch_index: int
    attempt: int = Field(default=0, description="0 for the first run; 1 when rerun on on-demand after Spot.")
    audio_seconds: float | None = None
    output_key: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    duration_s: float | None = None
    submitted_at: float | None = None
    render_started_at: float | None = None
    render_finished_at: float | None = None
    copied_at: float | None = None
    download_s: float | None = None
    render_s: float | None = None
    polls: int = 0
    error_code: str | None = None
    error: str | None = None


class TaskRecord(Record):
    """One ECS task as the report needs it (the `.sync` result, trimmed by the state's ResultSelector)."""

    task_arn: str | None = None
    profile: Profile
    capacity: Capacity
    architecture: Architecture
    cpu_units: int
    memory_mib: int
    capacity_provider: str | None = None
    public_ip: bool = False
    created_at: float | None = None
    pull_started_at: float | None = None
    pull_stopped_at: float | None = None
    started_at: float | None = None
    stopping_at: float | None = None
    stopped_at: float | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    exit_code: int | None = None
    launch_error: str | None = Field(default=None, description="Why RunTask or the task itself failed.")

    @staticmethod
    def epoch_seconds(value: Any) -> float | None:
        """Step Functions gives ECS times as epoch milliseconds; boto3 as datetimes; we keep epoch seconds."""
        if value is None:
            return None
        if isinstance(value, int | float):
            return float(value) / 1000.0
        timestamp = getattr(value, "timestamp", None)
        if callable(timestamp):
            return float(timestamp())
        raise ValueError(f"not a timestamp: {value!r}")


class BatchRecord(Record):
    job_id: str
    batch_index: int
    attempt: int = 0
    task: TaskRecord | None = None
    scenes: list[SceneRecord]
    driver_error: str | None = Field(default=None, description="A failure of the batch itself, not of a scene.")
    released_by: str | None = Field(default=None, description="'shutdown' (API), 'stop_task' or None.")
