"""A local ECS task's process: started in its own process group, logged to a file, stopped like ECS stops a
container, and never outliving the local cloud.

Three guards make sure no task survives its parent, however the parent ends:
* the local cloud stops every task when it closes (SIGTERM, then SIGKILL after the stop timeout);
* an `atexit` hook kills the process groups of tasks still alive when the interpreter exits;
* on Linux, each task is started with `PR_SET_PDEATHSIG = SIGKILL`, so the kernel kills it if the parent
  process dies without running any Python (SIGKILL, a crash). The kernel sends that signal when the *thread*
  that started the child ends, so all tasks are started from one long-lived spawner thread.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

_LOG = logging.getLogger(__name__)
_PR_SET_PDEATHSIG: Final = 1


def docker_exit_code(returncode: int) -> int:
    """Python reports death by signal N as -N; Docker and ECS report 128 + N (SIGTERM 143, SIGKILL 137)."""
    return 128 - returncode if returncode < 0 else returncode


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec function that asks the kernel to SIGKILL the child when its parent thread ends (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork: the child only makes the call

    def set_parent_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)

    return set_parent_death_signal


@dataclass
class TaskProcess:
    """One running (or finished) task program."""

    popen: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = field(default_factory=time.time)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exit_code(self) -> int | None:
        """The container's exit code once it has exited (Docker convention), else None."""
        returncode = self.popen.poll()
        return None if returncode is None else docker_exit_code(returncode)

    def signal_group(self, signum: int) -> None:
        """Signal the task's whole process group (its children too, like a container's processes)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)

    def wait(self, timeout: float) -> bool:
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True


class TaskLauncher:
    """Starts task processes from one spawner thread and remembers them until they are reaped."""

    def __init__(self) -> None:
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-task-spawner")
        self._preexec = _parent_death_signal()
        self._processes: list[TaskProcess] = []
        self._lock = threading.Lock()
        _live_launchers.add(self)

    def start(self, argv: list[str], env: Mapping[str, str], log_path: Path, cwd: Path | None = None) -> TaskProcess:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        process = self._spawner.submit(self._popen, argv, dict(env), log_path, cwd).result()
        with self._lock:
            self._processes.append(process)
        return process

    def _popen(self, argv: list[str], env: dict[str, str], log_path: Path, cwd: Path | None) -> TaskProcess:
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=self._preexec,  # noqa: PLW1509 - see _parent_death_signal: one call, no locks
            )
        return TaskProcess(popen=popen, log_path=log_path)

    def alive(self) -> list[TaskProcess]:
        with self._lock:
            return [process for process in self._processes if process.popen.poll() is None]

    def stop_all(self, grace_seconds: float) -> None:
        """SIGTERM every live task, wait up to `grace_seconds` for all of them, then SIGKILL the rest."""
        alive = self.alive()
        for process in alive:
            process.signal_group(signal.SIGTERM)
        deadline = time.monotonic() + grace_seconds
        for process in alive:
            if not process.wait(max(0.0, deadline - time.monotonic())):
                _LOG.warning("task process %s ignored SIGTERM for %.0f s: killing it", process.pid, grace_seconds)
                process.signal_group(signal.SIGKILL)
                process.wait(5)
        for process in alive:  # children that outlived their group leader
            process.signal_group(signal.SIGKILL)

    def close(self, grace_seconds: float) -> None:
        self.stop_all(grace_seconds)
        self._spawner.shutdown(wait=True)
        _live_launchers.discard(self)

    def kill_all_now(self) -> None:
        for process in self.alive():
            process.signal_group(signal.SIGKILL)


_live_launchers: weakref.WeakSet[TaskLauncher] = weakref.WeakSet()


@atexit.register
def _kill_leftover_tasks() -> None:
    for launcher in list(_live_launchers):
        launcher.kill_all_now()
