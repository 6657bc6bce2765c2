"""Which scenes go to which task: the job's batches, and how many tasks to use.

Two strategies (`BatchingOptions.strategy`):

* `count`: the older library's *intent*, done right: `scenes_per_task` scenes per task, contiguous, in job
  order. The old code used the number only as a threshold and spread scenes over as many tasks as it could.
  Batches may outnumber `max_parallel_tasks`; the state machine then runs them in waves.
* `duration`: balance the work (the time each scene takes, which grows with its audio) so that no task holds
  the job back, using at most `max_parallel_tasks` tasks when the per-task cap allows. How many tasks is a
  choice (`choose_task_count`): every task pays its startup, its billed pull/boot/stop and possibly
  Fargate's one-minute minimum, so a task that shortens the job by less than its own overhead is not started.

Every batch holds at most `MAX_SCENES_PER_TASK` scenes (a batch's child execution history must stay small),
and scenes keep their job order inside a batch. Everything here is pure: durations in, batches out.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass

from cloudburst.core.billing import billable_seconds
from cloudburst.core.speed_model import TaskTimeModel, task_time_model
from cloudburst.models.job import MAX_SCENES_PER_TASK, BatchingObjective, BatchingOptions, BatchingStrategy

_EPS = 1e-9
_REBALANCE_ROUNDS = 60
_GOOD_ENOUGH = 1e-3
_BISECTION_STEPS = 64


@dataclass(frozen=True, slots=True)
class SceneWork:
    """A scene as the scheduler sees it: its name and how long its narration is."""

    name: str
    audio_seconds: float


@dataclass(frozen=True, slots=True)
class Batch:
    """The scenes one task renders, in job order. `index` is the batch's place in the Map's item list."""

    index: int
    scenes: tuple[str, ...]
    audio_seconds: float


@dataclass(frozen=True, slots=True)
class TaskCountChoice:
    """A candidate number of tasks with its predicted wall time and billed task-seconds."""

    tasks: int
    makespan_seconds: float
    billed_task_seconds: int
    meets_deadline: bool | None = None  # None when no deadline was asked for


def plan_batches(
    scenes: Sequence[SceneWork], options: BatchingOptions, *, timing: TaskTimeModel | None = None
) -> list[Batch]:
    """Split a job's scenes (in job order) into batches, one per task, by `options.strategy`.

    `timing` says how long startup and rendering take for the job's compute profile (PlanJob passes
    `task_time_model(job.compute.profile)`); only the duration strategy uses it.
    """
    _check_scenes(scenes)
    if options.strategy is BatchingStrategy.COUNT:
        groups = split_by_count(scenes, options.scenes_per_task)
        return _as_batches(groups)
    timing = timing or task_time_model()
    choice = choose_task_count(scenes, options, timing=timing)
    groups = split_by_duration(scenes, choice.tasks, timing)
    loads = [_load(group, timing) for group in groups]
    if len(groups) > options.max_parallel_tasks:
        # Waves: the Map starts items in order as slots free up, so the heaviest go first (LPT over waves).
        position = {scene.name: i for i, scene in enumerate(scenes)}
        order = sorted(range(len(groups)), key=lambda g: (-loads[g], position[groups[g][0].name]))
        groups = [groups[g] for g in order]
    return _as_batches(groups)


def split_by_count(scenes: Sequence[SceneWork], scenes_per_task: int) -> list[list[SceneWork]]:
    """Contiguous runs of `scenes_per_task` scenes (the last one shorter), capped at MAX_SCENES_PER_TASK."""
    if scenes_per_task < 1:
        raise ValueError(f"batching.scenes_per_task: {scenes_per_task!r} must be at least 1")
    size = min(scenes_per_task, MAX_SCENES_PER_TASK)
    return [list(scenes[start : start + size]) for start in range(0, len(scenes), size)]


def split_by_duration(scenes: Sequence[SceneWork], tasks: int, timing: TaskTimeModel) -> list[list[SceneWork]]:
    """At most `tasks` groups whose largest work is as small as we can make it, each in job order.

    Two candidates, the better kept: longest-processing-time-first (each scene, longest first, to the least
    loaded task) improved by moves and swaps out of the most loaded task; and the best *contiguous* split
    (binary search on the largest load), which keeps job order across tasks and, since the count split is
    one contiguous split, guarantees we are never worse than it for the same number of tasks.
    """
    _check_scenes(scenes)
    minimum = math.ceil(len(scenes) / MAX_SCENES_PER_TASK)
    if tasks < minimum:
        raise ValueError(f"tasks: {tasks} cannot hold {len(scenes)} scenes at {MAX_SCENES_PER_TASK} per task")
    tasks = min(tasks, len(scenes))
    work = [timing.scene_seconds(scene.audio_seconds) for scene in scenes]
    balanced = _rebalance(_longest_first(work, tasks), work)
    contiguous = _best_contiguous(work, tasks)
    chosen = contiguous if _peak(contiguous, work) <= _peak(balanced, work) + _EPS else balanced
    return [[scenes[i] for i in sorted(group)] for group in chosen]


def choose_task_count(
    scenes: Sequence[SceneWork], options: BatchingOptions, *, timing: TaskTimeModel | None = None
) -> TaskCountChoice:
    """How many tasks the duration strategy uses.

    * with `deadline_seconds`: the fewest tasks predicted to finish by it; if none can, the fastest plan
      (its `meets_deadline` is False, so callers can warn);
    * objective `cheapest`: the fewest billed task-seconds (ties: the sooner);
    * objective `fastest`: the least `makespan + billed task-seconds / max_parallel_tasks`. The second term
      prices a task's overhead (its billed pull, boot and stop, or the one-minute minimum when it would do
      less than a minute of work) as if the whole fleet waited for it: adding a task must shorten the job by
      more than that, so small jobs are not spread over tasks that mostly start up.
    """
    candidates = task_count_options(scenes, options, timing=timing)
    if options.deadline_seconds is not None:
        meeting = [c for c in candidates if c.meets_deadline]
        if meeting:
            return min(meeting, key=lambda c: (c.tasks, c.makespan_seconds))
        return min(candidates, key=lambda c: (c.makespan_seconds, c.billed_task_seconds, c.tasks))
    if options.objective is BatchingObjective.CHEAPEST:
        return min(candidates, key=lambda c: (c.billed_task_seconds, c.makespan_seconds, c.tasks))
    fleet = options.max_parallel_tasks
    return min(candidates, key=lambda c: (c.makespan_seconds + c.billed_task_seconds / fleet, c.tasks))


def task_count_options(
    scenes: Sequence[SceneWork], options: BatchingOptions, *, timing: TaskTimeModel | None = None
) -> list[TaskCountChoice]:
    """Every sensible number of tasks with its prediction (from the longest-first split, which is fast).

    From the fewest the per-task cap allows, up to `max_parallel_tasks` (or, when the cap forces waves, up to
    whole waves of `max_parallel_tasks`), and never more tasks than scenes.
    """
    _check_scenes(scenes)
    timing = timing or task_time_model()
    work = [timing.scene_seconds(scene.audio_seconds) for scene in scenes]
    fleet = options.max_parallel_tasks
    fewest = math.ceil(len(scenes) / MAX_SCENES_PER_TASK)
    most = min(len(scenes), fleet * math.ceil(fewest / fleet))
    order = _longest_first_order(work)
    choices = []
    for tasks in range(fewest, most + 1):
        groups = _longest_first(work, tasks, order)
        loads = sorted((sum(work[i] for i in group) for group in groups), reverse=True)
        makespan = predict_makespan(loads, fleet, timing)
        meets = None if options.deadline_seconds is None else makespan <= options.deadline_seconds + _EPS
        choices.append(TaskCountChoice(len(loads), makespan, predict_billed_seconds(loads, timing), meets))
    return choices


def predict_makespan(batch_work_seconds: Sequence[float], max_parallel_tasks: int, timing: TaskTimeModel) -> float:
    """Wall seconds from the first RunTask to the last task stopped, batches started in order.

    At most `max_parallel_tasks` run at once; each new task pays the full startup; a slot frees when its task
    has stopped (the Map starts the next item only then).
    """
    if max_parallel_tasks < 1:
        raise ValueError(f"max_parallel_tasks: {max_parallel_tasks!r} must be at least 1")
    slots = [0.0] * min(max_parallel_tasks, len(batch_work_seconds))
    finished = 0.0
    for work in batch_work_seconds:
        start = heapq.heappop(slots)
        end = start + timing.startup_seconds + work + timing.stop_seconds
        finished = max(finished, end)
        heapq.heappush(slots, end)
    return finished


def predict_billed_seconds(batch_work_seconds: Sequence[float], timing: TaskTimeModel) -> int:
    """Billed task-seconds of the batches: each task from image pull to stop, rounded up, one-minute minimum."""
    return sum(billable_seconds(timing.billed_overhead_seconds + work) for work in batch_work_seconds)


def batch_work_seconds(scenes: Sequence[SceneWork], timing: TaskTimeModel) -> float:
    """Busy seconds a task needs for these scenes (startup and stop excluded)."""
    return _load(scenes, timing)


def _check_scenes(scenes: Sequence[SceneWork]) -> None:
    """Refuse what would make a plan meaningless, naming the scene."""
    if not scenes:
        raise ValueError("scenes: a job needs at least one scene")
    seen: set[str] = set()
    for position, scene in enumerate(scenes):
        if not (math.isfinite(scene.audio_seconds) and scene.audio_seconds >= 0):
            raise ValueError(
                f"scenes[{position}] ({scene.name}): audio_seconds {scene.audio_seconds!r} must be a finite number >= 0"
            )
        if scene.name in seen:
            raise ValueError(f"scenes[{position}]: the name {scene.name!r} is repeated; scene names must be unique")
        seen.add(scene.name)


def _as_batches(groups: Sequence[Sequence[SceneWork]]) -> list[Batch]:
    return [
        Batch(index, tuple(scene.name for scene in group), math.fsum(scene.audio_seconds for scene in group))
        for index, group in enumerate(groups)
    ]


def _load(scenes: Sequence[SceneWork], timing: TaskTimeModel) -> float:
    return math.fsum(timing.scene_seconds(scene.audio_seconds) for scene in scenes)


def _peak(groups: Sequence[Sequence[int]], work: Sequence[float]) -> float:
    return max(math.fsum(work[i] for i in group) for group in groups)


def _longest_first(work: Sequence[float], tasks: int, order: Sequence[int] | None = None) -> list[list[int]]:
    """LPT: each scene, longest first, to the least loaded task that still has room under the cap.
    `order` (scene indexes, longest first) may be passed in when the same work is split many times."""
    if order is None:
        order = _longest_first_order(work)
    open_tasks = [(0.0, task) for task in range(tasks)]  # sorted, hence already a heap
    members: list[list[int]] = [[] for _ in range(tasks)]
    for i in order:
        load, task = heapq.heappop(open_tasks)
        members[task].append(i)
        if len(members[task]) < MAX_SCENES_PER_TASK:
            heapq.heappush(open_tasks, (load + work[i], task))
    return [group for group in members if group]


def _longest_first_order(work: Sequence[float]) -> list[int]:
    return sorted(range(len(work)), key=lambda i: (-work[i], i))


def _rebalance(groups: list[list[int]], work: Sequence[float]) -> list[list[int]]:
    """Local search: move one scene, or swap two, between the most loaded task and another, while that
    lowers the larger of the two loads. Bounded rounds; LPT is already within 4/3 of optimal, this mends
    the small cases where whole scenes are coarse (e.g. 3,3,2,2,2 on two tasks: LPT 7, optimum 6). It stops
    as soon as the largest load is within 0.1% of the bound no split can beat."""
    groups = [list(group) for group in groups]
    loads = [math.fsum(work[i] for i in group) for group in groups]
    bound = max(*work, math.fsum(work) / len(groups))
    ranked = [_ranked(group, work) for group in groups]
    for _ in range(_REBALANCE_ROUNDS):
        hi = max(range(len(groups)), key=loads.__getitem__)
        if loads[hi] <= bound * (1 + _GOOD_ENOUGH) + _EPS:
            break
        best = _best_exchange(groups, loads, ranked, work, hi)
        if best is None:
            break
        lo, give, take = best
        groups[hi].remove(give)
        groups[lo].append(give)
        if take is not None:
            groups[lo].remove(take)
            groups[hi].append(take)
        for changed in (hi, lo):
            loads[changed] = math.fsum(work[i] for i in groups[changed])
            ranked[changed] = _ranked(groups[changed], work)
    return groups


def _ranked(group: Sequence[int], work: Sequence[float]) -> tuple[list[int], list[float]]:
    """A group's scenes by increasing work, and those works (for bisection)."""
    order = sorted(group, key=work.__getitem__)
    return order, [work[i] for i in order]


