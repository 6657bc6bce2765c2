"""How a batch's task is bounded in place and time: the capacity provider strategy, and the limits (start
timeout, render deadline, idle timeout, lifetime) that keep a stuck task or render from billing for ever.

Pure functions of the job's options, the speed model and the stack's settings; PlanJob and RecordBatch (the
on-demand rerun after Spot) use them. Task sizes come from `cloudburst.core.profiles`.
"""

from __future__ import annotations

from typing import Any

from cloudburst.core.speed_model import TaskTimeModel
from cloudburst.models.job import Capacity

CAPACITY_PROVIDERS: dict[Capacity, str] = {Capacity.ON_DEMAND: "FARGATE", Capacity.SPOT: "FARGATE_SPOT"}

START_TIMEOUT_S = 600
"""Pulling a renderer image of a few hundred MB and starting it takes 30-90 s on Fargate; 10 minutes leaves
room for capacity waits without letting a batch hang on a task that never comes. The default of the stack's
RendererStartTimeoutSeconds."""
DEADLINE_BASE_S = 300.0
DEADLINE_FACTOR = 4.0
"""A render is abandoned after 5 minutes plus four times the speed model's estimate: slow enough never to
cut a healthy render, fast enough that a wedged one frees its task."""
MAX_POLL_WAIT_S = 300
IDLE_TIMEOUT_S = 3 * MAX_POLL_WAIT_S
"""The renderer exits by itself after this long without requests: longer than any wait between two polls."""
LIFETIME_MARGIN_S = 900
STOP_MARGIN_S = 300
"""runTask.sync's timeout is the task's MAX_LIFETIME plus this: the renderer should have exited by itself."""


def capacity_provider_strategy(capacity: Capacity) -> list[dict[str, Any]]:
    """RunTask's strategy for the capacity: one provider, FARGATE or FARGATE_SPOT."""
    return [{"CapacityProvider": CAPACITY_PROVIDERS[capacity], "Weight": 1}]


def expected_render_s(audio_seconds: float, timing: TaskTimeModel) -> float:
    """What the speed model expects a scene to take on its task, download and mux included."""
    return round(timing.scene_seconds(audio_seconds), 1)


def render_deadline_s(audio_seconds: float, timing: TaskTimeModel) -> float:
    """Seconds after submission after which a render is declared stuck and cancelled."""
    return round(DEADLINE_BASE_S + DEADLINE_FACTOR * timing.scene_seconds(audio_seconds), 1)


def task_lifetime_s(
    deadlines: list[float], scenes_in_flight: int, stack_max_s: int, start_timeout_s: float = START_TIMEOUT_S
) -> int:
    """The task's MAX_LIFETIME: long enough to start and for every scene to hit its deadline in turn, never
    above the stack's MaxTaskLifetimeSeconds (the orphan sweeper's bound)."""
    needed = start_timeout_s + sum(deadlines) / max(1, scenes_in_flight) + LIFETIME_MARGIN_S
    return int(min(stack_max_s, needed))
