"""CloudBurst's tasks by their tag (moto ECS): listing across pages, and a cleanup that spares running jobs."""

from __future__ import annotations

from pathlib import Path

from cloudburst.cli.task_commands import _job_is_running
from cloudburst.client.job import Job
from cloudburst.client.submit import submit
from cloudburst.client.targets import Target
from cloudburst.client.tasks import list_cloudburst_tasks, stop_cloudburst_tasks
from cloudburst.core.naming import task_group
from tests.integration.client.conftest import run_renderer_tasks
from tests.unit.client.media_files import make_scene_folder


def _run(target: Target, group: str, *, ours: bool = True, count: int = 1) -> list[str]:
    return run_renderer_tasks(target, group, count=count, tags={"CreatedBy": "cloudburst" if ours else "someone-else"})


def test_only_cloudburst_tasks_are_listed_across_pages(target: Target) -> None:
    ours = _run(target, task_group("many-000000000000", 0, 0), count=10)
    for _ in range(10):  # 110 tasks: more than one ListTasks page (100)
        ours += _run(target, task_group("many-000000000000", 0, 0), count=10)
    _run(target, "someone-elses-group", ours=False)
    listed = list_cloudburst_tasks(target.ecs(), target.outputs.cluster or "")
    assert sorted(task.arn for task in listed) == sorted(ours)
    assert {task.job_id for task in listed} == {"many-000000000000"}


def test_cleanup_spares_tasks_of_running_jobs_unless_asked(target: Target, tmp_path: Path) -> None:
    running_job = submit(Job.from_folder(make_scene_folder(tmp_path / "story", ["s1"])), target)
    busy = _run(target, task_group(running_job.job_id, 0, 0))
    orphan = _run(target, task_group("gone-000000000000", 3, 1))
    cluster = target.outputs.cluster or ""

    spared = stop_cloudburst_tasks(target.ecs(), cluster, job_is_running=_job_is_running(target))
    assert (spared.stopped, list(spared.kept), spared.failed) == (orphan, busy, {})
    assert spared.kept[busy[0]].startswith(f"job {running_job.job_id} is running")

    everything = stop_cloudburst_tasks(target.ecs(), cluster)
    assert everything.stopped == busy
