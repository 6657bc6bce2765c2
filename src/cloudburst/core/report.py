"""`build_report`: the one function that turns a job's records into its cost and efficiency report.

BuildReport (at the end of an execution) and the CLI (for any past job) both call it, so a report reads the
same wherever it was made. It is pure: the records, the plan, the prices and the two ends of the execution
go in; a `Report` comes out. Every formula is explained in `docs/report.md`:

* a task is billed by `billing` (pull start to stop, rounded up, one-minute minimum), at its own profile,
  capacity and architecture, whether it succeeded, failed, was interrupted or is still running;
* a planned scene with no record (its task never started, or crashed before rendering it) is a failure
  named as such, never silently dropped;
* the sequential estimate is one task of the job's profile doing, one after another, exactly the work the
  tasks were seen doing, plus one startup and one stop.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cloudburst.core.billing import billable_seconds, billing_end, billing_start, task_billed_seconds
from cloudburst.core.pricing import (
    PriceTable,
    RegionPrices,
    ephemeral_storage_cost,
    fargate_cost,
    lambda_cost,
    public_ipv4_cost,
    s3_cost,
    step_functions_cost,
)
from cloudburst.core.profiles import profile_spec
from cloudburst.core.scheduling import Batch, SceneWork
from cloudburst.core.speed_model import TaskTimeModel, task_time_model
from cloudburst.core.usage import ServiceUsage, estimate_service_usage
from cloudburst.models.job import Architecture, Capacity, ComputeOptions
from cloudburst.models.records import BatchRecord, SceneRecord, SceneStatus, TaskRecord
from cloudburst.models.report import (
    Cost,
    CostByService,
    Efficiency,
    Failure,
    JobStatus,
    PricesUsed,
    RenderSpan,
    Report,
    SceneReport,
    TaskReport,
    UsageUsed,
)

NOT_RENDERED = "not_rendered"
"""error_code of a planned scene that no record mentions: its batch never ran it."""

_USD_DIGITS = 6
_SECONDS_DIGITS = 3
_RATIO_DIGITS = 4


@dataclass(frozen=True, slots=True)
class _Pricing:
    """The price table narrowed to the job: its region's rates and the task storage size."""

    table: PriceTable
    region: str
    rates: RegionPrices
    ephemeral_storage_gb: float

    def storage_cost(self, billed_seconds: float) -> float:
        return ephemeral_storage_cost(
            billed_seconds, self.ephemeral_storage_gb, self.rates, self.table.free_ephemeral_storage_gb
        )


@dataclass(frozen=True, slots=True)
class _TaskFacts:
    """A task's report line, plus what the totals need that the line does not show."""

    line: TaskReport
    fargate_usd: float
    storage_usd: float
    ipv4_usd: float
    work_span_seconds: float


