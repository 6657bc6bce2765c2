"""Batching: the count split honours `scenes_per_task`; the duration split balances work, respects every
limit, never does worse than the count split, and does not start tasks that would mostly start up."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudburst.core.scheduling import (
    Batch,
    SceneWork,
    choose_task_count,
    plan_batches,
    predict_billed_seconds,
    predict_makespan,
    split_by_count,
    split_by_duration,
    task_count_options,
)
from cloudburst.core.speed_model import TaskTimeModel
from cloudburst.models.job import MAX_SCENES_PER_TASK, BatchingOptions

# One second of work per audio second, 20 s to start (10 of them billed), nothing else: easy arithmetic.
PLAIN = TaskTimeModel(
    provisioning_seconds=10,
    pull_seconds=10,
    boot_seconds=0,
    stop_seconds=0,
    per_scene_seconds=0,
    render_seconds_per_audio_second=1.0,
)


def _scenes(*seconds: float) -> list[SceneWork]:
    return [SceneWork(f"s{i:04d}", float(s)) for i, s in enumerate(seconds)]


def _duration(**overrides: object) -> BatchingOptions:
    return BatchingOptions.model_validate({"strategy": "duration", **overrides})


def _loads(batches: list[Batch]) -> list[float]:
    return [b.audio_seconds for b in batches]


# --- the count strategy -----------------------------------------------------------------------------------


def test_count_split_honours_scenes_per_task_where_the_old_library_did_not() -> None:
    # The older library turned 50 scenes at scenes_per_batch=10 into 10 tasks of 5.
    batches = plan_batches(_scenes(*[10] * 50), BatchingOptions(strategy="count", scenes_per_task=10))
    assert [len(b.scenes) for b in batches] == [10] * 5
    assert batches[0].scenes == tuple(f"s{i:04d}" for i in range(10))
    assert [b.index for b in batches] == list(range(5))


def test_count_split_may_outnumber_parallel_tasks_and_keeps_the_short_tail_last() -> None:
    batches = plan_batches(
        _scenes(*[1] * 23), BatchingOptions(strategy="count", scenes_per_task=5, max_parallel_tasks=2)
    )
    assert [len(b.scenes) for b in batches] == [5, 5, 5, 5, 3]


def test_count_split_refuses_a_nonsense_size() -> None:
    with pytest.raises(ValueError, match="scenes_per_task"):
        split_by_count(_scenes(1, 2), 0)


# --- the duration strategy --------------------------------------------------------------------------------


def test_one_long_scene_gets_a_task_of_its_own_and_no_extra_tasks_are_started() -> None:
    scenes = _scenes(600, *[10] * 30)
    batches = plan_batches(scenes, _duration(max_parallel_tasks=10), timing=PLAIN)
    assert batches[0].scenes == ("s0000",)
    # The other 300 s fit in the long scene's shadow on one task: more tasks would not finish sooner.
    assert len(batches) == 2
    assert max(_loads(batches)) == 600


def test_duration_split_finds_the_optimum_where_longest_first_alone_does_not() -> None:
    # Longest-first puts 3+2+2 on one task (7); the optimum is 6 (3+3 | 2+2+2).
    groups = split_by_duration(_scenes(2, 2, 2, 3, 3, 0), 2, PLAIN)
    assert sorted(sum(s.audio_seconds for s in g) for g in groups) == [6, 6]


def test_a_small_job_is_not_spread_over_tasks_that_would_mostly_start_up() -> None:
    # 3 x 5 s of work: a second task saves at most 5 s but is billed a full minute.
    choice = choose_task_count(_scenes(5, 5, 5), _duration(max_parallel_tasks=10), timing=PLAIN)
    assert choice.tasks == 1
    assert choice.makespan_seconds == 20 + 15
    assert choice.billed_task_seconds == 60


def test_a_large_job_uses_every_task_it_may() -> None:
    batches = plan_batches(_scenes(*[30] * 100), _duration(max_parallel_tasks=10), timing=PLAIN)
    assert len(batches) == 10
    assert _loads(batches) == [300.0] * 10


def test_cheapest_uses_the_fewest_tasks() -> None:
    options = _duration(max_parallel_tasks=10, objective="cheapest")
    assert choose_task_count(_scenes(*[30] * 100), options, timing=PLAIN).tasks == 1
    many = [1.0] * (MAX_SCENES_PER_TASK * 2 + 1)
    assert choose_task_count(_scenes(*many), options, timing=PLAIN).tasks == 3


def test_deadline_takes_the_fewest_tasks_that_finish_in_time() -> None:
    scenes = _scenes(*[30] * 100)  # 3000 s of work, 20 s startup
    choice = choose_task_count(scenes, _duration(max_parallel_tasks=10, deadline_seconds=1000), timing=PLAIN)
    assert choice.tasks == 4  # 20 + 750; three tasks would need 20 + 1020
    assert choice.meets_deadline is True
    assert choice.makespan_seconds <= 1000


def test_an_unreachable_deadline_falls_back_to_the_fastest_plan_and_says_so() -> None:
    choice = choose_task_count(
        _scenes(*[30] * 100), _duration(max_parallel_tasks=10, deadline_seconds=100), timing=PLAIN
    )
    assert choice.meets_deadline is False
    assert choice.tasks == 10


def test_more_scenes_than_the_cap_allows_run_in_whole_waves_heaviest_first() -> None:
    seconds = [1.0] * 450
    seconds[449] = 100.0
    batches = plan_batches(_scenes(*seconds), _duration(max_parallel_tasks=2), timing=PLAIN)
    assert len(batches) == 4  # 3 would fit the cap, but 2 waves of 2 finish sooner than 2 + 1
    assert all(len(b.scenes) <= MAX_SCENES_PER_TASK for b in batches)
    assert _loads(batches) == sorted(_loads(batches), reverse=True)


def test_candidates_span_from_the_fewest_to_the_parallel_limit() -> None:
    options = _duration(max_parallel_tasks=6)
    counts = [c.tasks for c in task_count_options(_scenes(*[10] * 20), options, timing=PLAIN)]
    assert counts == [1, 2, 3, 4, 5, 6]
    assert [c.tasks for c in task_count_options(_scenes(10, 10), options, timing=PLAIN)] == [1, 2]


@pytest.mark.parametrize(
    ("seconds", "message"),
    [((), "at least one scene"), ((1.0, -1.0), r"scenes\[1\] \(s0001\): audio_seconds"), ((math.nan,), "finite")],
)
def test_bad_durations_are_refused_naming_the_scene(seconds: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_batches(_scenes(*seconds), _duration())


def test_repeated_scene_names_are_refused() -> None:
    with pytest.raises(ValueError, match="'a' is repeated"):
        plan_batches([SceneWork("a", 1), SceneWork("a", 2)], _duration())


# --- predictions ------------------------------------------------------------------------------------------


def test_makespan_runs_batches_in_waves_each_paying_startup() -> None:
    # Two slots: 100 and 50 start at 0; 70 starts when the 50 stops (at 70), ends at 70 + 20 + 70 = 160.
    assert predict_makespan([100, 50, 70], 2, PLAIN) == 160
    assert predict_makespan([100, 50, 70], 3, PLAIN) == 120


def test_billed_seconds_apply_the_one_minute_minimum_per_task() -> None:
    # 10 s pull + work, per task: 30 -> 60 (minimum), 100.2 -> 111 (rounded up).
    assert predict_billed_seconds([20.0, 100.2], PLAIN) == 60 + 111


# --- properties -------------------------------------------------------------------------------------------

durations = st.lists(st.floats(min_value=0, max_value=3600, allow_nan=False), min_size=1, max_size=60)
options = st.builds(
    BatchingOptions,
    strategy=st.sampled_from(["count", "duration"]),
    scenes_per_task=st.integers(1, 25),
    max_parallel_tasks=st.integers(1, 12),
    objective=st.sampled_from(["fastest", "cheapest"]),
    deadline_seconds=st.none() | st.floats(min_value=30, max_value=20_000),
)


@settings(max_examples=150, deadline=None)
@given(durations, options)
def test_every_plan_places_each_scene_once_in_job_order_within_the_limits(
    seconds: list[float], batching: BatchingOptions
) -> None:
    scenes = _scenes(*seconds)
    batches = plan_batches(scenes, batching, timing=PLAIN)
    placed = [name for b in batches for name in b.scenes]
    assert sorted(placed) == [s.name for s in scenes]
    assert [b.index for b in batches] == list(range(len(batches)))
    for b in batches:
        assert list(b.scenes) == sorted(b.scenes)  # names sort in job order here
        assert 1 <= len(b.scenes) <= MAX_SCENES_PER_TASK
        by_name = {s.name: s.audio_seconds for s in scenes}
        assert b.audio_seconds == pytest.approx(sum(by_name[n] for n in b.scenes))
    if batching.strategy == "count":
        assert all(len(b.scenes) == batching.scenes_per_task for b in batches[:-1])
    else:
        assert len(batches) <= batching.max_parallel_tasks


@settings(max_examples=150, deadline=None)
@given(durations, st.integers(1, 25))
def test_duration_is_never_worse_than_count_for_the_same_number_of_tasks(
    seconds: list[float], scenes_per_task: int
) -> None:
    scenes = _scenes(*seconds)
    by_count = split_by_count(scenes, scenes_per_task)
    by_duration = split_by_duration(scenes, len(by_count), PLAIN)
    assert len(by_duration) <= len(by_count)

    def makespan(groups: list[list[SceneWork]]) -> float:
        loads = [sum(PLAIN.scene_seconds(s.audio_seconds) for s in g) for g in groups]
        return predict_makespan(loads, len(groups), PLAIN)

    assert makespan(by_duration) <= makespan(by_count) + 1e-6


@settings(max_examples=60, deadline=None)
@given(st.integers(MAX_SCENES_PER_TASK + 1, 3 * MAX_SCENES_PER_TASK), st.integers(1, 4))
def test_the_per_task_cap_holds_for_large_jobs(count: int, fleet: int) -> None:
    batches = plan_batches(_scenes(*[5.0] * count), _duration(max_parallel_tasks=fleet), timing=PLAIN)
    assert all(len(b.scenes) <= MAX_SCENES_PER_TASK for b in batches)
    assert sum(len(b.scenes) for b in batches) == count
