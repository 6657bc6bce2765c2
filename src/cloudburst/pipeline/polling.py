"""How long to wait before asking a renderer about a render again.

Each poll costs a Lambda call and ~9 history events, and a batch's child execution holds at most 25,000
events, so polls must be few: wait roughly until the render should be done (from its progress, or from the
speed model before it reports any), never less than a floor that grows with each poll (a stalled render
cannot spin the loop), never more than `MAX_POLL_WAIT_S` and never much past the scene's deadline.
"""

from __future__ import annotations

import math

from cloudburst.pipeline.compute import MAX_POLL_WAIT_S

MIN_WAIT_S = 2
FLOOR_GROWTH = 1.5
AIM = 0.9
"""Aim a little before the estimated end: an early poll costs one more loop, a late one wastes task time."""
MIN_PROGRESS_FOR_ETA = 0.02


def estimated_remaining_s(
    status: str, progress: float, running_for_s: float | None, expected_s: float, since_submit_s: float
) -> float:
    """Seconds until the render should finish: from its own progress when it has made some, else from the
    speed model's expectation (a queued render also waits for the one ahead of it)."""
    if status == "running" and running_for_s is not None and progress >= MIN_PROGRESS_FOR_ETA:
        return running_for_s * (1.0 - progress) / progress
    if status == "queued":
        return expected_s
    return max(expected_s - since_submit_s, 0.0)


def next_wait_s(remaining_s: float, polls: int, until_deadline_s: float) -> int:
    """Whole seconds for the Wait state (SecondsPath needs an integer)."""
    floor = MIN_WAIT_S * FLOOR_GROWTH**polls
    wait = max(remaining_s * AIM, floor)
    wait = min(wait, MAX_POLL_WAIT_S, max(until_deadline_s, 0.0) + 1.0)
    return max(MIN_WAIT_S, math.ceil(wait))
