"""The camera path of a scene: for every frame, how far it is zoomed and where its centre is. Pure maths.

Positions are in *canvas* units: the composed still picture at zoom 1 is exactly the output frame (W x H),
and a view at zoom z shows a W/z x H/z window of it centred at (cx, cy). Views always stay inside the
canvas, so no background ever shows at the edges.

- zoom_in / zoom_out: 1 → 1 + strength (or back), centred.
- pan_left / pan_right: held at zoom 1 + strength, the window travels the full width the zoom makes room
  for (the camera turns left: the window moves from the right edge to the left edge), strength 0.15 on a
  1920-wide frame moves 250 px.
- ken_burns: zoom in while the centre drifts toward a direction drawn from the seed, as far as the zoom
  allows (so the first frame is the whole picture and the drift grows with the zoom).
- random: one of the above, drawn from the seed.

The zoom is interpolated geometrically (equal ratios per step look like constant speed) and pan positions
linearly, both along the eased progress, so motion is monotonic and smooth; sub-pixel precision is kept all
the way to the resampler (`frames`).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from cloudburst.models.render_options import Easing, Effect

RANDOM_CHOICES = (Effect.ZOOM_IN, Effect.ZOOM_OUT, Effect.PAN_LEFT, Effect.PAN_RIGHT, Effect.KEN_BURNS)


@dataclass(frozen=True)
class View:
    zoom: float  # >= 1
    cx: float  # centre, canvas units
    cy: float


def ease(easing: Easing, t: float) -> float:
    """Progress along the motion for time fraction t in [0, 1]; monotonic, 0 → 0 and 1 → 1."""
    match easing:
        case Easing.LINEAR:
            return t
        case Easing.EASE_IN:
            return t * t
        case Easing.EASE_OUT:
            return 1.0 - (1.0 - t) * (1.0 - t)
        case Easing.EASE_IN_OUT:
            return t * t * (3.0 - 2.0 * t)


def resolve_effect(effect: Effect, seed: int) -> Effect:
    """`random` becomes a concrete effect, the same one for the same seed on every machine."""
    if effect is not Effect.RANDOM:
        return effect
    return random.Random(seed).choice(RANDOM_CHOICES)  # noqa: S311 - reproducible choice, not a secret


def drift_direction(seed: int) -> tuple[float, float]:
    """Ken Burns drift: a unit-box direction (each component in [-1, 1], one of them at the edge)."""
    angle = random.Random(seed ^ 0x5EED).uniform(0.0, 2.0 * math.pi)  # noqa: S311 - reproducible, not a secret
    dx, dy = math.cos(angle), math.sin(angle)
    largest = max(abs(dx), abs(dy))
    return dx / largest, dy / largest


def is_static(effect: Effect, strength: float) -> bool:
    return effect is Effect.NONE or strength <= 0.0


def plan_views(
    effect: Effect, *, strength: float, easing: Easing, seed: int, width: int, height: int, frames: int
) -> list[View]:
    """One view per frame. `effect` must be concrete (see `resolve_effect`)."""
    centre_x, centre_y = width / 2.0, height / 2.0
    top = 1.0 + strength
    views = []
    direction = drift_direction(seed)
    for index in range(frames):
        progress = ease(easing, index / (frames - 1) if frames > 1 else 1.0)
        match effect:
            case Effect.NONE:
                views.append(View(1.0, centre_x, centre_y))
            case Effect.ZOOM_IN:
                views.append(View(top**progress, centre_x, centre_y))
            case Effect.ZOOM_OUT:
                views.append(View(top ** (1.0 - progress), centre_x, centre_y))
            case Effect.PAN_LEFT | Effect.PAN_RIGHT:
                half_span = (width - width / top) / 2.0
                start, end = (half_span, -half_span) if effect is Effect.PAN_LEFT else (-half_span, half_span)
                views.append(View(top, centre_x + start + (end - start) * progress, centre_y))
            case Effect.KEN_BURNS:
                zoom = top**progress
                room_x, room_y = (width - width / zoom) / 2.0, (height - height / zoom) / 2.0
                views.append(View(zoom, centre_x + direction[0] * room_x, centre_y + direction[1] * room_y))
            case Effect.RANDOM:
                raise ValueError("resolve the random effect first")
    return views