def build_report(
    *,
    job_id: str,
    job_name: str | None,
    compute: ComputeOptions,
    region: str,
    scenes: Sequence[SceneWork],
    batches: Sequence[Batch],
    records: Sequence[BatchRecord],
    started_at: float,
    finished_at: float,
    prices: PriceTable,
    usage: ServiceUsage | None = None,
    ephemeral_storage_gb: float = 20.0,
    lambda_architecture: Architecture = Architecture.X86_64,
    timing: TaskTimeModel | None = None,
    cancelled: bool = False,
) -> Report:
    """The report of one job.

    `scenes` and `batches` are the plan (job order); `records` every BatchRecord written, reruns included;
    `started_at`/`finished_at` the execution's ends in epoch seconds (a task still running is billed up to
    `finished_at`). `cancelled` marks a job stopped before it ended: its status is then `cancelled`, whatever
    its scenes did, and the comparisons with a sequential run (speedup, parallel efficiency, cost ratio) are
    null, since the job never did all its work. `usage` is the counted Lambda/Step Functions/S3 usage if
    known, else it is estimated
    (`usage.estimate_service_usage`). `timing` only serves when no task ran far enough to be measured.
    """
    if not finished_at >= started_at:
        raise ValueError(f"finished_at ({finished_at}) is before started_at ({started_at})")
    priced_region = prices.priced_region(region)
    region_prices = prices.region(priced_region)
    pricing = _Pricing(prices, priced_region, region_prices, ephemeral_storage_gb)
    ordered = sorted(records, key=lambda r: (r.batch_index, r.attempt))
    task_facts = [
        _task_facts(record, record.task, pricing, finished_at) for record in ordered if record.task is not None
    ]
    scene_lines = _scene_lines(scenes, batches, ordered)
    succeeded = [line for line in scene_lines if line.status is SceneStatus.SUCCEEDED]
    failures = [
        Failure(scene=line.name, error_code=line.error_code or "failed", error=line.error or "failed")
        for line in scene_lines
        if line.status is SceneStatus.FAILED
    ]
    video_seconds = _video_seconds(succeeded, ordered)

    usage = usage or estimate_service_usage(ordered, len(scenes))
    lambda_usd = lambda_cost(usage.lambda_invocations, usage.lambda_gb_seconds, lambda_architecture, region_prices)
    step_functions_usd = step_functions_cost(usage.state_transitions, region_prices)
    s3_usd = s3_cost(usage.s3_put_requests, usage.s3_get_requests, region_prices)
    services_usd = lambda_usd + step_functions_usd + s3_usd
    by_service = CostByService(
        fargate=_usd(sum(t.fargate_usd for t in task_facts)),
        fargate_storage=_usd(sum(t.storage_usd for t in task_facts)),
        public_ipv4=_usd(sum(t.ipv4_usd for t in task_facts)),
        lambda_=_usd(lambda_usd),
        step_functions=_usd(step_functions_usd),
        s3=_usd(s3_usd),
    )
    total = _usd(sum(t.fargate_usd + t.storage_usd + t.ipv4_usd for t in task_facts) + services_usd)

    tasks_used = sum(1 for t in task_facts if t.line.started)
    wall = finished_at - started_at
    sequential = _sequential_run(task_facts, scenes, compute, timing)
    sequential_usd = _sequential_cost(sequential, compute, pricing)
    any_public_ip = any(record.task is not None and record.task.public_ip for record in ordered)
    if any_public_ip:
        sequential_usd += public_ipv4_cost(sequential.wall_seconds, region_prices)
    sequential_usd += services_usd
    billed_total = sum(t.line.billed_seconds for t in task_facts)
    render_total = sum(t.line.render_seconds for t in task_facts)
    speedup = sequential.wall_seconds / wall if wall > 0 and not cancelled else None  # a cut-short run has none

    return Report(
        job_id=job_id,
        job_name=job_name,
        status="cancelled" if cancelled else _status(len(succeeded), len(scene_lines)),
        region=region,
        started_at=_utc(started_at),
        finished_at=_utc(finished_at),
        wall_seconds=_seconds(wall),
        scenes_total=len(scene_lines),
        scenes_succeeded=len(succeeded),
        scenes_failed=len(failures),
        failures=failures,
        video_seconds=_seconds(video_seconds),
        tasks_used=tasks_used,
        cost=Cost(
            total_usd=total,
            by_service=by_service,
            per_scene_usd=_usd(total / len(succeeded)) if succeeded else None,
            per_video_minute_usd=_usd(total / (video_seconds / 60)) if video_seconds > 0 else None,
        ),
        efficiency=Efficiency(
            speedup_factor=_ratio(speedup) if speedup is not None else None,
            parallel_efficiency=_ratio(speedup / tasks_used) if speedup is not None and tasks_used else None,
            processing_efficiency=_ratio(render_total / billed_total) if billed_total else None,
            cost_ratio_vs_sequential=_ratio(total / sequential_usd) if sequential_usd > 0 and not cancelled else None,
            sequential_estimate_seconds=_seconds(sequential.wall_seconds),
            success_rate=_ratio(len(succeeded) / len(scene_lines)) if scene_lines else 0.0,
        ),
        tasks=[t.line for t in task_facts],
        scenes=scene_lines,
        usage=UsageUsed(
            lambda_invocations=usage.lambda_invocations,
            lambda_gb_seconds=_seconds(usage.lambda_gb_seconds),
            state_transitions=usage.state_transitions,
            s3_put_requests=usage.s3_put_requests,
            s3_get_requests=usage.s3_get_requests,
            estimated=usage.estimated,
        ),
        prices=_prices_used(prices, priced_region, region_prices, lambda_architecture, job_region=region),
    )


