"""When the renderer decides to exit: idle timeout, maximum lifetime, shutdown requests and their escalation,
on a controllable clock (the process-level behaviour is in tests/integration/renderer_api/test_lifecycle.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cloudburst.renderer.fetch import FetchSettings
from cloudburst.renderer.lifecycle import Lifecycle
from cloudburst.renderer.media.api import RenderResult
from cloudburst.renderer.models import ShutdownMode
from cloudburst.renderer.service import RenderService, ServiceSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def never_renders(*_: object, **__: object) -> RenderResult:
    raise AssertionError("no render in these tests")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(tmp_path: Path, clock: Clock) -> Iterator[RenderService]:
    with httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(404))) as client:
        service = RenderService(
            ServiceSettings(work_root=tmp_path / "work", stop_wait_s=2),
            never_renders,
            FetchSettings(max_bytes=1),
            client,
            mono=clock,
        )
        service.start()
        yield service
        service.dispose(timeout_s=2)


def exiting(lifecycle: Lifecycle) -> bool:
    """A call, not the property itself, so the type checker does not carry one assertion over to the next."""
    return lifecycle.exiting


def make_lifecycle(service: RenderService, clock: Clock, stops: list[bool], **timers: float) -> Lifecycle:
    lifecycle = Lifecycle(service, mono=clock, **timers)
    lifecycle._stop_server = lambda: stops.append(True)  # what start() sets, without the watchdog thread
    return lifecycle


def test_the_idle_timeout_ends_an_orphan_and_says_why(service: RenderService, clock: Clock) -> None:
    stops: list[bool] = []
    lifecycle = make_lifecycle(service, clock, stops, idle_timeout_s=60)
    clock.now += 59
    lifecycle.check_timers()
    assert not exiting(lifecycle)
    clock.now += 1
    lifecycle.check_timers()
    assert exiting(lifecycle)
    assert lifecycle.reason == "no requests or renders for 60 s (IDLE_TIMEOUT)"
    assert lifecycle.wait(5)
    assert stops == [True]
    assert service.closing


def test_a_request_postpones_the_idle_timeout(service: RenderService, clock: Clock) -> None:
    lifecycle = make_lifecycle(service, clock, [], idle_timeout_s=60)
    clock.now += 50
    service.touch()
    clock.now += 50
    lifecycle.check_timers()
    assert not exiting(lifecycle)


def test_the_maximum_lifetime_ends_the_process_whatever_it_is_doing(service: RenderService, clock: Clock) -> None:
    stops: list[bool] = []
    lifecycle = make_lifecycle(service, clock, stops, max_lifetime_s=3600)
    clock.now += 3599
    service.touch()
    lifecycle.check_timers()
    assert not exiting(lifecycle)
    clock.now += 1
    service.touch()
    lifecycle.check_timers()
    assert lifecycle.reason == "reached its maximum lifetime of 3600 s (MAX_LIFETIME)"
    assert lifecycle.wait(5)
    assert stops == [True]


def test_zero_means_never(service: RenderService, clock: Clock) -> None:
    lifecycle = make_lifecycle(service, clock, [], idle_timeout_s=0, max_lifetime_s=0)
    clock.now += 10**9
    lifecycle.check_timers()
    assert not exiting(lifecycle)


def test_a_later_cancel_escalates_a_drain_but_nothing_else_restarts_it(service: RenderService, clock: Clock) -> None:
    stops: list[bool] = []
    lifecycle = make_lifecycle(service, clock, stops)
    assert lifecycle.request_exit(ShutdownMode.DRAIN, "POST /v1/shutdown (mode drain)")
    assert not lifecycle.request_exit(ShutdownMode.CANCEL, "received SIGTERM")
    assert not lifecycle.request_exit(ShutdownMode.DRAIN, "again")
    assert lifecycle.reason == "POST /v1/shutdown (mode drain)"
    assert lifecycle.wait(5)
    assert stops == [True], "the server is stopped exactly once"
