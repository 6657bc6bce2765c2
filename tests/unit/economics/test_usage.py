"""The estimate of Lambda, Step Functions and S3 usage, counted by hand on the fixture's records."""

from __future__ import annotations

import json
from pathlib import Path

from cloudburst.core.usage import WorkflowShape, estimate_service_usage
from cloudburst.models.records import BatchRecord

FIXTURE = Path(__file__).parent / "fixtures" / "partial_job.json"


def test_usage_is_counted_per_job_batch_scene_and_poll() -> None:
    records = [BatchRecord.model_validate(r) for r in json.loads(FIXTURE.read_text())["records"]]
    shape = WorkflowShape()
    usage = estimate_service_usage(records, scene_count=8, shape=shape)

    # FindTask retries every 10 s while the task starts: t0 35 s -> 4, t1 40 s -> 4, t1r 35 s -> 4, t2 35 s -> 4,
    # batch 3's task has no creation time -> 0.
    find_task_retries = 4 + 4 + 4 + 4 + 0
    polls = (2 + 3 + 2) + (2 + 1) + 2 + 1
    scenes_recorded = 3 + 2 + 1 + 1
    assert usage.lambda_invocations == 2 + 5 * 3 + find_task_retries + scenes_recorded * 2 + polls
    assert usage.state_transitions == 7 + 5 * 9 + find_task_retries + scenes_recorded * 4 + polls * 3
    # Multipart: create + complete + one part per 8 MiB: 5 MB 1, 10 MB 2, 4 MB 1, 6 MB 1, 7.5 MB 1.
    assert usage.s3_put_requests == 6 + 5 * 2 + (3 + 4 + 3 + 3 + 3)
    assert usage.s3_get_requests == 4 + 8 * 10 + 5 * 3
    copy_seconds = (5 + 10 + 4 + 6 + 7.5) * 1e6 / 40e6
    assert abs(usage.lambda_gb_seconds - (usage.lambda_invocations * 0.5 + copy_seconds) * 0.5) < 1e-9
    assert usage.estimated
