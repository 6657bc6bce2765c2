"""Status arithmetic and the running cost, on hand-made facts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cloudburst.client.cost import fargate_cost_so_far, task_record_from_ecs
from cloudburst.client.downloads import RemoteVideo
from cloudburst.client.ended_report import records_of_ended_job
from cloudburst.client.status import (
    ExecutionFacts,
    ExecutionState,
    JobState,
    latest_scene_outcomes,
    summarize,
)
from cloudburst.core.pricing import bundled_price_table
from cloudburst.models.job import Architecture, Capacity, Profile
from cloudburst.models.records import BatchRecord, SceneStatus, TaskRecord
from tests.unit.client.test_compat_mapping import _report


def _record(index: int, attempt: int, *scenes: tuple[str, str]) -> BatchRecord:
    return BatchRecord.model_validate(
        {
            "job_id": "j-000000000000",
            "batch_index": index,
            "attempt": attempt,
            "scenes": [
                {"name": name, "status": status, "batch_index": index, "attempt": attempt, "error": "spot"}
                for name, status in scenes
            ],
        }
    )


def test_a_later_attempt_of_a_scene_wins() -> None:
    records = [_record(0, 1, ("a", "succeeded")), _record(0, 0, ("a", "failed"), ("b", "failed"))]
    succeeded, failed, _ = latest_scene_outcomes(records)
    assert (succeeded, failed) == ({"a"}, {"b": "spot"})


def test_summary_of_a_finished_partial_job() -> None:
    execution = ExecutionFacts(
        ExecutionState.FAILED, started_at=100.0, stopped_at=160.0, error="CloudBurst.ScenesFailed"
    )
    videos = [RemoteVideo("a", "o/j/a.mp4", 10, 150.0), RemoteVideo("c", "o/j/c.mp4", 10, 140.0)]
    status = summarize(
        "j",
        execution,
        scenes_total=3,
        videos=videos,
        records=[_record(0, 0, ("b", "failed"))],
        tasks_running=0,
        now=999,
    )
    assert (status.scenes_done, status.scenes_failed, status.scenes_left, status.elapsed_s) == (2, 1, 0, 60.0)
    assert [video.scene for video in status.videos] == ["c", "a"]  # in the order they landed
    assert status.finished
    assert status.ran_to_the_end
    assert not status.all_succeeded


def test_elapsed_runs_to_now_while_running_and_totals_never_undercount() -> None:
    execution = ExecutionFacts(ExecutionState.RUNNING, started_at=100.0)
    videos = [RemoteVideo(name, f"k/{name}.mp4", 1, 101.0) for name in ("a", "b")]
    status = summarize("j", execution, scenes_total=0, videos=videos, records=[], tasks_running=2, now=130.5)
    assert (status.elapsed_s, status.scenes_total, status.tasks_running) == (30.5, 2, 2)
    assert not status.ran_to_the_end


def test_running_task_is_billed_from_its_pull_with_the_minute_minimum() -> None:
    pulled = datetime(2025, 1, 1, 12, 0, 0, tzinfo=UTC)
    raw = {"taskArn": "t1", "cpu": "4096", "memory": "8192", "pullStartedAt": pulled, "capacityProviderName": "FARGATE"}
    task = task_record_from_ecs(raw, Architecture.ARM64)
    assert (task.profile, task.capacity, task.cpu_units, task.pull_started_at) == (
        Profile.HIGH,
        Capacity.ON_DEMAND,
        4096,
        pulled.timestamp(),
    )
    rates = bundled_price_table().fargate_rates("us-east-1", Architecture.ARM64, Capacity.ON_DEMAND)
    now = pulled.timestamp() + 10
    assert fargate_cost_so_far([task], "us-east-1", now) == pytest.approx(60 * rates.per_second(4, 8))
    assert fargate_cost_so_far([task], "us-east-1", now + 100) == pytest.approx(110 * rates.per_second(4, 8))


def test_spot_tasks_pay_spot_rates_and_unknown_regions_give_no_figure() -> None:
    pulled = datetime(2025, 1, 1, tzinfo=UTC)
    spot = task_record_from_ecs(
        {
            "taskArn": "t",
            "cpu": "2048",
            "memory": "4096",
            "pullStartedAt": pulled,
            "capacityProviderName": "FARGATE_SPOT",
        },
        Architecture.X86_64,
    )
    on_demand = spot.model_copy(update={"capacity": Capacity.ON_DEMAND})
    now = pulled.timestamp() + 600
    spot_cost = fargate_cost_so_far([spot], "us-east-1", now)
    on_demand_cost = fargate_cost_so_far([on_demand], "us-east-1", now)
    assert spot_cost is not None
    assert on_demand_cost is not None
    assert spot_cost < on_demand_cost
    assert fargate_cost_so_far([spot], "mars-north-1", now) is None


def test_once_the_job_has_its_report_its_time_cost_and_state_are_the_reports() -> None:
    report = _report()
    assert report.status == "partial"
    execution = ExecutionFacts(
        ExecutionState.FAILED,
        started_at=100.0,
        stopped_at=100.0 + report.wall_seconds + 0.4,
        error="CloudBurst.ScenesFailed",
    )
    common = {"scenes_total": 2, "videos": [], "records": [], "tasks_running": 0, "now": 999.0}
    before = summarize("j", execution, cost_so_far_usd=0.001, **common)  # type: ignore[arg-type]
    assert (before.cost_final, before.cost_so_far_usd, before.job_state) == (False, 0.001, JobState.FAILED)
    after = summarize("j", execution, cost_so_far_usd=0.001, report=report, **common)  # type: ignore[arg-type]
    assert (after.elapsed_s, after.cost_so_far_usd) == (report.wall_seconds, report.cost.total_usd)
    assert (after.cost_final, after.job_state, after.as_dict()["state"]) == (True, JobState.PARTIAL, "partial")
    assert after.as_dict()["execution_status"] == "FAILED"


@pytest.mark.parametrize(
    ("state", "error", "expected"),
    [
        (ExecutionState.RUNNING, None, JobState.RUNNING),
        (ExecutionState.SUCCEEDED, None, JobState.SUCCEEDED),
        (ExecutionState.ABORTED, "CloudBurst.Cancelled", JobState.CANCELLED),
        (ExecutionState.TIMED_OUT, "States.Timeout", JobState.TIMED_OUT),
        (ExecutionState.FAILED, "CloudBurst.InvalidJob", JobState.REFUSED),
        (ExecutionState.FAILED, "CloudBurst.ScenesFailed", JobState.PARTIAL),
        (ExecutionState.FAILED, "States.ExceedToleratedFailureThreshold", JobState.FAILED),
    ],
)
def test_job_states_are_cloudbursts_words_not_step_functions(
    state: ExecutionState, error: str | None, expected: JobState
) -> None:
    execution = ExecutionFacts(
        state, started_at=100.0, stopped_at=None if state is ExecutionState.RUNNING else 150.0, error=error
    )
    videos = [RemoteVideo("a", "o/j/a.mp4", 10, 120.0)]
    status = summarize("j", execution, scenes_total=2, videos=videos, records=[], tasks_running=0, now=150.0)
    assert status.job_state is expected


def test_an_ended_job_without_records_is_described_by_its_tasks_and_its_videos() -> None:
    plan = {"scenes": [{"name": n, "batch_index": b} for n, b in (("a", 0), ("b", 0), ("c", 1), ("d", 2))]}
    recorded = _record(0, 0, ("a", "succeeded"), ("b", "failed"))
    task = TaskRecord(
        task_arn="t1", profile=Profile.STANDARD, capacity=Capacity.ON_DEMAND, architecture=Architecture.X86_64,
        cpu_units=2048, memory_mib=4096, pull_started_at=10.0, stopped_at=20.0,
    )  # fmt: skip
    videos = [RemoteVideo(n, f"o/j/{n}.mp4", 10, 30.0) for n in ("a", "c", "d")]
    records = records_of_ended_job(
        "j", plan, [recorded], {(0, 0): task, (1, 0): task}, videos, why="the job was cancelled"
    )
    assert records[0] == recorded  # a batch with its record keeps it; its task is not billed twice
    added = {(r.batch_index, r.attempt): r for r in records[1:]}
    assert sorted(added) == [(1, 0), (2, 0)]  # batch 2's task ECS no longer shows, but its video landed
    assert added[(1, 0)].task == task
    assert added[(2, 0)].task is None
    assert [(s.name, s.status, s.output_key) for s in added[(1, 0)].scenes] == [
        ("c", SceneStatus.SUCCEEDED, "o/j/c.mp4")
    ]
    assert {r.driver_error for r in added.values()} == {"the job was cancelled"}
