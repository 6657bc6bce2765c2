"""The planner: predictions per profile and capacity from the speed model, batching, billing and prices,
checked by hand on a speed model with round numbers."""

from __future__ import annotations

import pytest

from cloudburst.core.planner import format_plan_table, plan, plan_for_job
from cloudburst.core.pricing import bundled_price_table, lambda_cost, s3_cost, step_functions_cost
from cloudburst.core.scheduling import SceneWork
from cloudburst.core.speed_model import SpeedModel
from cloudburst.core.usage import planned_service_usage
from cloudburst.models.job import Architecture, BatchingOptions, Capacity, JobSpec, Profile

# 1 audio second per wall second per vCPU, linear; 20 s to start (10 of them billed); nothing else.
ROUND = SpeedModel(
    calibrated=True,
    source="test",
    realtime_factor_per_vcpu=1.0,
    vcpu_scaling_exponent=1.0,
    per_scene_overhead_seconds=0.0,
    provisioning_seconds=10.0,
    pull_seconds=10.0,
    boot_seconds=0.0,
    stop_seconds=0.0,
    startup_spread_seconds=0.0,
)
SCENES = [SceneWork(f"s{i}", 30.0) for i in range(4)]
BY_COUNT = BatchingOptions(strategy="count", scenes_per_task=2, max_parallel_tasks=10)


def test_planned_usage_by_hand() -> None:
    usage = planned_service_usage(4, 2, startup_seconds=20, video_seconds=120)
    # FindTask: 2 batches x (1 + 20 s / 10 s) = 6 calls.
    assert usage.lambda_invocations == 2 + 2 * 2 + 6 + 4 * (2 + 3)
    assert usage.state_transitions == 7 + 2 * 8 + 6 + 4 * (4 + 3 * 3)
    # 15 MB per video: create + complete + 2 parts of 8 MiB.
    assert usage.s3_put_requests == 6 + 2 * 2 + 4 * 4
    assert usage.s3_get_requests == 4 + 2 * 3 + 4 * 10
    assert usage.lambda_gb_seconds == pytest.approx((32 * 0.5 + 60e6 / 40e6) * 0.5)


def test_one_row_by_hand() -> None:
    rows = plan(SCENES, BY_COUNT, speed=ROUND, profiles=[Profile.ECONOMY], capacities=[Capacity.ON_DEMAND])
    (row,) = rows
    # Two tasks of two 30 s scenes at 1x realtime: 20 s startup + 60 s of rendering.
    assert (row.tasks, row.waves, row.wall_seconds) == (2, 1, 80.0)
    assert row.billed_task_seconds == 2 * 70  # pull 10 + 60 of work each
    assert row.fargate_usd == pytest.approx(140 * (0.04048 + 2 * 0.004445) / 3600, abs=1e-6)
    usage = planned_service_usage(4, 2, startup_seconds=20, video_seconds=120)
    prices = bundled_price_table().region("us-east-1")
    other = (
        lambda_cost(usage.lambda_invocations, usage.lambda_gb_seconds, Architecture.X86_64, prices)
        + step_functions_cost(usage.state_transitions, prices)
        + s3_cost(usage.s3_put_requests, usage.s3_get_requests, prices)
    )
    assert row.other_usd == pytest.approx(other, abs=1e-6)
    assert row.total_usd == pytest.approx(row.fargate_usd + other, abs=1e-6)
    assert row.per_video_minute_usd == pytest.approx(row.total_usd / 2, abs=1e-6)  # 2 minutes of video


def test_every_profile_and_capacity_is_predicted_and_the_best_are_marked() -> None:
    rows = plan([SceneWork(f"s{i}", 60.0) for i in range(40)], BatchingOptions(), speed=ROUND)
    assert [(r.profile.value, r.capacity.value) for r in rows][:2] == [("economy", "on-demand"), ("economy", "spot")]
    assert len(rows) == 10
    for on_demand, spot in zip(rows[::2], rows[1::2], strict=True):
        assert spot.total_usd < on_demand.total_usd
        assert spot.wall_seconds == on_demand.wall_seconds
    walls = [r.wall_seconds for r in rows[::2]]
    assert walls == sorted(walls, reverse=True)  # more vCPU, sooner
    assert [r for r in rows if r.fastest]
    assert all(r.profile == "maximum" for r in rows if r.fastest)
    assert [r.capacity for r in rows if r.cheapest] == ["spot"]


def test_arm64_has_no_spot_row() -> None:
    rows = plan(SCENES, BY_COUNT, speed=ROUND, architecture=Architecture.ARM64)
    assert {r.capacity.value for r in rows} == {"on-demand"}
    assert rows[0].fargate_usd == pytest.approx(140 * (0.03238 + 2 * 0.00356) / 3600, abs=1e-6)


def test_startup_and_deadline() -> None:
    slow = plan(
        SCENES, BY_COUNT, speed=ROUND, startup_seconds=80, profiles=[Profile.ECONOMY], capacities=[Capacity.ON_DEMAND]
    )
    assert slow[0].wall_seconds == 80 + 60
    deadline = BatchingOptions(strategy="count", scenes_per_task=2, deadline_seconds=100)
    (row,) = plan(SCENES, deadline, speed=ROUND, profiles=[Profile.ECONOMY], capacities=[Capacity.ON_DEMAND])
    assert row.meets_deadline is True
    (late,) = plan(
        SCENES, deadline, speed=ROUND, startup_seconds=80, profiles=[Profile.ECONOMY], capacities=[Capacity.SPOT]
    )
    assert late.meets_deadline is False


def test_plan_for_job_uses_the_jobs_settings_and_needs_every_duration() -> None:
    job = JobSpec.model_validate(
        {
            "scenes": [{"name": s.name, "image": f"{s.name}.png", "audio": f"{s.name}.mp3"} for s in SCENES],
            "compute": {"profile": "high", "capacity": "spot"},
        }
    )
    rows = plan_for_job(job, {s.name: s.audio_seconds for s in SCENES}, speed=ROUND)
    assert [(r.profile.value, r.capacity.value) for r in rows if r.chosen] == [("high", "spot")]
    with pytest.raises(ValueError, match="no duration for scene"):
        plan_for_job(job, {"s0": 1.0})


def test_the_table_has_a_line_per_row_and_aligned_columns() -> None:
    rows = plan(SCENES, BatchingOptions(), chosen=(Profile.STANDARD, Capacity.ON_DEMAND))
    text = format_plan_table(rows, calibrated=False)
    lines = text.splitlines()
    assert lines[0].split()[:4] == ["profile", "size", "capacity", "tasks"]
    assert len(lines) == 2 + len(rows) + 1
    assert len(format_plan_table(rows, calibrated=True).splitlines()) == 2 + len(rows)  # no caveat once measured
    assert "job" in lines[2 + 2]
    assert "standard" in lines[2 + 2]
    assert lines[-1].startswith("Speeds are conservative estimates")
    cost_column = lines[0].index("cost") + len("cost")
    assert all(line[cost_column - 1] != " " for line in lines[2:-1])  # right-aligned dollar figures
