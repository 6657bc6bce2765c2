"""How many CPUs this container may really use: the cgroup CPU quota and the affinity mask, not the host's count.

On Fargate (and under `docker run --cpus`) `os.cpu_count()` reports the host's processors while the cgroup
quota allows only the task's vCPUs; running x264 with one thread per host core then just adds contention.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def container_cpus() -> int:
    """CPUs available to this process, at least 1."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cpus_from(affinity, _quota_cpus())


def cpus_from(affinity: int, quota_cpus: float | None) -> int:
    """The smaller of the affinity mask and the quota rounded up (a 1.5-CPU quota can keep 2 threads busy)."""
    count = affinity if quota_cpus is None else min(affinity, math.ceil(quota_cpus))
    return max(1, count)


def parse_cpu_max(text: str) -> float | None:
    """cgroup v2 `cpu.max`: '<quota> <period>' in microseconds, or 'max <period>' for no limit."""
    parts = text.split()
    if len(parts) != 2 or parts[0] == "max":
        return None
    quota, period = int(parts[0]), int(parts[1])
    return quota / period if quota > 0 and period > 0 else None


def parse_cfs(quota_text: str, period_text: str) -> float | None:
    """cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`; a quota of -1 means no limit."""
    quota, period = int(quota_text.strip()), int(period_text.strip())
    return quota / period if quota > 0 and period > 0 else None


def _quota_cpus() -> float | None:
    for directory in _own_cgroup_dirs():
        cpu_max = _read(directory / "cpu.max")
        if cpu_max is not None:
            return parse_cpu_max(cpu_max)
    for name in ("cpu", "cpu,cpuacct"):
        quota = _read(CGROUP_ROOT / name / "cpu.cfs_quota_us")
        period = _read(CGROUP_ROOT / name / "cpu.cfs_period_us")
        if quota is not None and period is not None:
            return parse_cfs(quota, period)
    return None


def _own_cgroup_dirs() -> list[Path]:
    """This process's cgroup v2 directory (from /proc/self/cgroup), then the namespace root."""
    dirs = []
    text = _read(Path("/proc/self/cgroup")) or ""
    for line in text.splitlines():
        if line.startswith("0::"):
            dirs.append(CGROUP_ROOT / line[3:].strip().lstrip("/"))
    dirs.append(CGROUP_ROOT)
    return dirs


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, ValueError):
        return None
