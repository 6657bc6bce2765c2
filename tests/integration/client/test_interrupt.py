"""Ctrl-C during `cloudburst render` cancels the job (so no task keeps running for a job nobody follows)
and exits 130; Ctrl-C during `wait` leaves the job alone."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudburst.cli import run_commands
from cloudburst.cli.main import main
from cloudburst.cli.output import Output
from cloudburst.client.handle import JobEvent, JobHandle, StatusUpdate
from cloudburst.client.job import Job
from cloudburst.client.submit import submit
from cloudburst.client.targets import Target
from tests.unit.client.media_files import make_scene_folder


class _Borrowed:
    """The test's target, handed to the command without letting it close it."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def __enter__(self) -> Target:
        return self.target

    def __exit__(self, *exc: object) -> None:
        return None


def _interrupted_watch(self: JobHandle, destination: Any = None, *, poll_s: float | None = None) -> Iterator[JobEvent]:
    yield StatusUpdate(self.status())
    raise KeyboardInterrupt


def _run(argv: list[str]) -> tuple[int, str]:
    stderr = io.StringIO()
    code = main(argv, out=Output(json_mode=False, stdout=io.StringIO(), stderr=stderr, live=False))
    return code, stderr.getvalue()


@pytest.fixture
def interrupted(target: Target, monkeypatch: pytest.MonkeyPatch) -> Target:
    monkeypatch.setattr(run_commands, "open_target", lambda *args, **kwargs: _Borrowed(target))
    monkeypatch.setattr(JobHandle, "watch", _interrupted_watch)
    return target


def test_ctrl_c_during_render_cancels_the_job(interrupted: Target, tmp_path: Path) -> None:
    folder = make_scene_folder(tmp_path / "story", ["s1"])
    code, err = _run(["render", str(folder), "--output", str(tmp_path / "out")])
    assert code == 130
    (execution,) = interrupted.sfn().list_executions(stateMachineArn=interrupted.outputs.state_machine_arn)[
        "executions"
    ]
    assert execution["status"] == "ABORTED"
    assert f"interrupted: job {execution['name']} cancelled; the state machine is stopping its tasks" in err


def test_ctrl_c_during_wait_leaves_the_job_running(interrupted: Target, tmp_path: Path) -> None:
    handle = submit(Job.from_folder(make_scene_folder(tmp_path / "story", ["s1"])), interrupted)
    code, err = _run(["wait", handle.job_id])
    assert code == 130
    assert handle.status().state == "RUNNING"
    assert f"cloudburst cancel {handle.job_id} stops it" in err
