"""Camera paths: monotonic, inside the picture, reaching their ends, reproducible from a seed."""

from __future__ import annotations

import itertools

import pytest

from cloudburst.models.render_options import Easing, Effect
from cloudburst.renderer.media.motion import View, ease, is_static, plan_views, resolve_effect

W, H = 1920, 1080


def _views(effect: Effect, strength: float = 0.15, easing: Easing = Easing.EASE_IN_OUT, frames: int = 90) -> list[View]:
    return plan_views(effect, strength=strength, easing=easing, seed=42, width=W, height=H, frames=frames)


def _inside(view: View) -> bool:
    half_w, half_h = W / (2 * view.zoom), H / (2 * view.zoom)
    tolerance = 1e-6
    return (
        view.cx - half_w >= -tolerance
        and view.cx + half_w <= W + tolerance
        and view.cy - half_h >= -tolerance
        and view.cy + half_h <= H + tolerance
    )


@pytest.mark.parametrize("easing", list(Easing))
def test_easing_is_monotonic_from_zero_to_one(easing: Easing) -> None:
    values = [ease(easing, step / 100) for step in range(101)]
    assert values[0] == 0.0
    assert values[-1] == pytest.approx(1.0)
    assert all(later >= earlier for earlier, later in itertools.pairwise(values))


def test_zoom_in_and_out_go_between_one_and_one_plus_strength_monotonically() -> None:
    zoom_in = [view.zoom for view in _views(Effect.ZOOM_IN)]
    zoom_out = [view.zoom for view in _views(Effect.ZOOM_OUT)]
    assert zoom_in[0] == pytest.approx(1.0)
    assert zoom_in[-1] == pytest.approx(1.15)
    assert zoom_out[0] == pytest.approx(1.15)
    assert zoom_out[-1] == pytest.approx(1.0)
    assert all(b > a for a, b in itertools.pairwise(zoom_in))
    assert all(b < a for a, b in itertools.pairwise(zoom_out))


@pytest.mark.parametrize(("effect", "sign"), [(Effect.PAN_LEFT, -1), (Effect.PAN_RIGHT, 1)])
def test_pans_really_move_across_the_room_the_zoom_makes(effect: Effect, sign: int) -> None:
    views = _views(effect)
    centres = [view.cx for view in views]
    travel = (centres[-1] - centres[0]) * sign
    assert travel == pytest.approx(W - W / 1.15)  # 250 px on a 1920-wide frame
    assert all((b - a) * sign > 0 for a, b in itertools.pairwise(centres))
    assert all(view.zoom == pytest.approx(1.15) and view.cy == H / 2 for view in views)
    assert all(_inside(view) for view in views)


def test_ken_burns_zooms_and_drifts_while_staying_inside() -> None:
    views = _views(Effect.KEN_BURNS, strength=0.3)
    assert views[0] == View(1.0, W / 2, H / 2)
    assert views[-1].zoom == pytest.approx(1.3)
    assert (views[-1].cx, views[-1].cy) != (W / 2, H / 2)
    assert all(_inside(view) for view in views)


def test_linear_easing_moves_at_a_constant_zoom_ratio() -> None:
    zooms = [view.zoom for view in _views(Effect.ZOOM_IN, easing=Easing.LINEAR, frames=11)]
    ratios = [b / a for a, b in itertools.pairwise(zooms)]
    assert max(ratios) == pytest.approx(min(ratios))


def test_random_is_reproducible_from_the_seed_and_varied_across_seeds() -> None:
    assert resolve_effect(Effect.RANDOM, 7) == resolve_effect(Effect.RANDOM, 7)
    assert len({resolve_effect(Effect.RANDOM, seed) for seed in range(50)}) == 5
    assert Effect.RANDOM not in {resolve_effect(Effect.RANDOM, seed) for seed in range(50)}
    assert resolve_effect(Effect.PAN_LEFT, 7) is Effect.PAN_LEFT


def test_no_effect_or_no_strength_is_static() -> None:
    assert is_static(Effect.NONE, 0.5)
    assert is_static(Effect.ZOOM_IN, 0.0)
    assert not is_static(Effect.PAN_LEFT, 0.1)
    assert _views(Effect.NONE, frames=3) == [View(1.0, W / 2, H / 2)] * 3


def test_a_single_frame_shows_the_end_of_the_motion() -> None:
    assert _views(Effect.ZOOM_IN, frames=1)[0].zoom == pytest.approx(1.15)
