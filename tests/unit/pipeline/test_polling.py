"""The poll schedule: an early first look, then the render's own speed; few polls for long renders, a growing
floor for stalled ones, never past a deadline."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudburst.pipeline.compute import MAX_POLL_WAIT_S
from cloudburst.pipeline.polling import MIN_WAIT_S, first_wait_s, next_wait_s, observed_remaining_s


@pytest.mark.parametrize(
    ("progress", "running_for_s", "remaining"),
    [
        (0.25, 30.0, 90.0),  # a quarter in 30 s: 90 s to go
        (0.5, 1.2, 1.2),
        (0.9, 45.0, 5.0),
        (0.01, 30.0, None),  # too little progress to extrapolate
        (0.0, 30.0, None),
        (1.0, 10.0, 0.0),  # every frame done, muxing: the floor sets the wait
    ],
)
def test_observed_remaining(progress: float, running_for_s: float, remaining: float | None) -> None:
    assert observed_remaining_s(progress, running_for_s) == (None if remaining is None else pytest.approx(remaining))


@dataclass(frozen=True)
class Poll:
    """What one poll knows, as `next_wait_s` takes it."""

    status: str
    progress: float
    running_for_s: float | None
    expected_s: float
    since_submit_s: float
    running_polls: int
    until_deadline_s: float

    def wait(self) -> int:
        return next_wait_s(
            status=self.status,
            progress=self.progress,
            running_for_s=self.running_for_s,
            expected_s=self.expected_s,
            since_submit_s=self.since_submit_s,
            running_polls=self.running_polls,
            until_deadline_s=self.until_deadline_s,
        )


WAITS: list[tuple[str, Poll, int]] = [
    # Before any progress: a quarter of the model's estimate (it errs long on short scenes), backing off.
    ("short scene, submitted", Poll("queued", 0.0, None, 7.1, 0.0, 0, 300), 2),
    ("long scene, submitted", Poll("queued", 0.0, None, 221.0, 0.0, 0, 1200), 56),
    ("still queued behind another", Poll("queued", 0.0, None, 7.1, 2.0, 0, 300), 2),
    ("queued for 9 s: backing off", Poll("queued", 0.0, None, 7.1, 9.0, 0, 300), 5),
    ("running, no progress yet", Poll("running", 0.0, 0.5, 40.0, 8.0, 1, 300), 8),
    ("running past the model, no progress", Poll("running", 0.0, 30.0, 20.0, 30.0, 2, 300), 15),
    # Progress known: aim just before the end the render's own speed gives, whatever the model said.
    ("half done in 1.2 s", Poll("running", 0.5, 1.2, 7.1, 2.0, 1, 300), 2),
    ("three quarters done in 90 s", Poll("running", 0.75, 90.0, 500.0, 100.0, 1, 1200), 27),
    ("slower than the model", Poll("running", 0.3, 200.0, 60.0, 205.0, 1, 1200), MAX_POLL_WAIT_S),
    ("nearly done", Poll("running", 0.95, 95.0, 100.0, 96.0, 2, 1200), 5),
    # ... but never further ahead than twice what was watched: early on, the fixed start dominates.
    ("a quarter done in 30 s", Poll("running", 0.25, 30.0, 500.0, 40.0, 1, 1200), 60),
    ("a tenth done in 0.66 s", Poll("running", 0.1, 0.66, 6.8, 4.1, 1, 300), 2),
    # The floor grows with every poll that finds it running: a render that never ends cannot spin the loop.
    ("all frames done, still muxing", Poll("running", 1.0, 10.0, 7.0, 11.0, 1, 300), 2),
    ("stuck at the end, tenth poll", Poll("running", 1.0, 100.0, 7.0, 101.0, 10, 300), 58),
    # Never much past the deadline.
    ("deadline in 5 s", Poll("running", 0.02, 375.0, 20.0, 375.0, 3, 5), 6),
    ("deadline passed", Poll("running", 0.5, 10.0, 20.0, 400.0, 3, -20), 1),
]


@pytest.mark.parametrize(("poll", "wait"), [(poll, wait) for _, poll, wait in WAITS], ids=[c[0] for c in WAITS])
def test_next_wait(poll: Poll, wait: int) -> None:
    assert poll.wait() == wait


def test_the_first_wait_is_a_fraction_of_the_estimate() -> None:
    assert first_wait_s(7.1, 330.0) == 2
    assert first_wait_s(0.5, 330.0) == MIN_WAIT_S
    assert first_wait_s(2000.0, 8300.0) == MAX_POLL_WAIT_S


@dataclass(frozen=True)
class Run:
    polls: int
    gap_s: float
    """From the render's end to the poll that sees it."""


