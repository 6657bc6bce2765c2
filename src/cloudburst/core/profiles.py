"""The five compute profiles: what each one asks Fargate for, and how the older library numbered them.

The older library chose a configuration by a number (`config_priority` 1-5) and silently fell back to the
largest one (16 vCPU) for any number it did not know. We name the profiles, keep the old numbers only for
the compatibility layer, and refuse an unknown number instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from cloudburst.models.job import Profile


@dataclass(frozen=True, slots=True)
class ProfileSpec:
    """One Fargate task size. `cpu_units`/`memory_mib` are the values ECS RunTask overrides take."""

    profile: Profile
    vcpu: float
    memory_gb: float
    legacy_priority: int

    @property
    def cpu_units(self) -> int:
        """ECS counts CPU in units of 1/1024 vCPU."""
        return round(self.vcpu * 1024)

    @property
    def memory_mib(self) -> int:
        """Fargate memory sizes are whole GB, which ECS takes in MiB (1 GB = 1024 MiB for Fargate)."""
        return round(self.memory_gb * 1024)

    @property
    def label(self) -> str:
        """How tables and the report show the size, e.g. `2 vCPU / 4 GB`."""
        return f"{self.vcpu:g} vCPU / {self.memory_gb:g} GB"


PROFILES: MappingProxyType[Profile, ProfileSpec] = MappingProxyType(
    {
        Profile.ECONOMY: ProfileSpec(Profile.ECONOMY, vcpu=1, memory_gb=2, legacy_priority=5),
        Profile.STANDARD: ProfileSpec(Profile.STANDARD, vcpu=2, memory_gb=4, legacy_priority=1),
        Profile.HIGH: ProfileSpec(Profile.HIGH, vcpu=4, memory_gb=8, legacy_priority=2),
        Profile.ULTRA: ProfileSpec(Profile.ULTRA, vcpu=8, memory_gb=16, legacy_priority=3),
        Profile.MAXIMUM: ProfileSpec(Profile.MAXIMUM, vcpu=16, memory_gb=32, legacy_priority=4),
    }
)
"""Every size is a valid Fargate CPU/memory pair (memory = 2 GB per vCPU, the smallest allowed ratio)."""


def profile_spec(profile: Profile | str) -> ProfileSpec:
    """The size of a profile given by enum or by name; an unknown name is refused with the valid ones."""
    try:
        return PROFILES[Profile(profile)]
    except ValueError:
        valid = ", ".join(p.value for p in Profile)
        raise ValueError(f"compute.profile: {profile!r} is not a profile; use one of {valid}") from None


def profile_for_legacy_priority(priority: int) -> Profile:
    """The profile the older library's `config_priority` meant (1 standard ... 4 maximum, 5 economy)."""
    for spec in PROFILES.values():
        if spec.legacy_priority == priority:
            return spec.profile
    raise ValueError(f"config_priority: {priority!r} is not 1-5 (1 standard, 2 high, 3 ultra, 4 maximum, 5 economy)")


def profile_for_size(cpu_units: int, memory_mib: int) -> Profile | None:
    """The profile with exactly this ECS size, or None for a size none of them has (a hand-made task)."""
    for spec in PROFILES.values():
        if spec.cpu_units == cpu_units and spec.memory_mib == memory_mib:
            return spec.profile
    return None
