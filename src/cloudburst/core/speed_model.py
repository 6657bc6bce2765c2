"""How long things take on Fargate: task startup and rendering speed, as the scheduler and planner assume.

The figures live in `data/speed_model.json` with where they came from, because they are measurements (or,
until the renderer benchmark has run on the target, conservative guesses) rather than code. `make
bench-render` can rewrite them with `calibrate`. Rendering speed is a realtime factor (audio seconds
rendered per wall second) that grows with vCPU as `per_vcpu * vcpu ** exponent`: x264 threads scale well
but not perfectly, so the exponent is below 1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloudburst.core.profiles import profile_spec
from cloudburst.models.job import Profile

SPEED_MODEL_FILE = "speed_model.json"


class SpeedModel(BaseModel):
    """The calibrated figures (see the module docstring); every duration is in seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = 1
    calibrated: bool = Field(description="False while the figures are conservative guesses, not measurements.")
    source: str = Field(min_length=1, description="Where the figures come from.")
    measured_at: str | None = Field(default=None, description="ISO date of the measurement, if any.")
    realtime_factor_per_vcpu: float = Field(gt=0, description="Audio seconds rendered per wall second per vCPU.")
    vcpu_scaling_exponent: float = Field(gt=0, le=1, description="1 = linear speed-up with vCPU.")
    per_scene_overhead_seconds: float = Field(ge=0, description="Download, mux, copy and polling per scene.")
    provisioning_seconds: float = Field(ge=0, description="RunTask to image pull start (not billed).")
    pull_seconds: float = Field(ge=0, description="Image pull (billed).")
    boot_seconds: float = Field(ge=0, description="Pull done to renderer ready (billed).")
    stop_seconds: float = Field(ge=0, description="Last scene done to task stopped (billed).")
    startup_spread_seconds: float = Field(ge=0, description="Typical variation of startup between tasks.")

    def realtime_factor(self, vcpu: float) -> float:
        """Audio seconds one task renders per wall second with `vcpu` vCPUs."""
        return float(self.realtime_factor_per_vcpu * vcpu**self.vcpu_scaling_exponent)


@dataclass(frozen=True, slots=True)
class TaskTimeModel:
    """What one task costs in time: a fixed startup and stop, then work per scene proportional to its audio.

    A task's wall time from RunTask is `startup_seconds + sum(scene work) + stop_seconds`; its billed time is
    the same without `provisioning_seconds` (billing starts at the image pull), subject to Fargate's minimum.
    """

    provisioning_seconds: float
    pull_seconds: float
    boot_seconds: float
    stop_seconds: float
    per_scene_seconds: float
    render_seconds_per_audio_second: float

    def __post_init__(self) -> None:
        for name in ("provisioning_seconds", "pull_seconds", "boot_seconds", "stop_seconds", "per_scene_seconds"):
            value = getattr(self, name)
            if not value >= 0:
                raise ValueError(f"{name}: {value!r} must be >= 0")
        if not self.render_seconds_per_audio_second > 0:
            raise ValueError(f"render_seconds_per_audio_second: {self.render_seconds_per_audio_second!r} must be > 0")

    @property
    def startup_seconds(self) -> float:
        """RunTask to the renderer being ready: when the first scene can start."""
        return self.provisioning_seconds + self.pull_seconds + self.boot_seconds

    @property
    def billed_overhead_seconds(self) -> float:
        """Billed seconds a task spends not rendering: pull, boot and stop."""
        return self.pull_seconds + self.boot_seconds + self.stop_seconds

    def scene_seconds(self, audio_seconds: float) -> float:
        """Busy seconds a scene of `audio_seconds` takes a task."""
        return self.per_scene_seconds + audio_seconds * self.render_seconds_per_audio_second


def load_speed_model(document: str | bytes | Mapping[str, Any]) -> SpeedModel:
    """A speed model from JSON text or an already parsed mapping (validated)."""
    data = json.loads(document) if isinstance(document, str | bytes) else dict(document)
    return SpeedModel.model_validate(data)


@cache
def bundled_speed_model() -> SpeedModel:
    """The speed model shipped with the package (`cloudburst/core/data/speed_model.json`)."""
    text = resources.files("cloudburst.core.data").joinpath(SPEED_MODEL_FILE).read_text(encoding="utf-8")
    return load_speed_model(text)


def task_time_model(profile: Profile | str = Profile.STANDARD, model: SpeedModel | None = None) -> TaskTimeModel:
    """The time model of one task of `profile`, from `model` (default: the bundled one)."""
    speed = model or bundled_speed_model()
    vcpu = profile_spec(profile).vcpu
    return TaskTimeModel(
        provisioning_seconds=speed.provisioning_seconds,
        pull_seconds=speed.pull_seconds,
        boot_seconds=speed.boot_seconds,
        stop_seconds=speed.stop_seconds,
        per_scene_seconds=speed.per_scene_overhead_seconds,
        render_seconds_per_audio_second=1.0 / speed.realtime_factor(vcpu),
    )


def calibrate(
    model: SpeedModel,
    *,
    measured_realtime_factor: float,
    vcpu: float,
    source: str,
    measured_at: str,
    per_scene_overhead_seconds: float | None = None,
) -> SpeedModel:
    """A copy of `model` whose rendering speed reproduces a measured realtime factor at `vcpu` vCPUs.

    The benchmark measures one machine size; the exponent carries the figure to the other profiles.
    """
    if not measured_realtime_factor > 0:
        raise ValueError(f"measured_realtime_factor: {measured_realtime_factor!r} must be > 0")
    if not vcpu > 0:
        raise ValueError(f"vcpu: {vcpu!r} must be > 0")
    changes: dict[str, Any] = {
        "calibrated": True,
        "source": source,
        "measured_at": measured_at,
        "realtime_factor_per_vcpu": measured_realtime_factor / vcpu**model.vcpu_scaling_exponent,
    }
    if per_scene_overhead_seconds is not None:
        changes["per_scene_overhead_seconds"] = per_scene_overhead_seconds
    return SpeedModel.model_validate(model.model_dump() | changes)
