"""`plan`: what a job would cost and how long it would take, for every compute profile and capacity, before
anything runs (`cloudburst plan`).

It uses the same pieces as a real run: the speed model (how fast a profile renders, how long a task takes
to start), the batching the Plan Lambda will choose for that profile, Fargate's billing rules and the price
table. A prediction is only as good as the speed model; until `make bench-render` has calibrated it the
figures are deliberately conservative, and the table says so.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cloudburst.core.billing import billable_seconds
from cloudburst.core.pricing import (
    PriceTable,
    bundled_price_table,
    fargate_cost,
    lambda_cost,
    public_ipv4_cost,
    s3_cost,
    step_functions_cost,
)
from cloudburst.core.profiles import profile_spec
from cloudburst.core.scheduling import SceneWork, batch_work_seconds, plan_batches, predict_makespan
from cloudburst.core.speed_model import SpeedModel, TaskTimeModel, bundled_speed_model, task_time_model
from cloudburst.core.usage import planned_service_usage
from cloudburst.models.job import Architecture, BatchingOptions, Capacity, JobSpec, Profile


@dataclass(frozen=True, slots=True)
class PlanRow:
    """The prediction for one profile and capacity."""

    profile: Profile
    capacity: Capacity
    architecture: Architecture
    vcpu: float
    memory_gb: float
    tasks: int
    waves: int
    wall_seconds: float
    billed_task_seconds: int
    fargate_usd: float
    other_usd: float  # Lambda, Step Functions, S3 and public IPv4
    total_usd: float
    per_video_minute_usd: float | None
    meets_deadline: bool | None
    chosen: bool = False  # the job's own profile and capacity
    fastest: bool = False
    cheapest: bool = False


def plan(
    scenes: Sequence[SceneWork],
    batching: BatchingOptions,
    *,
    region: str = "us-east-1",
    architecture: Architecture = Architecture.X86_64,
    prices: PriceTable | None = None,
    speed: SpeedModel | None = None,
    startup_seconds: float | None = None,
    profiles: Sequence[Profile] = tuple(Profile),
    capacities: Sequence[Capacity] = tuple(Capacity),
    public_ip: bool = False,
    chosen: tuple[Profile, Capacity] | None = None,
) -> list[PlanRow]:
    """One row per (profile, capacity), in profile order, with the fastest and cheapest marked.

    `startup_seconds` (RunTask to renderer ready) replaces the speed model's; Spot is skipped for arm64
    (Fargate Spot runs x86_64 tasks only).
    """
    if not scenes:
        raise ValueError("scenes: a plan needs at least one scene")
    prices = prices or bundled_price_table()
    region_prices = prices.region(region)
    speed = speed or bundled_speed_model()
    video_seconds = math.fsum(scene.audio_seconds for scene in scenes)
    rows = []
    for profile in profiles:
        timing = _with_startup(task_time_model(profile, speed), startup_seconds)
        batches = plan_batches(scenes, batching, timing=timing)
        by_name = {scene.name: scene for scene in scenes}
        loads = [batch_work_seconds([by_name[name] for name in batch.scenes], timing) for batch in batches]
        wall = predict_makespan(loads, batching.max_parallel_tasks, timing)
        billed = [billable_seconds(timing.billed_overhead_seconds + load) for load in loads]
        usage = planned_service_usage(
            len(scenes), len(batches), startup_seconds=timing.startup_seconds, video_seconds=video_seconds
        )
        other = (
            lambda_cost(usage.lambda_invocations, usage.lambda_gb_seconds, Architecture.X86_64, region_prices)
            + step_functions_cost(usage.state_transitions, region_prices)
            + s3_cost(usage.s3_put_requests, usage.s3_get_requests, region_prices)
        )
        if public_ip:
            other += sum(public_ipv4_cost(seconds + timing.provisioning_seconds, region_prices) for seconds in billed)
        spec = profile_spec(profile)
        for capacity in capacities:
            if capacity is Capacity.SPOT and architecture is Architecture.ARM64:
                continue
            rates = prices.fargate_rates(region, architecture, capacity)
            fargate = sum(fargate_cost(seconds, spec.vcpu, spec.memory_gb, rates) for seconds in billed)
            total = fargate + other
            rows.append(
                PlanRow(
                    profile=profile,
                    capacity=capacity,
                    architecture=architecture,
                    vcpu=spec.vcpu,
                    memory_gb=spec.memory_gb,
                    tasks=len(batches),
                    waves=math.ceil(len(batches) / batching.max_parallel_tasks),
                    wall_seconds=round(wall, 1),
                    billed_task_seconds=sum(billed),
                    fargate_usd=round(fargate, 6),
                    other_usd=round(other, 6),
                    total_usd=round(total, 6),
                    per_video_minute_usd=round(total / (video_seconds / 60), 6) if video_seconds > 0 else None,
                    meets_deadline=None if batching.deadline_seconds is None else wall <= batching.deadline_seconds,
                    chosen=chosen == (profile, capacity),
                )
            )
    return _mark_best(rows)


def plan_for_job(
    job: JobSpec,
    audio_seconds: Mapping[str, float],
    *,
    region: str = "us-east-1",
    prices: PriceTable | None = None,
    speed: SpeedModel | None = None,
    startup_seconds: float | None = None,
    public_ip: bool = False,
) -> list[PlanRow]:
    """`plan` for a validated job whose audio durations are known (the CLI measures them first)."""
    missing = [scene.name for scene in job.scenes if scene.name not in audio_seconds]
    if missing:
        raise ValueError(f"audio_seconds: no duration for scene(s) {', '.join(missing[:10])}")
    scenes = [SceneWork(scene.name, audio_seconds[scene.name]) for scene in job.scenes]
    return plan(
        scenes,
        job.batching,
        architecture=job.compute.architecture,
        chosen=(job.compute.profile, job.compute.capacity),
        region=region,
        prices=prices,
        speed=speed,
        startup_seconds=startup_seconds,
        public_ip=public_ip,
    )


def format_plan_table(rows: Sequence[PlanRow], *, calibrated: bool | None = None) -> str:
    """The rows as an aligned plain-text table (the CLI prints it as is, or restyles it)."""
    header = ["profile", "size", "capacity", "tasks", "wall", "cost", "$/video min", "notes"]
    lines = [
        [
            row.profile.value,
            f"{row.vcpu:g} vCPU/{row.memory_gb:g} GB",
            row.capacity.value,
            f"{row.tasks}" + (f" ({row.waves} waves)" if row.waves > 1 else ""),
            _duration(row.wall_seconds),
            f"${row.total_usd:.4f}",
            "-" if row.per_video_minute_usd is None else f"${row.per_video_minute_usd:.4f}",
            _marks(row),
        ]
        for row in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=True)]
    numeric = {3, 4, 5, 6}

    def render(cells: list[str]) -> str:
        padded = [
            cell.rjust(width) if index in numeric else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    table = [render(header), render(["-" * width for width in widths]), *(render(line) for line in lines)]
    if calibrated is False:
        table.append("Speeds are conservative estimates until the renderer benchmark calibrates them.")
    return "\n".join(table)


def _with_startup(timing: TaskTimeModel, startup_seconds: float | None) -> TaskTimeModel:
    """The time model with its RunTask-to-ready time set to `startup_seconds` (pull and boot kept if they fit)."""
    if startup_seconds is None:
        return timing
    if not startup_seconds >= 0:
        raise ValueError(f"startup_seconds: {startup_seconds!r} must be >= 0")
    billed_part = timing.pull_seconds + timing.boot_seconds
    if startup_seconds >= billed_part:
        return dataclasses.replace(timing, provisioning_seconds=startup_seconds - billed_part)
    share = startup_seconds / billed_part if billed_part else 0.0
    return dataclasses.replace(
        timing,
        provisioning_seconds=0.0,
        pull_seconds=timing.pull_seconds * share,
        boot_seconds=timing.boot_seconds * share,
    )


def _mark_best(rows: list[PlanRow]) -> list[PlanRow]:
    if not rows:
        return rows
    fastest = min(row.wall_seconds for row in rows)
    cheapest = min(row.total_usd for row in rows)
    return [
        dataclasses.replace(row, fastest=row.wall_seconds == fastest, cheapest=row.total_usd == cheapest)
        for row in rows
    ]


def _marks(row: PlanRow) -> str:
    marks = []
    if row.chosen:
        marks.append("job")
    if row.fastest:
        marks.append("fastest")
    if row.cheapest:
        marks.append("cheapest")
    if row.meets_deadline is False:
        marks.append("misses deadline")
    return ", ".join(marks)


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
