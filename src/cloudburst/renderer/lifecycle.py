"""When and how the renderer process ends, as ECS needs it.

ECS `runTask.sync` fails the state machine's Container branch on any non-zero exit, and CloudBurst ends tasks
by `POST /v1/shutdown` or `StopTask` (SIGTERM, then SIGKILL after the stop timeout). So every planned way out
(SIGTERM, shutdown request, idle timeout, maximum lifetime) takes the same path: refuse new renders, drain or
cancel the rest, remove the work files, stop the HTTP server, exit 0, with one log line saying why.

`IDLE_TIMEOUT` and `MAX_LIFETIME` exist for the orphan: a task whose driver died (a cancelled execution, a
crashed Lambda) would otherwise run, and bill, until someone notices. Health checks do not count as activity,
or the container's own HEALTHCHECK would keep an orphan alive forever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from cloudburst.renderer.logs import log_event
from cloudburst.renderer.models import ShutdownMode
from cloudburst.renderer.service import RenderService


class Lifecycle:
    """Owns the decision to exit. `request_exit` may be called from any thread (routes, signal handlers, the
    watchdog); the first call starts the shutdown, a later `cancel` escalates a drain."""

    def __init__(
        self,
        service: RenderService,
        *,
        idle_timeout_s: float = 0.0,
        max_lifetime_s: float = 0.0,
        grace_s: float = 20.0,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self._service = service
        self._idle_timeout_s = idle_timeout_s
        self._max_lifetime_s = max_lifetime_s
        self._grace_s = grace_s
        self._mono = mono
        self._started = mono()
        self._lock = threading.Lock()
        self._mode: ShutdownMode | None = None
        self._reason: str | None = None
        self._stop_server: Callable[[], None] = lambda: None
        self._finished = threading.Event()
        self._watchdog = threading.Thread(target=self._watch, name="watchdog", daemon=True)

    @property
    def uptime_s(self) -> float:
        return self._mono() - self._started

    @property
    def exiting(self) -> bool:
        return self._mode is not None

    @property
    def reason(self) -> str | None:
        return self._reason

    def start(self, stop_server: Callable[[], None]) -> None:
        """`stop_server` tells the HTTP server to stop; it is called once the work is cleaned up."""
        self._stop_server = stop_server
        self._watchdog.start()

    def request_exit(self, mode: ShutdownMode, reason: str) -> bool:
        """Begin shutting down (True), or escalate a drain already under way to a cancel (False)."""
        with self._lock:
            first = self._mode is None
            if first:
                self._mode, self._reason = mode, reason
            elif mode is ShutdownMode.CANCEL and self._mode is ShutdownMode.DRAIN:
                self._mode = mode
            else:
                return False
        queued, running = self._service.counts()
        log_event("shutdown requested", reason=reason, mode=mode.value, queued=queued, running=running)
        self._service.close(mode, reason)
        if first:
            threading.Thread(target=self._shut_down, name="shutdown", daemon=True).start()
        return first

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the shutdown has cleaned up (True) or `timeout_s` passed."""
        return self._finished.wait(timeout_s)

    def check_timers(self) -> None:
        """Exit if the process has been idle or alive too long (called by the watchdog; public for tests)."""
        if self.exiting:
            return
        if self._max_lifetime_s and self.uptime_s >= self._max_lifetime_s:
            self.request_exit(
                ShutdownMode.CANCEL, f"reached its maximum lifetime of {self._max_lifetime_s:g} s (MAX_LIFETIME)"
            )
        elif self._idle_timeout_s and self._service.idle_for() >= self._idle_timeout_s:
            self.request_exit(
                ShutdownMode.CANCEL, f"no requests or renders for {self._idle_timeout_s:g} s (IDLE_TIMEOUT)"
            )

    def _watch(self) -> None:
        limits = [value for value in (self._idle_timeout_s, self._max_lifetime_s) if value]
        if not limits:
            return
        tick = min(max(min(limits) / 20, 0.05), 1.0)
        while not self.exiting:
            self.check_timers()
            time.sleep(tick)

    def _shut_down(self) -> None:
        started = self._mono()
        try:
            # A drain waits as long as its renders take (a later SIGTERM turns it into a cancel, which wakes
            # this wait); a cancel waits only so long for ffmpeg and downloads to notice.
            while not self._service.wait_idle(timeout_s=1.0):
                if self._mode is ShutdownMode.CANCEL and self._mono() - started >= self._grace_s:
                    log_event("renders did not stop within the grace period; exiting anyway", grace_s=self._grace_s)
                    break
            self._service.dispose(timeout_s=max(self._grace_s - (self._mono() - started), 1.0))
        finally:
            log_event(
                "exiting",
                reason=self._reason,
                mode=self._mode.value if self._mode else None,
                exit_code=0,
                shutdown_s=round(self._mono() - started, 3),
                uptime_s=round(self.uptime_s, 3),
            )
            self._finished.set()
            self._stop_server()
