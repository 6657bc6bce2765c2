"""Every field of the report, on a hand-written execution (fixtures/partial_job.json): a clean batch, a Spot
interruption with its on-demand rerun, a crashed task, and a task that never started.

Expected values are worked out by hand from the fixture's timestamps and the published us-east-1 rates
below; the arithmetic is written out so that a reader can check it without running the code.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cloudburst.core.pricing import bundled_price_table
from cloudburst.core.report import NOT_RENDERED, build_report
from cloudburst.core.scheduling import Batch, SceneWork
from cloudburst.core.usage import ServiceUsage
from cloudburst.models.job import Architecture, ComputeOptions
from cloudburst.models.records import BatchRecord
from cloudburst.models.report import Report

FIXTURE = Path(__file__).parent / "fixtures" / "partial_job.json"
T0 = 1_800_000_000.0

# us-east-1, 2 vCPU / 4 GB, per second.
SPOT_PER_S = (2 * 0.01264355 + 4 * 0.00138835) / 3600
ON_DEMAND_PER_S = (2 * 0.04048 + 4 * 0.004445) / 3600
IPV4_PER_S = 0.005 / 3600
USAGE = ServiceUsage(
    lambda_invocations=60, lambda_gb_seconds=30.0, state_transitions=150, s3_put_requests=40, s3_get_requests=120
)
LAMBDA_USD = 60 * 0.20 / 1e6 + 30.0 * 0.0000166667
STEP_FUNCTIONS_USD = 150 * 0.025 / 1000
S3_USD = (40 * 0.005 + 120 * 0.0004) / 1000

# Billed seconds: pull start to stop, rounded up, at least 60.
BILLED = {"t0": 310 - 20, "t1": 170 - 22, "t1r": 296 - 190, "t2": 95 - 21}
FARGATE_USD = {
    "t0": BILLED["t0"] * SPOT_PER_S,
    "t1": BILLED["t1"] * SPOT_PER_S,
    "t1r": BILLED["t1r"] * ON_DEMAND_PER_S,  # the rerun runs on-demand
    "t2": BILLED["t2"] * SPOT_PER_S,
}
IPV4_USD = (310 - 5) * IPV4_PER_S  # t0 holds a public IP from creation to stop
TOTAL_USD = sum(FARGATE_USD.values()) + IPV4_USD + LAMBDA_USD + STEP_FUNCTIONS_USD + S3_USD


def _load() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(FIXTURE.read_text())
    return document


def _report(**overrides: Any) -> Report:
    fixture = _load()
    plan = fixture["plan"]
    arguments: dict[str, Any] = {
        "job_id": fixture["job"]["job_id"],
        "job_name": fixture["job"]["job_name"],
        "compute": ComputeOptions.model_validate(fixture["job"]["compute"]),
        "region": fixture["job"]["region"],
        "scenes": [SceneWork(s["name"], s["audio_seconds"]) for s in plan["scenes"]],
        "batches": [Batch(b["index"], tuple(b["scenes"]), b["audio_seconds"]) for b in plan["batches"]],
        "records": [BatchRecord.model_validate(r) for r in fixture["records"]],
        "started_at": fixture["execution"]["started_at"],
        "finished_at": fixture["execution"]["finished_at"],
        "prices": bundled_price_table(),
        "usage": USAGE,
    }
    arguments.update(overrides)
    return build_report(**arguments)


@pytest.fixture(scope="module")
def report() -> Report:
    return _report()


def _at(offset: float) -> datetime:
    return datetime.fromtimestamp(T0 + offset, tz=UTC)


def test_job_level_fields(report: Report) -> None:
    assert report.schema_version == "1"
    assert (report.job_id, report.job_name, report.region) == ("story-0123456789ab", "story", "us-east-1")
    assert report.status == "partial"
    assert (report.started_at, report.finished_at, report.wall_seconds) == (_at(0), _at(400), 400.0)
    assert (report.scenes_total, report.scenes_succeeded, report.scenes_failed) == (8, 5, 3)
    assert report.video_seconds == 30 + 60 + 20 + 40 + 50
    assert report.tasks_used == 4  # t0, t1, t1r, t2; batch 3's task never started


def test_failures_name_every_failed_scene_with_its_reason(report: Report) -> None:
    failures = {f.scene: (f.error_code, f.error) for f in report.failures}
    assert set(failures) == {"s06", "s07", "s08"}
    assert failures["s06"] == ("render_failed", "ffmpeg exited with status 1 while encoding scene s06")
    assert failures["s07"][0] == NOT_RENDERED
    assert "task stopped before rendering this scene" in failures["s07"][1]
    assert "connection refused" in failures["s07"][1]
    assert failures["s08"][0] == NOT_RENDERED
    assert "never started" in failures["s08"][1]


def test_cost_by_service_and_totals(report: Report) -> None:
    cost = report.cost
    assert cost.by_service.fargate == pytest.approx(sum(FARGATE_USD.values()), abs=1e-6)
    assert cost.by_service.fargate_storage == 0.0  # 20 GB, all of it free
    assert cost.by_service.public_ipv4 == pytest.approx(IPV4_USD, abs=1e-6)
    assert cost.by_service.lambda_ == pytest.approx(LAMBDA_USD, abs=1e-6)
    assert cost.by_service.step_functions == pytest.approx(STEP_FUNCTIONS_USD, abs=1e-6)
    assert cost.by_service.s3 == pytest.approx(S3_USD, abs=1e-6)
    assert cost.total_usd == pytest.approx(TOTAL_USD, abs=1e-6)
    assert cost.total_usd == pytest.approx(0.012227, abs=1e-6)
    assert cost.per_scene_usd == pytest.approx(TOTAL_USD / 5, abs=1e-6)
    assert cost.per_video_minute_usd == pytest.approx(TOTAL_USD / (200 / 60), abs=1e-6)


def test_efficiency(report: Report) -> None:
    # Sequential run: median provisioning (15, 17, 15, 15 -> 15) + median pull-to-running (20, 23, 20, 20 -> 20)
    # + the tasks' work spans (241-45, 135-50, 287-212, 80-46 = 196 + 85 + 75 + 34) + median stop (10, 20, 6 -> 10).
    sequential = 15 + 20 + (196 + 85 + 75 + 34) + 10
    sequential_billed = 20 + 390 + 10
    sequential_usd = sequential_billed * SPOT_PER_S + sequential * IPV4_PER_S + LAMBDA_USD + STEP_FUNCTIONS_USD + S3_USD
    efficiency = report.efficiency
    assert efficiency.sequential_estimate_seconds == sequential == 435
    assert efficiency.speedup_factor == pytest.approx(435 / 400, abs=1e-4)
    assert efficiency.parallel_efficiency == pytest.approx(435 / 400 / 4, abs=1e-4)
    render = 190 + 80 + 70 + 33
    assert efficiency.processing_efficiency == pytest.approx(render / sum(BILLED.values()), abs=1e-4)
    assert efficiency.cost_ratio_vs_sequential == pytest.approx(TOTAL_USD / sequential_usd, abs=1e-4)
    assert efficiency.success_rate == pytest.approx(5 / 8, abs=1e-4)


def test_task_lines(report: Report) -> None:
    tasks = {(t.task_arn or "none").rsplit("/", 1)[-1]: t for t in report.tasks}
    assert [(t.batch_index, t.attempt) for t in report.tasks] == [(0, 0), (1, 0), (1, 1), (2, 0), (3, 0)]

    t0 = tasks["t0"]
    assert (t0.profile, t0.capacity, t0.architecture, t0.vcpu, t0.memory_gb) == ("standard", "spot", "x86_64", 2, 4)
    assert (t0.billed_seconds, t0.startup_seconds, t0.pull_seconds) == (290, 35.0, 15.0)
    assert t0.render_seconds == 50 + 100 + 40  # three renders, one after another
    assert t0.idle_seconds == 290 - 15 - 190
    assert t0.cost_usd == pytest.approx(FARGATE_USD["t0"] + IPV4_USD, abs=1e-6)
    assert (t0.stop_code, t0.exit_code, t0.scenes) == ("EssentialContainerExited", 0, ["s01", "s02", "s03"])
    assert (t0.created_at, t0.pull_started_at, t0.pull_stopped_at) == (_at(5), _at(20), _at(35))
    assert (t0.running_at, t0.stopping_at, t0.stopped_at) == (_at(40), _at(300), _at(310))
    assert (t0.started, t0.stopped_reason, t0.launch_error) == (True, "Essential container in task exited", None)

    t1 = tasks["t1"]  # interrupted: billed for what it ran, the unfinished render is not busy time
    assert (t1.billed_seconds, t1.render_seconds, t1.idle_seconds) == (148, 80.0, 148 - 18 - 80)
    assert (t1.stop_code, t1.stopped_reason) == ("SpotInterruption", "Your Spot Task was interrupted.")
    assert t1.cost_usd == pytest.approx(FARGATE_USD["t1"], abs=1e-6)
    assert [(r.scene, r.status, r.started_at, r.finished_at) for r in t1.renders] == [
        ("s04", "succeeded", _at(51), _at(131)),
        ("s05", "failed", _at(132), None),  # cut short by the interruption; rerun on t1r
    ]

    t1r = tasks["t1r"]
    assert (t1r.capacity, t1r.billed_seconds, t1r.scenes) == ("on-demand", 106, ["s05"])
    assert t1r.cost_usd == pytest.approx(FARGATE_USD["t1r"], abs=1e-6)

    t2 = tasks["t2"]  # crashed: still billed
    assert (t2.billed_seconds, t2.exit_code, t2.render_seconds) == (74, 137, 33.0)
    assert t2.cost_usd == pytest.approx(FARGATE_USD["t2"], abs=1e-6)

    never = tasks["none"]
    assert (never.started, never.billed_seconds, never.cost_usd, never.idle_seconds) == (False, 0, 0.0, 0.0)
    assert never.launch_error == "RESOURCE:FARGATE: capacity is unavailable at this time"
    assert never.startup_seconds is None


def test_scene_lines_follow_job_order_and_the_latest_attempt(report: Report) -> None:
    assert [s.name for s in report.scenes] == [f"s0{i}" for i in range(1, 9)]
    s02 = report.scenes[1]
    assert (s02.status, s02.batch_index, s02.attempt) == ("succeeded", 0, 0)
    assert s02.task_arn == "arn:aws:ecs:us-east-1:123456789012:task/cloudburst/t0"
    assert (s02.started_at, s02.finished_at) == (_at(97), _at(197))
    assert (s02.render_seconds, s02.audio_seconds, s02.realtime_factor) == (100.0, 60.0, 0.6)
    assert (s02.size_bytes, s02.output_key) == (10_000_000, "outputs/story-0123456789ab/s02.mp4")
    assert (s02.error_code, s02.error) == (None, None)

    s05 = report.scenes[4]  # failed on Spot, succeeded on the on-demand rerun
    assert (s05.status, s05.attempt, s05.render_seconds) == ("succeeded", 1, 70.0)
    assert s05.task_arn is not None
    assert s05.task_arn.endswith("/t1r")
    assert s05.realtime_factor == pytest.approx(50 / 70, abs=1e-4)

    s06 = report.scenes[5]
    assert (s06.status, s06.error_code, s06.output_key) == ("failed", "render_failed", None)
    s08 = report.scenes[7]
    assert (s08.status, s08.batch_index, s08.task_arn, s08.render_seconds) == ("failed", 3, None, None)
    assert s08.audio_seconds == 15.0


def test_prices_and_usage_are_recorded(report: Report) -> None:
    prices = report.prices
    assert (prices.region, prices.currency) == ("us-east-1", "USD")
    assert prices.date == bundled_price_table().checked_on
    assert "https://aws.amazon.com/fargate/pricing/" in prices.source
    assert prices.fargate_on_demand[Architecture.X86_64] == {"vcpu_hour": 0.04048, "gb_hour": 0.004445}
    assert prices.fargate_spot[Architecture.X86_64] == {"vcpu_hour": 0.01264355, "gb_hour": 0.00138835}
    assert (prices.public_ipv4_hour, prices.lambda_gb_second) == (0.005, 0.0000166667)
    assert (prices.ephemeral_storage_gb_hour, prices.free_ephemeral_storage_gb) == (0.000111, 20)
    assert (prices.lambda_requests_per_million, prices.step_functions_per_thousand_transitions) == (0.20, 0.025)
    assert (prices.s3_put_per_thousand, prices.s3_get_per_thousand) == (0.005, 0.0004)
    assert report.usage.model_dump() == {
        "lambda_invocations": 60,
        "lambda_gb_seconds": 30.0,
        "state_transitions": 150,
        "s3_put_requests": 40,
        "s3_get_requests": 120,
        "estimated": False,  # counted by the caller, not estimated
    }


def test_report_json_round_trips_with_the_documented_keys(report: Report) -> None:
    document = json.loads(report.to_json())
    assert set(document["cost"]["by_service"]) == {
        "fargate",
        "fargate_storage",
        "public_ipv4",
        "lambda",
        "step_functions",
        "s3",
    }
    for key in ("speedup_factor", "parallel_efficiency", "processing_efficiency", "cost_ratio_vs_sequential"):
        assert key in document["efficiency"]
    assert Report.model_validate_json(report.to_json()) == report


def test_a_task_still_running_is_billed_up_to_the_report() -> None:
    records = [BatchRecord.model_validate(r) for r in _load()["records"]]
    running = records[0].model_copy(update={"task": records[0].task.model_copy(update={"stopped_at": None})})  # type: ignore[union-attr]
    report = _report(records=[running, *records[1:]])
    assert report.tasks[0].billed_seconds == 400 - 20


def test_all_succeeded_and_all_failed_statuses() -> None:
    clean = [BatchRecord.model_validate(_load()["records"][0])]
    scenes = [SceneWork("s01", 30.0), SceneWork("s02", 60.0), SceneWork("s03", 20.0)]
    batches = [Batch(0, ("s01", "s02", "s03"), 110.0)]
    assert _report(scenes=scenes, batches=batches, records=clean).status == "succeeded"
    nothing = _report(records=[])
    assert (nothing.status, nothing.tasks_used, nothing.cost.per_scene_usd) == ("failed", 0, None)
    assert nothing.efficiency.parallel_efficiency is None
    assert nothing.cost.per_video_minute_usd is None


def test_a_cancelled_job_is_priced_the_same_but_says_cancelled_and_compares_with_nothing(report: Report) -> None:
    cancelled = _report(cancelled=True)
    assert cancelled.status == "cancelled"
    assert cancelled.cost == report.cost  # its tasks were billed all the same
    assert (cancelled.scenes_succeeded, cancelled.tasks_used) == (report.scenes_succeeded, report.tasks_used)
    assert report.efficiency.speedup_factor is not None
    efficiency = cancelled.efficiency
    assert (efficiency.speedup_factor, efficiency.parallel_efficiency, efficiency.cost_ratio_vs_sequential) == (
        None,
        None,
        None,
    )
    assert efficiency.processing_efficiency == report.efficiency.processing_efficiency


def test_usage_is_estimated_when_not_given() -> None:
    report = _report(usage=None)
    assert report.usage.estimated is True
    assert report.usage.state_transitions > 0
    assert report.cost.by_service.step_functions > 0


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="before started_at"):
        _report(started_at=T0 + 10, finished_at=T0)


def test_a_region_missing_from_the_table_is_priced_with_the_fallback_and_says_so(report: Report) -> None:
    elsewhere = _report(region="ca-central-1")
    assert elsewhere.region == "ca-central-1"
    assert elsewhere.prices.region == "us-east-1"
    assert elsewhere.prices.note is not None
    assert "no rates for ca-central-1" in elsewhere.prices.note
    assert elsewhere.cost.total_usd == report.cost.total_usd
    assert report.prices.note is None


def test_scene_lines_carry_each_videos_sha256_so_a_downloaded_copy_can_be_checked() -> None:
    records = [BatchRecord.model_validate(r) for r in _load()["records"]]
    hashed = [
        record.model_copy(
            update={"scenes": [s.model_copy(update={"sha256": f"{s.name}-{s.attempt}-hash"}) for s in record.scenes]}
        )
        for record in records
    ]
    by_name = {scene.name: scene for scene in _report(records=hashed).scenes}
    assert by_name["s02"].sha256 == "s02-0-hash"
    assert by_name["s05"].sha256 == "s05-1-hash"  # the on-demand rerun's video, not the interrupted attempt's
    assert by_name["s06"].sha256 is None  # failed: there is no video to check
    assert by_name["s08"].sha256 is None  # never rendered