# --- tasks ------------------------------------------------------------------------------------------------


def _task_facts(record: BatchRecord, task: TaskRecord, pricing: _Pricing, report_time: float) -> _TaskFacts:
    billed = task_billed_seconds(task, report_time)
    vcpu = task.cpu_units / 1024
    memory_gb = task.memory_mib / 1024
    rates = pricing.table.fargate_rates(pricing.region, task.architecture, task.capacity)
    start = billing_start(task)
    ipv4_from = task.created_at if task.created_at is not None else start
    ipv4_seconds = billing_end(task, report_time) - ipv4_from if task.public_ip and ipv4_from is not None else 0.0
    fargate_usd = fargate_cost(billed, vcpu, memory_gb, rates)
    storage_usd = pricing.storage_cost(billed)
    ipv4_usd = public_ipv4_cost(max(0.0, ipv4_seconds), pricing.rates)
    render = _union_seconds(_render_intervals(record.scenes)) + _unplaced_render_seconds(record.scenes)
    pull = _span(task.pull_started_at, task.pull_stopped_at)
    line = TaskReport(
        batch_index=record.batch_index,
        attempt=record.attempt,
        task_arn=task.task_arn,
        profile=task.profile,
        capacity=task.capacity,
        architecture=task.architecture,
        vcpu=vcpu,
        memory_gb=memory_gb,
        started=start is not None,
        created_at=_utc_or_none(task.created_at),
        pull_started_at=_utc_or_none(task.pull_started_at),
        pull_stopped_at=_utc_or_none(task.pull_stopped_at),
        running_at=_utc_or_none(task.started_at),
        stopping_at=_utc_or_none(task.stopping_at),
        stopped_at=_utc_or_none(task.stopped_at),
        billed_seconds=billed,
        startup_seconds=_seconds_or_none(_span(task.created_at, task.started_at)),
        pull_seconds=_seconds_or_none(pull),
        render_seconds=_seconds(render),
        idle_seconds=_seconds(max(0.0, billed - (pull or 0.0) - render)) if billed else 0.0,
        cost_usd=_usd(fargate_usd + storage_usd + ipv4_usd),
        stop_code=task.stop_code,
        stopped_reason=task.stopped_reason,
        exit_code=task.exit_code,
        launch_error=task.launch_error,
        scenes=[scene.name for scene in record.scenes],
        renders=[
            RenderSpan(
                scene=s.name,
                status=s.status,
                started_at=_utc(s.render_started_at),
                finished_at=_utc_or_none(s.render_finished_at),
            )
            for s in record.scenes
            if s.render_started_at is not None
        ],
    )
    return _TaskFacts(line, fargate_usd, storage_usd, ipv4_usd, _work_span(record.scenes))


def _render_intervals(scenes: Iterable[SceneRecord]) -> list[tuple[float, float]]:
    return [
        (s.render_started_at, s.render_finished_at)
        for s in scenes
        if s.render_started_at is not None
        and s.render_finished_at is not None
        and s.render_finished_at >= s.render_started_at
    ]


def _unplaced_render_seconds(scenes: Iterable[SceneRecord]) -> float:
    """Render seconds of scenes whose record has a duration but no start/end (they cannot overlap-merge)."""
    return sum(
        s.render_s for s in scenes if s.render_s and (s.render_started_at is None or s.render_finished_at is None)
    )


