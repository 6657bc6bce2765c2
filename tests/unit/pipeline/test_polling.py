"""The poll schedule: few polls for long renders, a growing floor for stalled ones, never past a deadline."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cloudburst.pipeline.compute import MAX_POLL_WAIT_S
from cloudburst.pipeline.polling import MIN_WAIT_S, estimated_remaining_s, next_wait_s


def test_progress_gives_the_estimate_once_there_is_some() -> None:
    assert estimated_remaining_s("running", 0.25, 30.0, 500.0, 40.0) == 90.0
    assert estimated_remaining_s("running", 0.0, 30.0, 500.0, 40.0) == 460.0  # speed model until progress shows
    assert estimated_remaining_s("queued", 0.0, None, 500.0, 40.0) == 500.0


def test_a_long_render_takes_few_polls() -> None:
    """A 20-minute render polled with honest progress finishes in a handful of polls."""
    total, t, polls, progress = 1200.0, 0.0, 0, 0.0
    wait = next_wait_s(total, 0, 5000)
    while True:
        t += wait
        polls += 1
        progress = min(1.0, t / total)
        if progress >= 1.0:
            break
        wait = next_wait_s(estimated_remaining_s("running", progress, t, total, t), polls, 5000 - t)
    assert polls <= 12


@given(
    remaining=st.floats(min_value=0, max_value=1e6),
    polls=st.integers(min_value=0, max_value=200),
    until=st.floats(min_value=-100, max_value=1e6),
)
def test_waits_are_whole_bounded_and_respect_the_deadline(remaining: float, polls: int, until: float) -> None:
    wait = next_wait_s(remaining, polls, until)
    assert isinstance(wait, int)
    assert MIN_WAIT_S <= wait <= MAX_POLL_WAIT_S
    assert wait <= max(MIN_WAIT_S, until + 2)


def test_the_floor_grows_so_a_stalled_render_cannot_spin() -> None:
    assert next_wait_s(0.0, 0, 10_000) == MIN_WAIT_S
    assert next_wait_s(0.0, 8, 10_000) > 40