def simulate(expected_s: float, starts_at: float, takes_s: float, setup_s: float = 0.0) -> Run:
    """Drive the schedule against a render that starts `starts_at` after submission, shows no progress for
    its first `setup_s` (inputs, image, encoder start), then progresses evenly to its end `takes_s` after
    it started."""
    ends_at, deadline = starts_at + takes_s, 5000.0
    t, polls, running_polls = float(first_wait_s(expected_s, deadline)), 0, 0
    while True:
        polls += 1
        if t >= ends_at:
            return Run(polls, t - ends_at)
        running_for = t - starts_at if t >= starts_at else None
        running_polls += running_for is not None
        t += next_wait_s(
            status="queued" if running_for is None else "running",
            progress=0.0 if running_for is None else max(0.0, running_for - setup_s) / (takes_s - setup_s),
            running_for_s=running_for,
            expected_s=expected_s,
            since_submit_s=t,
            running_polls=running_polls,
            until_deadline_s=deadline - t,
        )


@pytest.mark.parametrize(
    ("render", "max_polls", "max_gap_s"),  # render: (expected_s, starts_at, takes_s, setup_s), as `simulate`
    [
        ((7.1, 0.2, 2.5, 0.0), 2, 1.5),  # a short moving scene the model overestimates three times
        ((7.1, 0.1, 0.6, 0.0), 1, 1.5),  # a short still scene: done before the first look
        ((7.1, 2.6, 2.3, 0.0), 3, 1.5),  # the second scene of a task, queued behind the first
        ((7.1, 20.0, 8.0, 0.0), 8, 1.0),  # ... behind a render far slower than the model (a loaded machine)
        ((6.8, 1.4, 2.6, 0.5), 2, 1.0),  # a slow start: the first speed seen is far too low
        ((221.0, 0.5, 80.0, 2.0), 3, 2.0),  # a 10-minute still scene: the model is three times too long
        ((221.0, 0.5, 220.0, 2.0), 4, 2.0),  # a 10-minute scene as the model expects
        ((221.0, 0.5, 600.0, 2.0), 6, 8.0),  # three times slower than the model
        ((221.0, 150.0, 220.0, 2.0), 7, 2.0),  # queued behind another long scene
    ],
)
def test_renders_are_seen_soon_after_they_end_with_few_polls(
    render: tuple[float, float, float, float], max_polls: int, max_gap_s: float
) -> None:
    run = simulate(*render)
    assert run.polls <= max_polls
    assert run.gap_s <= max_gap_s


def test_a_short_scene_is_seen_sooner_than_the_model_would_wait() -> None:
    """The reported case: ~1.3 s of rendering, first polled 5 s after it ended when the first wait was the
    model's estimate."""
    run = simulate(7.1, 0.2, 1.3)
    assert run.gap_s < 7.1 * 0.9 - 1.5


def test_a_long_render_takes_few_polls() -> None:
    """A 20-minute render with honest progress finishes in a handful of polls."""
    assert simulate(1200.0, 0.0, 1200.0).polls <= 7


@pytest.mark.parametrize(("deadline", "most"), [(330.0, 12), (1200.0, 16)])
def test_a_render_stuck_before_its_end_reaches_its_deadline_in_a_bounded_number_of_polls(
    deadline: float, most: int
) -> None:
    """A render at 100% that never reports success (no speed left to extrapolate, the model's time long gone)
    is polled at growing intervals, not once a second: each poll costs ~9 of a batch's 25,000 history events."""
    t, polls = float(first_wait_s(7.1, deadline)), 0
    while t < deadline:
        polls += 1
        t += Poll("running", 1.0, t, 7.1, t, polls, deadline - t).wait()
    assert polls <= most


@given(
    st.builds(
        Poll,
        status=st.sampled_from(["queued", "running", "unknown"]),
        progress=st.floats(min_value=0, max_value=1),
        running_for_s=st.one_of(st.none(), st.floats(min_value=0, max_value=1e6)),
        expected_s=st.floats(min_value=0, max_value=1e5),
        since_submit_s=st.floats(min_value=0, max_value=1e6),
        running_polls=st.integers(min_value=0, max_value=200),
        until_deadline_s=st.floats(min_value=-100, max_value=1e6),
    )
)
def test_waits_are_whole_bounded_and_respect_the_deadline(poll: Poll) -> None:
    wait = poll.wait()
    assert isinstance(wait, int)
    assert MIN_WAIT_S <= wait <= MAX_POLL_WAIT_S
    assert wait <= max(MIN_WAIT_S, poll.until_deadline_s + 2)