def _union_seconds(intervals: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one interval: two scenes rendering at once are one busy second, not two."""
    covered = 0.0
    end = -math.inf
    for start, stop in sorted(intervals):
        if start > end:
            covered += stop - start
            end = stop
        elif stop > end:
            covered += stop - end
            end = stop
    return covered


def _work_span(scenes: Sequence[SceneRecord]) -> float:
    """From the first scene handed to the task to the last one finished (copied, else rendered)."""
    starts = [s.submitted_at or s.render_started_at for s in scenes]
    ends = [s.copied_at or s.render_finished_at for s in scenes]
    known_starts = [t for t in starts if t is not None]
    known_ends = [t for t in ends if t is not None]
    if not known_starts or not known_ends:
        return sum(s.render_s or 0.0 for s in scenes)
    return max(0.0, max(known_ends) - min(known_starts))


# --- scenes -----------------------------------------------------------------------------------------------


def _scene_lines(
    scenes: Sequence[SceneWork], batches: Sequence[Batch], records: Sequence[BatchRecord]
) -> list[SceneReport]:
    """One line per planned scene, in job order, from its latest attempt's record."""
    batch_of = {name: batch.index for batch in batches for name in batch.scenes}
    latest: dict[str, tuple[SceneRecord, BatchRecord]] = {}
    last_record_of_batch: dict[int, BatchRecord] = {}
    for record in records:  # ordered by (batch, attempt): later attempts overwrite
        last_record_of_batch[record.batch_index] = record
        for scene in record.scenes:
            latest[scene.name] = (scene, record)
    lines = []
    for planned in scenes:
        found = latest.get(planned.name)
        if found is None:
            batch_index = batch_of.get(planned.name, -1)
            lines.append(_unrendered_line(planned, batch_index, last_record_of_batch.get(batch_index)))
        else:
            lines.append(_scene_line(planned, *found))
    return lines


def _scene_line(planned: SceneWork, scene: SceneRecord, record: BatchRecord) -> SceneReport:
    render = scene.render_s
    if render is None:
        render = _span(scene.render_started_at, scene.render_finished_at)
    audio = scene.audio_seconds if scene.audio_seconds is not None else planned.audio_seconds
    failed = scene.status is SceneStatus.FAILED
    return SceneReport(
        name=scene.name,
        status=scene.status,
        batch_index=scene.batch_index,
        attempt=scene.attempt,
        task_arn=record.task.task_arn if record.task else None,
        started_at=_utc_or_none(scene.render_started_at),
        finished_at=_utc_or_none(scene.render_finished_at),
        render_seconds=_seconds_or_none(render),
        audio_seconds=audio,
        realtime_factor=_ratio(audio / render) if render else None,
        size_bytes=scene.size_bytes,
        output_key=None if failed else scene.output_key,
        sha256=None if failed else scene.sha256,
        error_code=(scene.error_code or "failed") if failed else None,
        error=(scene.error or "the scene failed without a message") if failed else None,
    )


def _unrendered_line(planned: SceneWork, batch_index: int, record: BatchRecord | None) -> SceneReport:
    return SceneReport(
        name=planned.name,
        status=SceneStatus.FAILED,
        batch_index=batch_index,
        attempt=record.attempt if record else 0,
        task_arn=record.task.task_arn if record and record.task else None,
        started_at=None,
        finished_at=None,
        render_seconds=None,
        audio_seconds=planned.audio_seconds,
        realtime_factor=None,
        size_bytes=None,
        output_key=None,
        error_code=NOT_RENDERED,
        error=_why_not_rendered(batch_index, record),
    )


def _why_not_rendered(batch_index: int, record: BatchRecord | None) -> str:
    if record is None:
        return f"batch {batch_index} left no record: it did not run, or failed before recording its scenes"
    reasons = [record.driver_error]
    if record.task is not None:
        reasons += [record.task.launch_error, record.task.stopped_reason]
    reason = next((r for r in reasons if r), None)
    if record.task is None or billing_start(record.task) is None:
        prefix = f"batch {batch_index}: its task never started"
    else:
        prefix = f"batch {batch_index}: its task stopped before rendering this scene"
    return f"{prefix} ({reason})" if reason else prefix


def _video_seconds(succeeded: Sequence[SceneReport], records: Sequence[BatchRecord]) -> float:
    """Seconds of video produced: each succeeded scene's output duration (its audio length if unmeasured)."""
    duration = {
        scene.name: scene.duration_s
        for record in records
        for scene in record.scenes
        if scene.status is SceneStatus.SUCCEEDED
    }
    total = 0.0
    for line in succeeded:
        measured = duration.get(line.name)
        total += measured if measured is not None else (line.audio_seconds or 0.0)
    return total


def _status(succeeded: int, total: int) -> JobStatus:
    if total and succeeded == total:
        return "succeeded"
    return "partial" if succeeded else "failed"


# --- the sequential run -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sequential:
    wall_seconds: float
    billed_seconds: int


def _sequential_run(
    tasks: Sequence[_TaskFacts], scenes: Sequence[SceneWork], compute: ComputeOptions, timing: TaskTimeModel | None
) -> _Sequential:
    """One task doing all the work seen, one batch after another: one startup, the tasks' work spans, one stop.

    Startup phases are the medians observed across tasks (the speed model's where none were observed).
    """
    model = timing or task_time_model(compute.profile)
    started = [t.line for t in tasks if t.line.started]
    provisioning = _median(_gaps(started, "created_at", "pull_started_at"), model.provisioning_seconds)
    pull_and_boot = _median(_gaps(started, "pull_started_at", "running_at"), model.pull_seconds + model.boot_seconds)
    stop = _median(_gaps(started, "stopping_at", "stopped_at"), model.stop_seconds)
    work = sum(t.work_span_seconds for t in tasks)
    if work <= 0:
        work = sum(model.scene_seconds(scene.audio_seconds) for scene in scenes)
    billed = billable_seconds(pull_and_boot + work + stop)
    return _Sequential(wall_seconds=provisioning + pull_and_boot + work + stop, billed_seconds=billed)


def _sequential_cost(run: _Sequential, compute: ComputeOptions, pricing: _Pricing) -> float:
    """Fargate and storage of the sequential run, at the job's profile, capacity and architecture."""
    spec = profile_spec(compute.profile)
    rates = pricing.table.fargate_rates(pricing.region, compute.architecture, compute.capacity)
    return fargate_cost(run.billed_seconds, spec.vcpu, spec.memory_gb, rates) + pricing.storage_cost(run.billed_seconds)


def _gaps(lines: Sequence[TaskReport], first: str, second: str) -> list[float]:
    gaps = []
    for line in lines:
        a: datetime | None = getattr(line, first)
        b: datetime | None = getattr(line, second)
        if a is not None and b is not None and b >= a:
            gaps.append((b - a).total_seconds())
    return gaps


def _median(values: Sequence[float], fallback: float) -> float:
    return statistics.median(values) if values else fallback


# --- prices and units -------------------------------------------------------------------------------------


def _prices_used(
    prices: PriceTable,
    region: str,
    region_prices: RegionPrices,
    lambda_architecture: Architecture,
    *,
    job_region: str,
) -> PricesUsed:
    def rates(capacity: Capacity) -> dict[Architecture, dict[str, float]]:
        return {
            arch: prices.fargate_rates(region, arch, capacity).model_dump()
            for arch in region_prices.fargate
            if capacity is Capacity.ON_DEMAND or arch in region_prices.fargate_spot or arch is Architecture.X86_64
        }

    return PricesUsed(
        source=list(prices.sources),
        date=prices.checked_on,
        region=region,
        currency=prices.currency,
        fargate_on_demand=rates(Capacity.ON_DEMAND),
        fargate_spot=rates(Capacity.SPOT),
        ephemeral_storage_gb_hour=region_prices.ephemeral_storage_gb_hour,
        free_ephemeral_storage_gb=prices.free_ephemeral_storage_gb,
        public_ipv4_hour=region_prices.public_ipv4_hour,
        lambda_gb_second=region_prices.lambda_gb_second[lambda_architecture],
        lambda_requests_per_million=region_prices.lambda_requests_per_million,
        step_functions_per_thousand_transitions=region_prices.step_functions_per_thousand_transitions,
        s3_put_per_thousand=region_prices.s3_put_per_thousand,
        s3_get_per_thousand=region_prices.s3_get_per_thousand,
        note=None
        if region == job_region
        else f"the price table has no rates for {job_region}; {region} rates were used "
        "(pass a price override to price this region exactly)",
    )


def _span(start: float | None, end: float | None) -> float | None:
    return end - start if start is not None and end is not None and end >= start else None


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def _utc_or_none(epoch_seconds: float | None) -> datetime | None:
    return None if epoch_seconds is None else _utc(epoch_seconds)


def _usd(value: float) -> float:
    return round(value, _USD_DIGITS)


def _seconds(value: float) -> float:
    return round(value, _SECONDS_DIGITS)


def _seconds_or_none(value: float | None) -> float | None:
    return None if value is None else _seconds(value)


def _ratio(value: float) -> float:
    return round(value, _RATIO_DIGITS)
