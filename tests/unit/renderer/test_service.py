"""The render queue with a scripted pipeline and an in-memory HTTP transport: ordering, prefetch, idempotency,
cancellation, failures, expiry and shutdown, each checked on disk as well as in the status."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from cloudburst.models.render_options import RenderOptions
from cloudburst.renderer.errors import ApiError, ErrorCode
from cloudburst.renderer.fetch import FetchSettings
from cloudburst.renderer.media.api import InputRejected, Limits, RenderCancelled, RenderError, RenderResult, SceneInputs
from cloudburst.renderer.models import RenderRequest, RenderState, RenderStatus, ShutdownMode
from cloudburst.renderer.service import RenderService, ServiceSettings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
DEFAULT_LIMITS = Limits()
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 100


class ScriptedPipeline:
    """Stands in for `render_scene`: records calls, can hold a render until released, or fail on demand."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.release: dict[str, threading.Event] = {}
        self.started: dict[str, threading.Event] = {}
        self.fail_with: dict[str, Exception] = {}

    def hold(self, scene: str) -> None:
        self.release[scene] = threading.Event()
        self.started[scene] = threading.Event()

    def __call__(
        self,
        inputs: SceneInputs,
        options: RenderOptions,
        workdir: Path,
        *,
        on_progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> RenderResult:
        scene = inputs.image.parent.parent.name  # the render id; mapped back to a scene by the test
        self.calls.append(scene)
        assert inputs.image.is_file()
        assert inputs.audio.is_file()
        assert cancel is not None
        assert on_progress is not None
        for name, event in self.started.items():
            if name in str(inputs.audio.read_bytes()[-40:]):
                event.set()
                while not self.release[name].wait(0.01):
                    if cancel.is_set():
                        raise RenderCancelled("cancelled")
        for name, error in self.fail_with.items():
            if name in str(inputs.audio.read_bytes()[-40:]):
                raise error
        on_progress(0.5)
        on_progress(0.25)  # a late report must not move progress backwards
        output = workdir / "output.mp4"
        output.write_bytes(b"mp4" * 10)
        return RenderResult(output, 30, 2.0, hashlib.sha256(b"mp4" * 10).hexdigest(), 320, 180, 30)


class FakeBucket:
    """Serves `/<scene>/image.png` and `/<scene>/audio.wav` (the audio ends with the scene name, so the pipeline
    can tell scenes apart); records each request; some paths answer an error status."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.status: dict[str, int] = {}
        self.stalled: dict[str, threading.Event] = {}  # paths answered only once their event is set

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.requests.append(path)
        if path in self.stalled:
            self.stalled[path].wait(10)
        if path in self.status:
            return httpx.Response(self.status[path])
        scene = path.split("/")[1]
        body = PNG if path.endswith(".png") else WAV + scene.encode()
        return httpx.Response(200, content=body)


@pytest.fixture
def pipeline() -> ScriptedPipeline:
    return ScriptedPipeline()


@pytest.fixture
def bucket() -> FakeBucket:
    return FakeBucket()


@pytest.fixture
def make_service(
    tmp_path: Path, pipeline: ScriptedPipeline, bucket: FakeBucket
) -> Iterator[Callable[..., RenderService]]:
    created: list[RenderService] = []
    client = httpx.Client(transport=httpx.MockTransport(bucket))

    def make(**settings: object) -> RenderService:
        options: dict[str, object] = {"work_root": tmp_path / "work", "stop_wait_s": 5.0, **settings}
        service = RenderService(
            ServiceSettings(**options),  # type: ignore[arg-type]
            pipeline,
            FetchSettings(max_bytes=10_000, attempts=1),
            client,
        )
        service.start()
        created.append(service)
        return service

    yield make
    for service in created:
        service.dispose(timeout_s=5)
    client.close()


def request(scene: str, key: str | None = None) -> RenderRequest:
    return RenderRequest.model_validate(
        {
            "inputs": {
                "image_url": f"http://bucket/{scene}/image.png",
                "audio_url": f"http://bucket/{scene}/audio.wav",
            },
            "scene": scene,
            "idempotency_key": key,
        }
    )


def wait_for(service: RenderService, render_id: str, *states: RenderState, timeout: float = 5.0) -> RenderStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = service.status(render_id)
        if status.status in states:
            return status
        time.sleep(0.005)
    raise AssertionError(f"{render_id} stayed {service.status(render_id).status}")


def dirs(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def test_a_render_succeeds_keeping_only_its_output(make_service: Callable[..., RenderService], tmp_path: Path) -> None:
    service = make_service()
    status, created = service.submit(request("s1"))
    assert created
    assert status.status is RenderState.QUEUED
    done = wait_for(service, status.render_id, RenderState.SUCCEEDED)
    assert done.progress == 1.0
    assert done.output is not None
    assert done.output.size_bytes == 30
    assert done.timings.download_s is not None
    assert done.timings.render_s is not None
    assert done.timings.total_s is not None
    assert done.timings.total_s >= done.timings.render_s
    assert done.started_at is not None
    assert done.finished_at is not None
    assert done.started_at <= done.finished_at
    files = sorted(p.relative_to(tmp_path / "work").as_posix() for p in (tmp_path / "work").rglob("*"))
    assert files == [status.render_id, f"{status.render_id}/output.mp4"]
    path, scene = service.output(status.render_id)
    assert path.read_bytes() == b"mp4" * 10
    assert scene == "s1"


def test_renders_run_in_order_and_the_next_ones_download_while_one_renders(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline, bucket: FakeBucket
) -> None:
    pipeline.hold("first")
    service = make_service(prefetch_depth=1)
    ids = [service.submit(request(scene))[0].render_id for scene in ("first", "second", "third")]
    assert pipeline.started["first"].wait(5)
    deadline = time.monotonic() + 5
    while "/second/audio.wav" not in bucket.requests and time.monotonic() < deadline:
        time.sleep(0.005)
    assert "/second/audio.wav" in bucket.requests, "the next render's inputs are fetched while the first renders"
    assert not any(path.startswith("/third/") for path in bucket.requests), "prefetch stays within its depth"
    assert [service.status(i).status for i in ids] == [RenderState.RUNNING, RenderState.QUEUED, RenderState.QUEUED]
    pipeline.release["first"].set()
    finished = [wait_for(service, i, RenderState.SUCCEEDED) for i in ids]
    starts = [status.started_at or 0.0 for status in finished]
    assert starts == sorted(starts)
    assert pipeline.calls == ids


def test_a_render_whose_inputs_are_ready_goes_before_one_still_downloading(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline, bucket: FakeBucket
) -> None:
    pipeline.hold("first")
    stalled = bucket.stalled["/slow/audio.wav"] = threading.Event()
    try:
        service = make_service(prefetch_depth=2, head_of_line_grace_s=0.3)
        first, slow, ready = (service.submit(request(scene))[0].render_id for scene in ("first", "slow", "ready"))
        assert pipeline.started["first"].wait(5)
        deadline = time.monotonic() + 5
        while "/ready/audio.wav" not in bucket.requests and time.monotonic() < deadline:
            time.sleep(0.005)
        pipeline.release["first"].set()
        wait_for(service, ready, RenderState.SUCCEEDED)
        assert service.status(slow).status is RenderState.QUEUED, "still downloading, and it did not hold up the next"
    finally:
        stalled.set()
    wait_for(service, slow, RenderState.SUCCEEDED)
    assert pipeline.calls == [first, ready, slow]


def test_the_same_idempotency_key_returns_the_existing_render(make_service: Callable[..., RenderService]) -> None:
    service = make_service()
    first, created = service.submit(request("a", key="job-1/a/0"))
    again, created_again = service.submit(request("a", key="job-1/a/0"))
    other, _ = service.submit(request("a", key="job-1/a/1"))
    assert created
    assert not created_again
    assert again.render_id == first.render_id != other.render_id


def test_deleting_a_running_render_cancels_it_and_removes_its_files(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline, tmp_path: Path
) -> None:
    pipeline.hold("slow")
    service = make_service()
    render_id = service.submit(request("slow"))[0].render_id
    assert pipeline.started["slow"].wait(5)
    assert dirs(tmp_path / "work") == [render_id]
    service.delete(render_id)
    assert dirs(tmp_path / "work") == []
    with pytest.raises(ApiError) as caught:
        service.status(render_id)
    assert caught.value.failure.code is ErrorCode.NOT_FOUND
    assert service.counts() == (0, 0)


def test_deleting_a_queued_render_takes_it_out_of_the_queue(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline, tmp_path: Path
) -> None:
    pipeline.hold("busy")
    service = make_service()
    busy = service.submit(request("busy"))[0].render_id
    waiting = service.submit(request("waiting"))[0].render_id
    assert pipeline.started["busy"].wait(5)
    service.delete(waiting)
    assert service.counts() == (0, 1)
    assert dirs(tmp_path / "work") == [busy]
    pipeline.release["busy"].set()
    wait_for(service, busy, RenderState.SUCCEEDED)
    assert pipeline.calls == [busy]


def test_a_refused_download_fails_the_queued_render_at_once(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline, bucket: FakeBucket, tmp_path: Path
) -> None:
    pipeline.hold("busy")
    bucket.status["/expired/audio.wav"] = 403
    service = make_service()
    busy = service.submit(request("busy"))[0].render_id
    expired = service.submit(request("expired"))[0].render_id
    failed = wait_for(service, expired, RenderState.FAILED)
    assert service.status(busy).status is RenderState.RUNNING, "failed before its turn came"
    assert failed.error is not None
    assert failed.error.code == "input_download_failed"
    assert failed.error.field == "inputs.audio_url"
    assert "the presigned URL for audio was refused (403)" in failed.error.message
    assert dirs(tmp_path / "work") == [busy]
    with pytest.raises(ApiError) as caught:
        service.output(expired)
    assert caught.value.failure.code is ErrorCode.INPUT_DOWNLOAD_FAILED
    pipeline.release["busy"].set()


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            InputRejected("input_unreadable", "image", "image: cannot decode"),
            ("input_unreadable", "inputs.image_url", "image: cannot decode"),
        ),
        (
            InputRejected("input_too_large", "audio", "4 h of audio"),
            ("input_too_large", "inputs.audio_url", "audio: 4 h of audio"),
        ),
        (RenderError("ffmpeg exited 1"), ("render_failed", None, "the render failed: ffmpeg exited 1")),
        (
            ZeroDivisionError("oops"),
            ("render_failed", None, "the render failed unexpectedly: ZeroDivisionError: oops"),
        ),
    ],
)
def test_pipeline_failures_are_reported_specifically_and_leave_nothing(
    make_service: Callable[..., RenderService],
    pipeline: ScriptedPipeline,
    tmp_path: Path,
    error: Exception,
    expected: tuple[str, str | None, str],
) -> None:
    pipeline.fail_with["bad"] = error
    service = make_service()
    render_id = service.submit(request("bad"))[0].render_id
    failed = wait_for(service, render_id, RenderState.FAILED)
    assert failed.error is not None
    assert (failed.error.code, failed.error.field, failed.error.message) == expected
    assert dirs(tmp_path / "work") == []
    assert failed.output is None
    assert failed.timings.render_s is not None


def test_output_is_not_ready_until_succeeded(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline
) -> None:
    pipeline.hold("slow")
    service = make_service()
    render_id = service.submit(request("slow"))[0].render_id
    with pytest.raises(ApiError) as caught:
        service.output(render_id)
    assert caught.value.failure.code is ErrorCode.NOT_READY
    assert caught.value.failure.http_status == 409
    pipeline.release["slow"].set()


def test_finished_renders_expire_with_their_files(make_service: Callable[..., RenderService], tmp_path: Path) -> None:
    service = make_service(retention_s=0.2)
    render_id = service.submit(request("old"))[0].render_id
    wait_for(service, render_id, RenderState.SUCCEEDED)
    deadline = time.monotonic() + 5
    while dirs(tmp_path / "work") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert dirs(tmp_path / "work") == []
    with pytest.raises(ApiError):
        service.status(render_id)


def test_the_queue_has_a_limit(make_service: Callable[..., RenderService], pipeline: ScriptedPipeline) -> None:
    pipeline.hold("busy")
    service = make_service(max_queued=1)
    service.submit(request("busy"))
    assert pipeline.started["busy"].wait(5)
    service.submit(request("queued"))
    with pytest.raises(ApiError) as caught:
        service.submit(request("overflow"))
    assert caught.value.failure.code is ErrorCode.QUEUE_FULL
    assert caught.value.failure.http_status == 503
    pipeline.release["busy"].set()


def test_cancel_shutdown_cancels_everything_and_refuses_new_work(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline, tmp_path: Path
) -> None:
    pipeline.hold("running")
    service = make_service()
    running = service.submit(request("running"))[0].render_id
    queued = service.submit(request("queued"))[0].render_id
    assert pipeline.started["running"].wait(5)
    service.close(ShutdownMode.CANCEL, "received SIGTERM")
    assert service.wait_idle(timeout_s=5)
    for render_id in (running, queued):
        status = service.status(render_id)
        assert status.error is not None
        assert status.error.code == "cancelled"
        assert status.error.message == "cancelled: received SIGTERM"
    with pytest.raises(ApiError) as caught:
        service.submit(request("late"))
    assert caught.value.failure.code is ErrorCode.SHUTTING_DOWN
    service.dispose(timeout_s=5)
    assert dirs(tmp_path / "work") == []


def test_a_retry_during_shutdown_still_finds_its_render(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline
) -> None:
    pipeline.hold("accepted")
    service = make_service()
    first, _ = service.submit(request("accepted", key="k-1"))
    service.close(ShutdownMode.DRAIN, "POST /v1/shutdown")
    again, created = service.submit(request("accepted", key="k-1"))
    assert not created
    assert again.render_id == first.render_id
    with pytest.raises(ApiError):
        service.submit(request("new", key="k-2"))
    pipeline.release["accepted"].set()


def test_drain_shutdown_finishes_the_queue(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline
) -> None:
    pipeline.hold("running")
    service = make_service()
    ids = [service.submit(request(scene))[0].render_id for scene in ("running", "queued")]
    assert pipeline.started["running"].wait(5)
    service.close(ShutdownMode.DRAIN, "POST /v1/shutdown")
    assert not service.wait_idle(timeout_s=0.05)
    pipeline.release["running"].set()
    assert service.wait_idle(timeout_s=5)
    assert [service.status(i).status for i in ids] == [RenderState.SUCCEEDED, RenderState.SUCCEEDED]


def test_idle_time_counts_only_when_nothing_is_queued_or_running(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline
) -> None:
    pipeline.hold("busy")
    service = make_service()
    render_id = service.submit(request("busy"))[0].render_id
    assert pipeline.started["busy"].wait(5)
    time.sleep(0.05)
    assert service.idle_for() == 0.0
    pipeline.release["busy"].set()
    wait_for(service, render_id, RenderState.SUCCEEDED)
    time.sleep(0.05)
    assert service.idle_for() >= 0.04
    service.touch()
    assert service.idle_for() < 0.04


def test_render_concurrency_runs_that_many_at_once(
    make_service: Callable[..., RenderService], pipeline: ScriptedPipeline
) -> None:
    for scene in ("one", "two", "three"):
        pipeline.hold(scene)
    service = make_service(concurrency=2, prefetch_depth=1)
    ids = [service.submit(request(scene))[0].render_id for scene in ("one", "two", "three")]
    assert pipeline.started["one"].wait(5)
    assert pipeline.started["two"].wait(5)
    assert not pipeline.started["three"].wait(0.1)
    assert service.counts() == (1, 2)
    for event in pipeline.release.values():
        event.set()
    assert [wait_for(service, i, RenderState.SUCCEEDED).status for i in ids] == [RenderState.SUCCEEDED] * 3