def _best_exchange(
    groups: Sequence[Sequence[int]],
    loads: Sequence[float],
    ranked: Sequence[tuple[list[int], list[float]]],
    work: Sequence[float],
    hi: int,
) -> tuple[int, int, int | None] | None:
    """The move (lo, scene, None) or swap (lo, scene, other) that most lowers max(load[hi], load[lo])."""
    peak = loads[hi]
    best_peak = peak - _EPS
    best: tuple[int, int, int | None] | None = None
    for lo, group in enumerate(groups):
        gap = peak - loads[lo]
        if lo == hi or gap <= _EPS:
            continue
        if len(group) < MAX_SCENES_PER_TASK and len(groups[hi]) > 1:
            for give in groups[hi]:
                new_peak = max(peak - work[give], loads[lo] + work[give])
                if new_peak < best_peak:
                    best_peak, best = new_peak, (lo, give, None)
        scenes, works = ranked[lo]
        for give in groups[hi]:
            # Swapping `give` for `take` moves delta = w(give) - w(take); ideal delta is gap / 2.
            at = bisect.bisect_left(works, work[give] - gap / 2)
            for k in (at - 1, at):
                if 0 <= k < len(scenes):
                    delta = work[give] - works[k]
                    if _EPS < delta < gap - _EPS:
                        new_peak = max(peak - delta, loads[lo] + delta)
                        if new_peak < best_peak:
                            best_peak, best = new_peak, (lo, give, scenes[k])
    return best


def _best_contiguous(work: Sequence[float], tasks: int) -> list[list[int]]:
    """The contiguous split into at most `tasks` runs (each within the cap) with the smallest largest run,
    by bisection on that largest load with a greedy fill (greedy is optimal for a given limit)."""
    low = max(*work, math.fsum(work) / tasks)
    high = math.fsum(work) + _EPS
    if len(_fill(work, low)) <= tasks:
        high = low
    else:
        for _ in range(_BISECTION_STEPS):
            middle = (low + high) / 2
            if len(_fill(work, middle)) <= tasks:
                high = middle
            else:
                low = middle
    return _fill(work, high)


def _fill(work: Sequence[float], limit: float) -> list[list[int]]:
    """Greedy runs: add scenes to the current run while it stays within `limit` and the scene cap."""
    runs: list[list[int]] = [[]]
    load = 0.0
    tolerance = limit * 1e-12 + _EPS
    for i, seconds in enumerate(work):
        current = runs[-1]
        if current and (load + seconds > limit + tolerance or len(current) >= MAX_SCENES_PER_TASK):
            runs.append([])
            load = 0.0
        runs[-1].append(i)
        load += seconds
    return runs
