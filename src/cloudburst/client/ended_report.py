"""The report of a job that ended before BuildReport could run: cancelled (a stopped execution runs no more
states, so BuildReport never does), timed out, or failed as a whole.

Its tasks ran and were billed all the same, so the report is made here, by the same report core, from what
the run left: the batch records of the batches that finished, and for the others the tasks ECS still
describes (each task's group names its batch and attempt; its times are what Fargate bills) and the videos
that landed. A scene is counted as rendered only if its video is in the output folder.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudburst.client.downloads import RemoteVideo
from cloudburst.models.records import BatchRecord, SceneRecord, SceneStatus, TaskRecord
from cloudburst.models.report import Report
from cloudburst.pipeline.build_report import report_for

BatchAttempt = tuple[int, int]
"""(batch index, attempt), as a task group names them."""


def records_of_ended_job(
    job_id: str,
    plan: Mapping[str, Any],
    records: Sequence[BatchRecord],
    tasks: Mapping[BatchAttempt, TaskRecord],
    videos: Sequence[RemoteVideo],
    *,
    why: str,
) -> list[BatchRecord]:
    """The records written, plus one for each batch attempt that left none: its task as ECS saw it, the
    scenes whose video landed, and `why` as the batch's error (it names the unrendered scenes' cause)."""
    recorded = {(record.batch_index, record.attempt) for record in records}
    batch_of = {str(scene["name"]): int(scene["batch_index"]) for scene in plan.get("scenes", [])}
    in_a_record = {scene.name for record in records for scene in record.scenes}
    attempts: dict[BatchAttempt, TaskRecord | None] = {key: task for key, task in tasks.items() if key not in recorded}
    landed: dict[int, list[RemoteVideo]] = {}
    for video in videos:
        batch = batch_of.get(video.scene)
        if batch is not None and video.scene not in in_a_record:
            landed.setdefault(batch, []).append(video)
    for batch in landed:
        if not any(key[0] == batch for key in attempts) and not any(key[0] == batch for key in recorded):
            attempts[(batch, 0)] = None  # its video landed, but ECS no longer describes its task
    latest: dict[int, int] = {}
    for batch, attempt in attempts:
        latest[batch] = max(attempt, latest.get(batch, attempt))
    added = []
    for (batch, attempt), task in sorted(attempts.items()):
        scenes = [
            SceneRecord(
                name=video.scene,
                status=SceneStatus.SUCCEEDED,
                batch_index=batch,
                attempt=attempt,
                output_key=video.key,
                size_bytes=video.size,
                copied_at=video.landed_at,
            )
            for video in sorted(landed.get(batch, []), key=lambda v: v.landed_at)
            if attempt == latest[batch]
        ]
        added.append(
            BatchRecord(job_id=job_id, batch_index=batch, attempt=attempt, task=task, scenes=scenes, driver_error=why)
        )
    return [*records, *added]


def ended_job_report(
    plan: Mapping[str, Any],
    records: Sequence[BatchRecord],
    tasks: Mapping[BatchAttempt, TaskRecord],
    videos: Sequence[RemoteVideo],
    *,
    region: str,
    started_at: float,
    finished_at: float,
    cancelled: bool,
    why: str,
) -> Report:
    """The report of the ended job (status `cancelled` when it was cancelled)."""
    job_id = str(plan["job_id"])
    merged = records_of_ended_job(job_id, plan, records, tasks, videos, why=why)
    return report_for(plan, merged, region, started_at, finished_at, cancelled=cancelled)
