"""The render queue: accepts renders, downloads their inputs ahead of their turn, runs them N at a time,
and frees their disk when they are deleted, expire or the process shuts down.

Why it is shaped like this:
- Workers take renders in submission order, so the driver's view (scene 1, then 2...) holds, with one
  exception: once the first queued render's download has run `head_of_line_grace_s`, a later render whose
  inputs are downloaded goes first. A slow or stalled input server (up to `FETCH_TOTAL_TIMEOUT`) then holds up
  only its own render, not the ready ones queued behind it.
- While a render encodes, the inputs of the next `prefetch_depth` queued renders download in a small thread
  pool, so a task never idles between scenes; the depth bounds how much disk waiting renders hold.
- A download that fails while its render is still queued fails the render at once (the driver learns early).
- Each render owns one directory. Whoever writes into it (its download, then its render) holds the render's
  `disk` lock; deletion and expiry take the same lock before removing the directory, so nothing is removed
  under a running ffmpeg and nothing is left behind by a failure.
- Everything here is threads and locks, no asyncio: the HTTP layer calls in through a thread pool.
"""

from __future__ import annotations

import itertools
import shutil
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx

from cloudburst.models.render_options import RenderOptions
from cloudburst.renderer.errors import ApiError, ErrorCode, Failure, input_field
from cloudburst.renderer.fetch import FetchCancelled, FetchedInput, FetchError, FetchSettings, fetch_input
from cloudburst.renderer.logs import log_event
from cloudburst.renderer.media.api import (
    FfmpegFailed,
    InputRejected,
    Limits,
    OptionRejected,
    RenderCancelled,
    RenderError,
    RenderResult,
    SceneInputs,
)
from cloudburst.renderer.models import (
    ErrorDetail,
    OutputInfo,
    RenderRequest,
    RenderState,
    RenderStatus,
    ShutdownMode,
    Timings,
)

DELETE_WAIT_S = 5.0
DOWNLOAD_WAIT_SLICE_S = 0.25
"""Longest a free worker waits on running downloads before looking at the queue again (new or cancelled
renders); a download that finishes wakes it at once."""
INPUT_FAILURE_CODES = frozenset({ErrorCode.UNSUPPORTED_INPUT, ErrorCode.INPUT_UNREADABLE, ErrorCode.INPUT_TOO_LARGE})


class RenderFunction(Protocol):
    """`cloudburst.renderer.media.render.render_scene` (or `render_stub`): one scene to one MP4 in `workdir`."""

    def __call__(
        self,
        inputs: SceneInputs,
        options: RenderOptions,
        workdir: Path,
        *,
        on_progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
        limits: Limits = ...,
    ) -> RenderResult: ...


@dataclass(frozen=True)
class ServiceSettings:
    work_root: Path
    concurrency: int = 1
    prefetch_depth: int = 2
    max_queued: int = 100
    retention_s: float = 3600.0
    stop_wait_s: float = 20.0
    head_of_line_grace_s: float = 2.0
    """How long the first queued render's download may run before ready renders behind it go first: longer
    than healthy inputs take, so that order changes only when a download is really slow."""
    limits: Limits = field(default_factory=Limits)


@dataclass(eq=False)
class RenderJob:
    """One render's mutable record. Fields change only under the service's lock (or, for the download and
    render timings, in the one thread that owns that step)."""

    id: str
    request: RenderRequest
    workdir: Path
    created_at: float
    created_mono: float
    state: RenderState = RenderState.QUEUED
    progress: float = 0.0
    started_at: float | None = None
    started_mono: float | None = None
    finished_at: float | None = None
    finished_mono: float | None = None
    download_s: float | None = None
    render_s: float | None = None
    result: RenderResult | None = None
    failure: Failure | None = None
    download: Future[SceneInputs] | None = None
    download_started_mono: float = 0.0
    taken: bool = False
    deleted: bool = False
    cancel_reason: str = "the render was cancelled"
    cancel: threading.Event = field(default_factory=threading.Event)
    disk: threading.Lock = field(default_factory=threading.Lock)

    @property
    def scene(self) -> str | None:
        return self.request.scene

    @property
    def active(self) -> bool:
        return self.state in (RenderState.QUEUED, RenderState.RUNNING)

    def status(self) -> RenderStatus:
        left_queue = self.started_mono if self.started_mono is not None else self.finished_mono
        queued_s = None if left_queue is None else left_queue - self.created_mono
        total_s = None if self.finished_mono is None else self.finished_mono - self.created_mono
        result = self.result
        return RenderStatus(
            render_id=self.id,
            scene=self.scene,
            status=self.state,
            progress=round(self.progress, 4),
            created_at=self.created_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
            timings=Timings(
                queued_s=_round(queued_s),
                download_s=_round(self.download_s),
                render_s=_round(self.render_s),
                total_s=_round(total_s),
            ),
            output=None
            if result is None
            else OutputInfo(
                size_bytes=result.size_bytes,
                duration_s=result.duration_s,
                sha256=result.sha256,
                width=result.width,
                height=result.height,
                fps=result.fps,
            ),
            error=None if self.failure is None else ErrorDetail(**self.failure.as_json()),
        )


