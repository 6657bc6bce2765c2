"""The job's timeline as geometry: one row per task, one bar per phase (start, pull, boot, renders, idle,
stop), in seconds from the execution's start.

The PNG (`timeline_png`) and the HTML (`timeline_html`) draw the same layout, so the two pictures never
disagree; this module decides *what* is drawn, they decide *how*.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cloudburst.models.records import SceneStatus
from cloudburst.models.report import Report, TaskReport


class Phase(StrEnum):
    PROVISIONING = "provisioning"  # RunTask to image pull: not billed
    PULL = "pull"  # image pull: billed
    BOOT = "boot"  # pull done to the container running
    IDLE = "idle"  # running, between and around renders
    RENDER = "render"  # a scene rendering
    RENDER_FAILED = "render_failed"  # a scene that failed (or was cut short)
    STOP = "stop"  # stopping to stopped


PHASE_LABELS = {
    Phase.PROVISIONING: "starting (not billed)",
    Phase.PULL: "image pull",
    Phase.BOOT: "boot",
    Phase.IDLE: "running, not rendering",
    Phase.RENDER: "rendering",
    Phase.RENDER_FAILED: "render failed / cut short",
    Phase.STOP: "stopping",
}


@dataclass(frozen=True, slots=True)
class Bar:
    """A phase of one task. Renders may overlap (several scenes in flight): each gets a lane of its row."""

    row: int
    start: float
    end: float
    phase: Phase
    label: str
    title: str
    lane: int = 0
    lanes: int = 1


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    detail: str
    note: str | None = None  # e.g. why a task never started


@dataclass(frozen=True, slots=True)
class Timeline:
    title: str
    subtitle: str
    span_seconds: float
    rows: list[Row]
    bars: list[Bar]

    def ticks(self) -> list[float]:
        """Axis ticks every 1, 2 or 5 x 10^k seconds, about ten of them."""
        step = nice_step(self.span_seconds / 10)
        return [i * step for i in range(int(self.span_seconds // step) + 1)]


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 5 x 10^k at or above `raw` (at least one second)."""
    if raw <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return float(factor * magnitude)
    return float(10 * magnitude)


def layout(report: Report) -> Timeline:
    """Rows and bars of the report's tasks, ordered by batch and attempt."""
    origin = report.started_at
    end = report.finished_at
    rows: list[Row] = []
    bars: list[Bar] = []
    for index, task in enumerate(report.tasks):
        rows.append(_row(task))
        bars.extend(_task_bars(index, task, origin, end))
    latest = max([report.wall_seconds, *(bar.end for bar in bars)])
    title = f"{report.job_name or report.job_id}: {report.status}"
    subtitle = (
        f"{report.scenes_succeeded}/{report.scenes_total} scenes · {report.wall_seconds:.0f} s wall · "
        f"{report.tasks_used} tasks · ${report.cost.total_usd:.4f} · {report.region}"
    )
    return Timeline(title, subtitle, max(latest, 1.0), rows, bars)


def _row(task: TaskReport) -> Row:
    label = f"batch {task.batch_index}" + (f" · rerun {task.attempt}" if task.attempt else "")
    detail = (
        f"{task.capacity} · {task.vcpu:g} vCPU/{task.memory_gb:g} GB · {task.billed_seconds} s · ${task.cost_usd:.4f}"
    )
    note = None
    if not task.started:
        note = "never started" + (f": {task.launch_error}" if task.launch_error else "")
    return Row(label, detail, note)


def _task_bars(row: int, task: TaskReport, origin: datetime, report_end: datetime) -> list[Bar]:
    def at(moment: datetime | None) -> float | None:
        return None if moment is None else (moment - origin).total_seconds()

    end_of_task = at(task.stopped_at) if task.stopped_at else at(report_end)
    phases = [
        (Phase.PROVISIONING, at(task.created_at), at(task.pull_started_at)),
        (Phase.PULL, at(task.pull_started_at), at(task.pull_stopped_at)),
        (Phase.BOOT, at(task.pull_stopped_at), at(task.running_at)),
        (Phase.IDLE, at(task.running_at), at(task.stopping_at) or end_of_task),
        (Phase.STOP, at(task.stopping_at), at(task.stopped_at)),
    ]
    name = (task.task_arn or "no task").rsplit("/", 1)[-1]
    bars = [
        Bar(
            row, start, end, phase, "", f"{name} · {PHASE_LABELS[phase]}: {start:.1f}–{end:.1f} s ({end - start:.1f} s)"
        )
        for phase, start, end in phases
        if start is not None and end is not None and end > start
    ]
    renders = []
    for span in task.renders:
        start = at(span.started_at)
        finish = at(span.finished_at) or at(task.stopping_at) or end_of_task
        if start is None or finish is None or finish <= start:
            continue
        cut_short = span.finished_at is None
        phase = Phase.RENDER_FAILED if span.status is SceneStatus.FAILED or cut_short else Phase.RENDER
        state = "cut short" if cut_short else span.status.value
        title = f"{span.scene} ({state}) on {name}: {start:.1f}–{finish:.1f} s ({finish - start:.1f} s)"
        renders.append((start, finish, phase, span.scene, title))
    return bars + _in_lanes(row, renders)


def _in_lanes(row: int, renders: list[tuple[float, float, Phase, str, str]]) -> list[Bar]:
    """Give overlapping renders separate lanes (first free lane, in start order)."""
    lane_ends: list[float] = []
    placed: list[tuple[int, tuple[float, float, Phase, str, str]]] = []
    for render in sorted(renders):
        start = render[0]
        lane = next((i for i, end in enumerate(lane_ends) if end <= start), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(render[1])
        else:
            lane_ends[lane] = render[1]
        placed.append((lane, render))
    lanes = max(1, len(lane_ends))
    return [
        Bar(row, start, end, phase, scene, title, lane=lane, lanes=lanes)
        for lane, (start, end, phase, scene, title) in placed
    ]
