"""How long to wait before asking a renderer about a render again.

Two costs pull against each other. A poll costs a Lambda call and 3 state transitions, about what three
seconds of a standard on-demand task cost, plus ~9 history events (a batch's child execution holds at most
25,000), so polls must be few. A poll that comes late delays the video by as much and, on a batch's last
scene, keeps the task idle and billed meanwhile. So each poll should be likely to learn something.

So the schedule trusts what it knows best. Once the render reports progress, its own observed speed says
when it will end (`elapsed * (1 - p) / p`), and the wait aims just before that, but never further ahead than
twice the time it has watched the render run (that estimate is poor early on). Until then only the speed
model speaks, and it errs long (it is calibrated on the slow case, 1080p moving scenes, and carries a fixed
per-scene overhead): a short or still scene takes a fraction of its estimate. So the first look comes at a
quarter of the estimate, early enough to catch the render running and learn its real speed; while it still
shows none (queued behind another render, or starting), the looks back off geometrically. A floor that
grows with every poll that finds the render running keeps one that never reports its end from spinning the
loop; waits never exceed `MAX_POLL_WAIT_S` nor run much past the scene's deadline. Step Functions waits
whole seconds, so the floor starts at one.
"""

from __future__ import annotations

import math

from cloudburst.pipeline.compute import MAX_POLL_WAIT_S

MIN_WAIT_S = 1
FLOOR_GROWTH = 1.5
"""Per poll that found the render running: one that never ends takes ~12 polls to reach a short scene's
deadline (330 s), ~16 to a 20-minute one's; polls while queued do not count (the backoff spaces those)."""
MODEL_FRACTION = 0.25
"""Of the speed model's estimate, while the render has shown no progress: the model errs long several times
over on short scenes, and an early look that finds the render running is what replaces it."""
BACKOFF = 0.5
"""Of the time since submission, while the render has shown no progress: a render that waits behind a slower
one, or starts slowly, is polled at geometrically growing intervals rather than every quarter estimate."""
AIM = 0.9
"""Of the estimate from observed progress: an early poll costs one more loop, a late one wastes task time."""
OBSERVED_HORIZON = 2.0
"""Never look further ahead than twice what has been watched: early on, `elapsed` is mostly the render's
fixed start (inputs, image, encoder set-up), so extrapolating from it overestimates what is left."""
MIN_PROGRESS_FOR_ETA = 0.02
"""Below this, the render's speed is too little observed (start-up dominates) to extrapolate from."""


def observed_remaining_s(progress: float, running_for_s: float) -> float | None:
    """Seconds left at the render's own observed speed, or None until it has made enough progress to say.

    0 once every frame is done (the render is muxing): the floor then sets the wait."""
    if running_for_s < 0 or progress < MIN_PROGRESS_FOR_ETA:
        return None
    return running_for_s * (1.0 - min(progress, 1.0)) / progress


def next_wait_s(
    *,
    status: str,
    progress: float,
    running_for_s: float | None,
    expected_s: float,
    since_submit_s: float,
    running_polls: int,
    until_deadline_s: float,
) -> int:
    """Whole seconds for the Wait state (SecondsPath needs an integer) before poll number `polls + 1`.

    `expected_s` is the speed model's time for the whole render; `running_for_s` is how long the renderer has
    been running it (None while queued); `running_polls` how many polls so far found it running.
    """
    if (
        status == "running"
        and running_for_s is not None
        and (observed := observed_remaining_s(progress, running_for_s)) is not None
    ):
        wait = min(observed * AIM, running_for_s * OBSERVED_HORIZON)
    else:
        # A queued render still has all of its own work ahead; a running one what the model leaves of it.
        modelled = expected_s if status == "queued" else max(expected_s - since_submit_s, 0.0)
        wait = max(modelled * MODEL_FRACTION, since_submit_s * BACKOFF)
    wait = max(wait, MIN_WAIT_S * FLOOR_GROWTH**running_polls)
    wait = min(wait, MAX_POLL_WAIT_S, max(until_deadline_s, 0.0) + 1.0)
    return max(MIN_WAIT_S, math.ceil(wait))


def first_wait_s(expected_s: float, deadline_s: float) -> int:
    """The wait after submission: nothing is known yet but the speed model's estimate."""
    return next_wait_s(
        status="queued",
        progress=0.0,
        running_for_s=None,
        expected_s=expected_s,
        since_submit_s=0.0,
        running_polls=0,
        until_deadline_s=deadline_s,
    )
