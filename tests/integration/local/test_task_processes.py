"""Task processes never outlive the local cloud, and two local clouds never hand out the same address."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from cloudburst.local.task_addresses import AddressPool
from cloudburst.local.task_process import TaskLauncher, docker_exit_code

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
STUBBORN = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"]


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_exit_codes_follow_the_docker_convention() -> None:
    assert docker_exit_code(0) == 0
    assert docker_exit_code(3) == 3
    assert docker_exit_code(-signal.SIGTERM) == 143
    assert docker_exit_code(-signal.SIGKILL) == 137


def test_stop_all_terminates_then_kills_what_ignores_sigterm(tmp_path: Path) -> None:
    launcher = TaskLauncher()
    polite = launcher.start(SLEEPER, dict(os.environ), tmp_path / "polite.log")
    stubborn = launcher.start(STUBBORN, dict(os.environ), tmp_path / "stubborn.log")
    time.sleep(0.5)  # let the stubborn one install its handler
    started = time.monotonic()
    launcher.close(grace_seconds=1.0)
    assert polite.exit_code() == 143
    assert stubborn.exit_code() == 137
    assert time.monotonic() - started < 5
    assert launcher.alive() == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_tasks_die_with_their_parent_even_when_it_is_killed(tmp_path: Path) -> None:
    parent = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        from cloudburst.local.task_process import TaskLauncher
        process = TaskLauncher().start({SLEEPER!r}, dict(os.environ), Path({str(tmp_path / "child.log")!r}))
        print(process.pid, flush=True)
        time.sleep(60)
        """
    )
    runner = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True)
    assert runner.stdout is not None
    child = int(runner.stdout.readline())
    runner.kill()  # no atexit, no finally: only the kernel can clean up now
    runner.wait()
    assert _gone(child, within=5)


def test_two_pools_never_hand_out_the_same_address(tmp_path: Path) -> None:
    first, second = AddressPool(own_ips=True, claims_dir=tmp_path), AddressPool(own_ips=True, claims_dir=tmp_path)
    taken = [first.acquire(8080) for _ in range(3)]
    others = [second.acquire(8080) for _ in range(3)]
    assert len({address.host for address in taken + others}) == 6
    assert all(address.port == 8080 and address.own_ip for address in taken + others)
    first.release(taken[0])
    reused = {second.acquire(8080).host for _ in range(250)}
    assert taken[0].host in reused


def test_without_own_addresses_each_task_gets_a_free_port() -> None:
    pool = AddressPool(own_ips=False)
    one, two = pool.acquire(8080), pool.acquire(8080)
    assert one.host == two.host == "127.0.0.1"
    assert one.port != two.port
    assert not one.own_ip
