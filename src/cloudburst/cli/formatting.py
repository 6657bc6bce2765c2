"""Short human texts for the CLI: sizes, durations, money, a job's progress and its report.

Pure functions over the helper's values, so the plain, rich and JSON displays say the same things and the
wording is unit-tested once.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudburst.client.downloads import DownloadedVideo
from cloudburst.client.status import JobState, JobStatus
from cloudburst.models.report import Report

_UNITS = ("B", "KB", "MB", "GB", "TB")


def human_bytes(size: float) -> str:
    """1234567 → '1.2 MB' (decimal units, as file managers show them)."""
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1000 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def human_seconds(seconds: float) -> str:
    """75.4 → '1 min 15 s'; 9.87 → '9.9 s'; 3725 → '1 h 2 min'."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def usd(amount: float | None) -> str:
    """Dollars with enough digits to see what a small local job costs: $0.0123, $1.23."""
    if amount is None:
        return "n/a"
    return f"${amount:.4f}" if amount < 1 else f"${amount:.2f}"


def status_line(status: JobStatus) -> str:
    """One line of progress: 'scenes 3/6 done, 1 failed; 2 tasks running; 12.4 s; cost so far $0.0012'; once
    the job has its report, its wall time and total cost: 'scenes 6/6 done; 26.8 s; cost $0.0055'."""
    parts = [f"scenes {status.scenes_done}/{status.scenes_total} done"]
    if status.scenes_failed:
        parts[0] += f", {status.scenes_failed} failed"
    if not status.finished:
        parts.append(f"{status.tasks_running} task{'s' if status.tasks_running != 1 else ''} running")
    parts.append(human_seconds(status.elapsed_s))
    parts.append(_cost(status))
    return "; ".join(parts)


def _cost(status: JobStatus) -> str:
    """'cost $0.0055' once it is the report's total (every service), else 'cost so far $0.0033' (Fargate)."""
    return f"{'cost' if status.cost_final else 'cost so far'} {usd(status.cost_so_far_usd)}"


def video_line(video: DownloadedVideo, started_at: float | None = None) -> str:
    """'scene_1 → output/scene_1.mp4 (1.2 MB, verified, +8.1 s)'."""
    notes = [human_bytes(video.size_bytes), "verified" if video.verified else "size checked"]
    if video.reused:
        notes.append("already here")
    if started_at is not None:
        notes.append(f"+{video.downloaded_at - started_at:.1f} s")
    return f"{video.scene} → {video.path} ({', '.join(notes)})"


def outcome_line(status: JobStatus) -> str:
    """How the job ended, in one sentence."""
    if status.all_succeeded:
        took = human_seconds(status.elapsed_s)
        return f"Job {status.job_id} succeeded: all {status.scenes_total} scenes rendered in {took}."
    if status.ran_to_the_end:
        return (
            f"Job {status.job_id} finished with {status.scenes_failed} of {status.scenes_total} scenes failed "
            f"({status.scenes_done} rendered)."
        )
    if status.refused:
        problems = "; ".join(status.refusal_problems) or _first_line(status.cause or "") or "no reason given"
        return f"Job {status.job_id} was refused before any task started: {problems}."
    rendered = f"{status.scenes_done} of {status.scenes_total} scenes rendered; {_cost(status)}"
    if status.job_state is JobState.CANCELLED:
        return f"Job {status.job_id} was cancelled after {human_seconds(status.elapsed_s)}; {rendered}."
    why = ""
    if status.error:
        why = f": {status.error}" + (f" ({_first_line(status.cause)})" if status.cause else "")
    return f"Job {status.job_id} {status.job_state.value.replace('_', ' ')}{why}; {rendered}."


def verification_line(downloaded: int, unverified: Sequence[str]) -> str | None:
    """How the downloaded videos were checked, or None when nothing was downloaded."""
    if not downloaded:
        return None
    if not unverified:
        return f"All {downloaded} videos match the SHA-256 the renderer recorded."
    names = ", ".join(unverified[:5]) + (" ..." if len(unverified) > 5 else "")
    return f"{len(unverified)} of {downloaded} videos could only be checked by size (no recorded SHA-256): {names}"


def report_lines(report: Report) -> list[str]:
    """The report's headline figures, a few lines long (the full report is report.json)."""
    cost = report.cost
    efficiency = report.efficiency
    by_service = cost.by_service.model_dump(by_alias=True)
    services = ", ".join(f"{name.replace('_', ' ')} {usd(value)}" for name, value in by_service.items() if value)
    lines = [
        f"Job {report.job_id}: {report.status}, {report.scenes_succeeded}/{report.scenes_total} scenes, "
        f"{human_seconds(report.video_seconds)} of video in {human_seconds(report.wall_seconds)}",
        f"Cost {usd(cost.total_usd)}" + (f" ({services})" if services else "") + _per_scene(cost.per_scene_usd),
        f"Tasks used {report.tasks_used}; billed {sum(task.billed_seconds for task in report.tasks)} task-seconds",
        "Efficiency: "
        + ", ".join(
            [
                f"speedup {_ratio(efficiency.speedup_factor, 'x')} vs one task "
                f"({human_seconds(efficiency.sequential_estimate_seconds)} sequential)",
                f"parallel efficiency {_percent(efficiency.parallel_efficiency)}",
                f"processing efficiency {_percent(efficiency.processing_efficiency)}",
            ]
        ),
    ]
    lines.extend(f"Failed: {failure.scene}: {failure.error}" for failure in report.failures)
    return lines


def _per_scene(value: float | None) -> str:
    return f"; {usd(value)} per scene" if value is not None else ""


def _ratio(value: float | None, suffix: str) -> str:
    return "n/a" if value is None else f"{value:.2f}{suffix}"


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 200 else line[:199] + "…"
