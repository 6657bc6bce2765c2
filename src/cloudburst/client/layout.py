"""Where a job's pieces live in the bucket and in Step Functions, named in one place (see the S3 layout in
docs/architecture.md). The helper writes only `submitted.json` and `inputs/`; it reads the rest."""

from __future__ import annotations

VIDEO_SUFFIX = ".mp4"
REPORT_NAME = "report.json"
TIMELINE_HTML_NAME = "timeline.html"
TIMELINE_PNG_NAME = "timeline.png"


def submitted_key(job_id: str) -> str:
    """The job as the helper submitted it (every input an `s3://` URI); the execution input points here."""
    return f"runs/{job_id}/submitted.json"


def plan_key(job_id: str) -> str:
    return f"runs/{job_id}/plan.json"


def batch_records_prefix(job_id: str) -> str:
    """RecordBatch writes `<this><index>.json` (a `BatchRecord`) when each batch ends."""
    return f"runs/{job_id}/batches/"


def outputs_prefix(output_prefix: str, job_id: str) -> str:
    """Where CopyOutput puts `<scene>.mp4` and BuildReport the report and timeline."""
    return f"{output_prefix}{job_id}/"


def scene_of_video_key(key: str) -> str | None:
    """The scene name of a video key (`.../<scene>.mp4`), or None for anything else."""
    name = key.rsplit("/", 1)[-1]
    return name.removesuffix(VIDEO_SUFFIX) if name.endswith(VIDEO_SUFFIX) and len(name) > len(VIDEO_SUFFIX) else None


def execution_arn(state_machine_arn: str, job_id: str) -> str:
    """arn:aws:states:<region>:<account>:stateMachine:<name> → ...:execution:<name>:<job id>."""
    prefix, marker, name = state_machine_arn.partition(":stateMachine:")
    if not marker:
        raise ValueError(f"{state_machine_arn!r} is not a state machine ARN")
    return f"{prefix}:execution:{name}:{job_id}"
