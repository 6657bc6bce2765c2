"""How much a job used of the services other than Fargate: Lambda calls and GB-seconds, Step Functions state
transitions, S3 requests.

These are not in the records (AWS bills them in aggregate, per account), so they are *estimated* from what
the records do say (batches, scenes, polls, task startup, video sizes) and from the state machine's shape
(docs/architecture.md, "Flow"). The estimate errs high where it is unsure. It is small next to Fargate:
a few cents per thousand scenes. A caller that counted the real figures passes them instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from cloudburst.models.records import BatchRecord


@dataclass(frozen=True, slots=True)
class ServiceUsage:
    """Usage of the non-Fargate services by one job."""

    lambda_invocations: int
    lambda_gb_seconds: float
    state_transitions: int
    s3_put_requests: int
    s3_get_requests: int
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class WorkflowShape:
    """What each unit of work costs in transitions, Lambda calls and S3 requests (see the module docstring).

    Per job (parent execution): PlanJob, RenderBatches, BuildReport and the end states; PlanJob writes
    job.json, plan.json, batches.json, BuildReport report.json and two timeline files.
    Per batch (one Distributed Map child): RunBatch (Parallel), RunTask, FindTask, RenderScenes (Map),
    ReleaseTask, RecordBatch and the Spot-rerun Choice; FindTask is retried while the task starts.
    Per scene: RenderScene, CopyOutput and the iteration's end; then per poll WaitForRender, PollRender
    and the Choice after it. CopyOutput's time grows with the video (it streams it to S3 in parts).
    """

    job_transitions: int = 7
    job_lambda_calls: int = 2
    job_s3_puts: int = 6
    job_s3_gets: int = 4
    batch_transitions: int = 9
    batch_lambda_calls: int = 3
    batch_s3_puts: int = 2
    batch_s3_gets: int = 3
    scene_transitions: int = 4
    scene_lambda_calls: int = 2
    scene_s3_gets: int = 10  # input checks (HEAD + ranged reads), renderer downloads, scene request reads
    poll_transitions: int = 3
    find_task_retry_seconds: float = 10.0
    lambda_memory_gb: float = 0.5
    lambda_seconds_per_call: float = 0.5
    copy_bytes_per_second: float = 40e6
    multipart_part_bytes: int = 8 * 1024 * 1024


def estimate_service_usage(
    records: Sequence[BatchRecord], scene_count: int, shape: WorkflowShape | None = None
) -> ServiceUsage:
    """Estimate a job's Lambda, Step Functions and S3 usage from its batch records."""
    shape = shape or WorkflowShape()
    calls = shape.job_lambda_calls
    transitions = shape.job_transitions
    puts = shape.job_s3_puts
    gets = shape.job_s3_gets + scene_count * shape.scene_s3_gets
    copy_seconds = 0.0
    for record in records:
        find_task_calls = 1 + _find_task_retries(record, shape)
        calls += shape.batch_lambda_calls + find_task_calls - 1
        transitions += shape.batch_transitions + find_task_calls - 1
        puts += shape.batch_s3_puts
        gets += shape.batch_s3_gets
        for scene in record.scenes:
            calls += shape.scene_lambda_calls + scene.polls
            transitions += shape.scene_transitions + scene.polls * shape.poll_transitions
            if scene.size_bytes:
                puts += 2 + math.ceil(scene.size_bytes / shape.multipart_part_bytes)
                copy_seconds += scene.size_bytes / shape.copy_bytes_per_second
    gb_seconds = (calls * shape.lambda_seconds_per_call + copy_seconds) * shape.lambda_memory_gb
    return ServiceUsage(calls, gb_seconds, transitions, puts, gets, estimated=True)


def _find_task_retries(record: BatchRecord, shape: WorkflowShape) -> int:
    """FindTask asks until the task runs: one retry per interval of the task's startup."""
    task = record.task
    if task is None or task.created_at is None:
        return 0
    ready = task.started_at if task.started_at is not None else task.stopped_at
    if ready is None:
        return 0
    return max(0, math.ceil((ready - task.created_at) / shape.find_task_retry_seconds))


def planned_service_usage(
    scene_count: int,
    batch_count: int,
    *,
    startup_seconds: float,
    video_seconds: float,
    shape: WorkflowShape | None = None,
    polls_per_scene: int = 3,
    video_bytes_per_second: float = 500_000,
) -> ServiceUsage:
    """The same estimate before a job runs (the planner): polls and video sizes are assumed, not recorded.

    Three polls per scene is about what the poll schedule (`cloudburst.pipeline.polling`: an early look, then
    the render's own progress) takes: 1-4 for a scene of a few seconds, 4-7 for a 10-minute one; 500 kB per
    second of video is 1080p30 H.264 at crf 23.
    """
    shape = shape or WorkflowShape()
    find_task_calls = batch_count * (1 + math.ceil(startup_seconds / shape.find_task_retry_seconds))
    calls = (
        shape.job_lambda_calls
        + batch_count * (shape.batch_lambda_calls - 1)
        + find_task_calls
        + scene_count * (shape.scene_lambda_calls + polls_per_scene)
    )
    transitions = (
        shape.job_transitions
        + batch_count * (shape.batch_transitions - 1)
        + find_task_calls
        + scene_count * (shape.scene_transitions + polls_per_scene * shape.poll_transitions)
    )
    video_bytes = video_seconds * video_bytes_per_second
    average_video = video_bytes / scene_count if scene_count else 0.0
    parts_per_video = 2 + math.ceil(average_video / shape.multipart_part_bytes) if scene_count else 0
    puts = shape.job_s3_puts + batch_count * shape.batch_s3_puts + scene_count * parts_per_video
    gets = shape.job_s3_gets + batch_count * shape.batch_s3_gets + scene_count * shape.scene_s3_gets
    gb_seconds = (calls * shape.lambda_seconds_per_call + video_bytes / shape.copy_bytes_per_second) * (
        shape.lambda_memory_gb
    )
    return ServiceUsage(calls, gb_seconds, transitions, puts, gets, estimated=True)