class RenderService:
    """The queue, its workers and its downloads. `start()` once; `close()`, `wait_idle()`, `dispose()` at exit."""

    def __init__(
        self,
        settings: ServiceSettings,
        render_fn: RenderFunction,
        fetch_settings: FetchSettings,
        http_client: httpx.Client,
        *,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._render_fn = render_fn
        self._fetch_settings = fetch_settings
        self._http = http_client
        self._wall = wall
        self._mono = mono
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._renders: dict[str, RenderJob] = {}
        self._by_key: dict[str, str] = {}
        self._queue: deque[RenderJob] = deque()
        self._running: set[RenderJob] = set()
        self._closing = False
        self._disposed = threading.Event()
        self._last_activity = mono()
        # One download slot per worker (its own render's inputs, when nothing was prefetched) plus the prefetch.
        self._downloads = ThreadPoolExecutor(
            max_workers=settings.concurrency + settings.prefetch_depth, thread_name_prefix="download"
        )
        self._workers = [
            threading.Thread(target=self._work, name=f"render-{n}", daemon=True) for n in range(settings.concurrency)
        ]
        self._janitor = threading.Thread(target=self._expire_loop, name="janitor", daemon=True)

    # ---- lifecycle ---------------------------------------------------------------------------------------

    def start(self) -> None:
        self._settings.work_root.mkdir(parents=True, exist_ok=True)
        for worker in self._workers:
            worker.start()
        self._janitor.start()

    def close(self, mode: ShutdownMode, reason: str) -> None:
        """Refuse new renders; with `cancel`, cancel every queued and running one. Safe to call again (a
        SIGTERM during a drain turns it into a cancel)."""
        with self._lock:
            self._closing = True
            if mode is ShutdownMode.CANCEL:
                while self._queue:
                    job = self._queue.popleft()
                    job.cancel_reason = f"cancelled: {reason}"
                    job.cancel.set()
                    if job.download is not None:
                        job.download.cancel()
                    self._finish_locked(job, None, Failure(ErrorCode.CANCELLED, job.cancel_reason))
                for job in self._running:
                    job.cancel_reason = f"cancelled: {reason}"
                    job.cancel.set()
            self._changed.notify_all()

    def wait_idle(self, timeout_s: float | None) -> bool:
        """Block until no render is queued or running (True), or `timeout_s` passes (False)."""
        deadline = None if timeout_s is None else self._mono() + timeout_s
        with self._lock:
            while self._queue or self._running:
                remaining = None if deadline is None else deadline - self._mono()
                if remaining is not None and remaining <= 0:
                    return False
                self._changed.wait(timeout=remaining if remaining is not None else 1.0)
        return True

    def dispose(self, timeout_s: float | None = None) -> None:
        """Stop the threads and remove every render's directory (the process is about to exit). Waits at most
        `timeout_s` (default `stop_wait_s`) in all for work that ignores its cancel flag."""
        self.close(ShutdownMode.CANCEL, "the renderer is exiting")
        deadline = self._mono() + (self._settings.stop_wait_s if timeout_s is None else timeout_s)
        with self._lock:
            jobs = list(self._renders.values())
            for job in jobs:
                self._forget_locked(job)
        self._disposed.set()
        self._downloads.shutdown(wait=False, cancel_futures=True)
        for worker in self._workers:
            worker.join(timeout=max(deadline - self._mono(), 0.0))
        for job in jobs:
            self._remove_dir(job, max(deadline - self._mono(), 0.0))

    # ---- requests -----------------------------------------------------------------------------------------

    def submit(self, request: RenderRequest) -> tuple[RenderStatus, bool]:
        """Queue a render; returns its status and whether it is new (False: the idempotency key matched)."""
        with self._lock:
            self._last_activity = self._mono()
            key = request.idempotency_key
            existing = self._renders.get(self._by_key.get(key, "")) if key else None
            if existing is not None:  # a retry of an accepted request sees its render, even while shutting down
                return existing.status(), False
            if self._closing:
                raise ApiError(ErrorCode.SHUTTING_DOWN, "the renderer is shutting down and accepts no new renders")
            if len(self._queue) >= self._settings.max_queued:
                raise ApiError(
                    ErrorCode.QUEUE_FULL,
                    f"{len(self._queue)} renders are already queued (MAX_QUEUED_RENDERS); retry later",
                )
            render_id = uuid.uuid4().hex
            job = RenderJob(
                id=render_id,
                request=request,
                workdir=self._settings.work_root / render_id,
                created_at=self._wall(),
                created_mono=self._mono(),
            )
            self._renders[render_id] = job
            if key:
                self._by_key[key] = render_id
            self._queue.append(job)
            self._prefetch_locked()
            self._changed.notify_all()
            status = job.status()
        log_event("render queued", render_id=render_id, scene=job.scene, queued=len(self._queue))
        return status, True

    def status(self, render_id: str) -> RenderStatus:
        with self._lock:
            return self._get_locked(render_id).status()

    def output(self, render_id: str) -> tuple[Path, str | None]:
        """The finished MP4 and the scene name; `not_ready` (409) until it succeeded, its failure after."""
        with self._lock:
            job = self._get_locked(render_id)
            if job.failure is not None:
                raise ApiError(job.failure.code, job.failure.message, job.failure.field)
            if job.result is None:
                raise ApiError(
                    ErrorCode.NOT_READY, f"render {render_id} is {job.state.value}: its output exists once it succeeded"
                )
            return job.result.path, job.scene

    def delete(self, render_id: str) -> None:
        """Forget a render: cancel it if queued or running, and remove its directory before returning (waiting
        up to `DELETE_WAIT_S` for its download or ffmpeg to stop; past that, the owner removes it when it does,
        so a download stalled on a silent server cannot hold the request for its whole read timeout)."""
        with self._lock:
            job = self._get_locked(render_id)
            self._forget_locked(job)
            if job.active:
                job.cancel_reason = "cancelled by DELETE"
                job.cancel.set()
                if not job.taken:
                    self._queue.remove(job)
                    if job.download is not None:
                        job.download.cancel()
                    self._finish_locked(job, None, Failure(ErrorCode.CANCELLED, job.cancel_reason))
                self._prefetch_locked()
            self._changed.notify_all()
            # A running render stops being counted once its worker has finished with it; wait for that, so
            # that after the 204 the render is neither running nor on disk.
            deadline = self._mono() + min(self._settings.stop_wait_s, DELETE_WAIT_S)
            while job.active and self._changed.wait(timeout=max(deadline - self._mono(), 0.0)):
                pass
        self._remove_dir(job, max(deadline - self._mono(), 0.0))
        log_event("render deleted", render_id=render_id, scene=job.scene)

    def touch(self) -> None:
        """A request arrived: the task is not orphaned."""
        self._last_activity = self._mono()

    def counts(self) -> tuple[int, int]:
        """(queued, running)."""
        with self._lock:
            return len(self._queue), len(self._running)

    def idle_for(self) -> float:
        """Seconds since the last request or render activity; 0 while anything is queued or running."""
        with self._lock:
            if self._queue or self._running:
                return 0.0
            return self._mono() - self._last_activity

    @property
    def closing(self) -> bool:
        return self._closing

    # ---- internals ----------------------------------------------------------------------------------------

    def _get_locked(self, render_id: str) -> RenderJob:
        job = self._renders.get(render_id)
        if job is None:
            raise ApiError(ErrorCode.NOT_FOUND, f"no render {render_id!r} (unknown, deleted or expired)")
        return job

    def _forget_locked(self, job: RenderJob) -> None:
        self._renders.pop(job.id, None)
        key = job.request.idempotency_key
        if key and self._by_key.get(key) == job.id:
            del self._by_key[key]
        job.deleted = True

    def _prefetch_locked(self) -> None:
        """Start downloads for the first queued renders, keeping at most `prefetch_depth` ahead of the workers."""
        ahead = sum(1 for job in self._queue if job.download is not None)
        for job in self._queue:
            if ahead >= self._settings.prefetch_depth:
                break
            if job.download is None:
                self._start_download_locked(job)
                ahead += 1

    def _work(self) -> None:
        while (job := self._take()) is not None:
            self._run(job)

    def _take(self) -> RenderJob | None:
        with self._lock:
            while (job := self._next_locked()) is None:
                if not self._queue:
                    if self._closing:
                        return None
                    self._changed.wait()
                    continue
                # The first render is still downloading: wait (outside the lock) for a download to finish, and
                # look again now and then for the grace period's end and for renders queued or cancelled.
                pending = [queued.download for queued in self._queue if queued.download is not None]
                self._lock.release()
                try:
                    wait_futures(pending, timeout=DOWNLOAD_WAIT_SLICE_S, return_when=FIRST_COMPLETED)
                finally:
                    self._lock.acquire()
            self._queue.remove(job)
            job.taken = True
            job.state = RenderState.RUNNING
            job.started_at = self._wall()
            job.started_mono = self._mono()
            self._running.add(job)
            if job.download is None:
                self._start_download_locked(job)
            self._prefetch_locked()
            return job

    def _start_download_locked(self, job: RenderJob) -> None:
        job.download_started_mono = self._mono()
        job.download = self._downloads.submit(self._download, job)

    def _next_locked(self) -> RenderJob | None:
        """The render a free worker takes: the first queued one unless its download is still running; then,
        once that download has run `head_of_line_grace_s`, the first later one whose download has finished;
        else None (wait)."""
        if not self._queue:
            return None
        first = self._queue[0]
        if first.download is None or first.download.done():
            return first
        if self._mono() - first.download_started_mono >= self._settings.head_of_line_grace_s:
            for job in itertools.islice(self._queue, 1, None):
                if job.download is not None and job.download.done():
                    return job
        return None

    def _run(self, job: RenderJob) -> None:
        result: RenderResult | None = None
        failure: Failure | None = None
        try:
            assert job.download is not None
            inputs = job.download.result()
            with job.disk:
                if job.cancel.is_set():
                    raise RenderCancelled(job.cancel_reason)
                log_event("render started", render_id=job.id, scene=job.scene)
                started = self._mono()
                try:
                    result = self._render_fn(
                        inputs,
                        job.request.options,
                        job.workdir,
                        on_progress=lambda fraction: _advance(job, fraction),
                        cancel=job.cancel,
                        limits=self._settings.limits,
                    )
                finally:
                    job.render_s = self._mono() - started
        except FetchError as exc:
            failure = Failure(exc.code, exc.message, exc.field)
        except (FetchCancelled, RenderCancelled, CancelledError):
            failure = Failure(ErrorCode.CANCELLED, job.cancel_reason)
        except InputRejected as exc:
            _log_ffmpeg_stderr(job, exc)
            failure = _input_failure(exc)
        except OptionRejected as exc:
            field = f"options.{exc.field}"
            failure = Failure(ErrorCode.INVALID_REQUEST, f"{field}: {exc.message}", field)
        except RenderError as exc:
            _log_ffmpeg_stderr(job, exc)
            failure = Failure(ErrorCode.RENDER_FAILED, f"the render failed: {exc}")
        except Exception as exc:  # noqa: BLE001 - one broken render must not kill the worker; it is reported
            log_event("render crashed", render_id=job.id, scene=job.scene, error=repr(exc))
            failure = Failure(ErrorCode.RENDER_FAILED, f"the render failed unexpectedly: {type(exc).__name__}: {exc}")
        # Disk first, status second: whoever sees "failed" or "succeeded" sees the files already gone.
        self._release_disk(job, succeeded=failure is None and result is not None)
        with self._lock:
            self._finish_locked(job, result, failure)
        self._log_finished(job)

    def _download(self, job: RenderJob) -> SceneInputs:
        """Runs in the download pool: fetch every input of `job` into `<workdir>/inputs`."""
        with job.disk:
            started = self._mono()
            try:
                fetched = self._fetch_all(job)
            except (FetchError, FetchCancelled) as exc:
                job.download_s = self._mono() - started
                self._fail_queued_download(job, exc)
                raise
            job.download_s = self._mono() - started
        log_event(
            "inputs downloaded",
            render_id=job.id,
            scene=job.scene,
            download_s=round(job.download_s, 3),
            bytes={role: item.size_bytes for role, item in fetched.items()},
            formats={role: item.media.name for role, item in fetched.items()},
            attempts={role: item.attempts for role, item in fetched.items() if item.attempts > 1} or None,
        )
        return SceneInputs(
            image=fetched["image"].path,
            audio=fetched["audio"].path,
            subtitles=fetched["subtitles"].path if "subtitles" in fetched else None,
            watermark=fetched["watermark"].path if "watermark" in fetched else None,
        )

    def _fetch_all(self, job: RenderJob) -> dict[str, FetchedInput]:
        if job.cancel.is_set():
            raise FetchCancelled("before download")
        urls = job.request.inputs
        wanted = {
            "image": urls.image_url,
            "audio": urls.audio_url,
            "subtitles": urls.subtitles_url,
            "watermark": urls.watermark_url,
        }
        inputs_dir = job.workdir / "inputs"
        return {
            role: fetch_input(
                self._http, url, role=role, dest_dir=inputs_dir, settings=self._fetch_settings, cancel=job.cancel
            )
            for role, url in wanted.items()
            if url is not None
        }

    def _fail_queued_download(self, job: RenderJob, exc: FetchError | FetchCancelled) -> None:
        """A download that failed before a worker took its render fails the render now; a taken render's
        worker reports the failure itself. The directory goes either way (we hold its lock)."""
        shutil.rmtree(job.workdir, ignore_errors=True)
        with self._lock:
            if job.taken or not job.active:
                failure = None
            else:
                self._queue.remove(job)
                failure = (
                    Failure(exc.code, exc.message, exc.field)
                    if isinstance(exc, FetchError)
                    else Failure(ErrorCode.CANCELLED, job.cancel_reason)
                )
                self._finish_locked(job, None, failure)
                self._prefetch_locked()
        if failure is not None:
            self._log_finished(job)

    def _finish_locked(self, job: RenderJob, result: RenderResult | None, failure: Failure | None) -> None:
        if not job.active:
            return
        job.finished_at = self._wall()
        job.finished_mono = self._mono()
        if failure is None and result is not None:
            job.state, job.result, job.progress = RenderState.SUCCEEDED, result, 1.0
        else:
            job.state = RenderState.FAILED
            job.failure = failure or Failure(ErrorCode.RENDER_FAILED, "the render produced no output")
        self._running.discard(job)
        self._last_activity = self._mono()
        self._changed.notify_all()

    @staticmethod
    def _release_disk(job: RenderJob, *, succeeded: bool) -> None:
        """After a worker is done: keep only a succeeded render's MP4; remove everything of the rest."""
        if succeeded and not job.deleted:
            shutil.rmtree(job.workdir / "inputs", ignore_errors=True)
        else:
            shutil.rmtree(job.workdir, ignore_errors=True)

    def _log_finished(self, job: RenderJob) -> None:
        status = job.status()
        log_event(
            f"render {status.status.value}",
            render_id=job.id,
            scene=job.scene,
            timings=status.timings.model_dump(),
            size_bytes=status.output.size_bytes if status.output else None,
            duration_s=status.output.duration_s if status.output else None,
            error=status.error.model_dump(exclude_none=True) if status.error else None,
        )

    def _remove_dir(self, job: RenderJob, timeout_s: float | None = None) -> None:
        """Remove a forgotten render's directory once nobody writes into it (or once `timeout_s` passed)."""
        owned = job.disk.acquire(timeout=self._settings.stop_wait_s if timeout_s is None else timeout_s)
        try:
            shutil.rmtree(job.workdir, ignore_errors=True)
        finally:
            if owned:
                job.disk.release()

    def _expire_loop(self) -> None:
        period = min(max(self._settings.retention_s / 4, 0.05), 30.0)
        while not self._disposed.wait(period):
            self.expire()

    def expire(self) -> list[str]:
        """Forget finished renders older than the retention period and remove their files."""
        now = self._mono()
        with self._lock:
            expired = [
                job
                for job in self._renders.values()
                if job.finished_mono is not None and now - job.finished_mono >= self._settings.retention_s
            ]
            for job in expired:
                self._forget_locked(job)
        for job in expired:
            self._remove_dir(job)
            log_event("render expired", render_id=job.id, scene=job.scene)
        return [job.id for job in expired]


def _advance(job: RenderJob, fraction: float) -> None:
    """Progress only moves forward and stays within 0..1, whatever the pipeline reports."""
    job.progress = max(job.progress, min(max(float(fraction), 0.0), 1.0))


def _log_ffmpeg_stderr(job: RenderJob, exc: BaseException) -> None:
    """The whole of what a failed ffmpeg wrote, for whoever reads the task's log: the render's error carries
    only a line of it."""
    failed = exc if isinstance(exc, FfmpegFailed) else exc.__cause__
    if isinstance(failed, FfmpegFailed):
        log_event(
            "ffmpeg failed",
            render_id=job.id,
            scene=job.scene,
            step=failed.label,
            status=failed.status,
            stderr=failed.stderr,
        )


def _input_failure(exc: InputRejected) -> Failure:
    try:
        code = ErrorCode(exc.code)
    except ValueError:
        code = ErrorCode.UNSUPPORTED_INPUT
    if code not in INPUT_FAILURE_CODES:
        code = ErrorCode.UNSUPPORTED_INPUT
    message = exc.message if exc.message.startswith(exc.role) else f"{exc.role}: {exc.message}"
    return Failure(code, message, input_field(exc.role))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
