"""The five compute profiles and the speed model the scheduler and planner assume."""

from __future__ import annotations

import pytest

from cloudburst.core.profiles import PROFILES, profile_for_legacy_priority, profile_for_size, profile_spec
from cloudburst.core.speed_model import bundled_speed_model, calibrate, load_speed_model, task_time_model
from cloudburst.models.job import Profile


def test_profiles_match_the_older_librarys_configurations() -> None:
    sizes = {p.value: (s.vcpu, s.memory_gb, s.cpu_units, s.memory_mib) for p, s in PROFILES.items()}
    assert sizes == {
        "economy": (1, 2, 1024, 2048),
        "standard": (2, 4, 2048, 4096),
        "high": (4, 8, 4096, 8192),
        "ultra": (8, 16, 8192, 16384),
        "maximum": (16, 32, 16384, 32768),
    }
    assert [profile_for_legacy_priority(n).value for n in (1, 2, 3, 4, 5)] == [
        "standard",
        "high",
        "ultra",
        "maximum",
        "economy",
    ]
    assert profile_for_size(4096, 8192) is Profile.HIGH
    assert profile_for_size(4096, 16384) is None
    assert profile_spec("ultra").label == "8 vCPU / 16 GB"


def test_an_unknown_priority_or_profile_is_refused_not_replaced_by_the_largest() -> None:
    with pytest.raises(ValueError, match="config_priority: 6"):
        profile_for_legacy_priority(6)
    with pytest.raises(ValueError, match=r"compute\.profile: 'huge'"):
        profile_spec("huge")


def test_the_bundled_speed_model_is_calibrated_by_the_renderer_benchmark_and_says_so() -> None:
    model = bundled_speed_model()
    assert model.calibrated
    assert model.measured_at is not None
    assert "make bench-render" in model.source
    # More vCPU renders faster, but less than linearly.
    assert model.realtime_factor(2) > model.realtime_factor(1)
    assert model.realtime_factor(16) < 16 * model.realtime_factor(1)


def test_task_time_model_follows_the_profile() -> None:
    economy, maximum = task_time_model("economy"), task_time_model("maximum")
    assert maximum.render_seconds_per_audio_second < economy.render_seconds_per_audio_second
    assert economy.startup_seconds == economy.provisioning_seconds + economy.pull_seconds + economy.boot_seconds
    assert economy.scene_seconds(10) == economy.per_scene_seconds + 10 * economy.render_seconds_per_audio_second


def test_calibration_reproduces_the_measurement_and_round_trips_as_json() -> None:
    calibrated = calibrate(
        bundled_speed_model(), measured_realtime_factor=1.6, vcpu=2, source="bench", measured_at="2026-11-30"
    )
    assert calibrated.calibrated
    assert calibrated.realtime_factor(2) == pytest.approx(1.6)
    assert load_speed_model(calibrated.model_dump_json()) == calibrated
    with pytest.raises(ValueError, match="measured_realtime_factor"):
        calibrate(bundled_speed_model(), measured_realtime_factor=0, vcpu=2, source="x", measured_at="y")
