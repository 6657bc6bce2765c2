"""`execute_parallel_batches` and friends, for code written against the older CloudBurst Fargate library.

The call and its result keys stay; what happens underneath is CloudBurst's: the scenes go through the
deployed (or local) state machine, each video is downloaded as soon as it lands, and the figures come from
the job's report. Where the old meaning was wrong or undocumented, the new one is the report's, and
docs/migrating.md lists every difference. In short:

- `background_opacity` was a transparency (0 = solid box); the renderer's `box_opacity` is `1 - value`.
- `scenes_per_batch` is honoured (count split), so `min_scenes_per_batch` has nothing left to do.
- `config_priority` 1-5 names a compute profile; an unknown number is refused, not turned into 16 vCPU.
- `enable_zoom` gives each scene a zoom in or out chosen from its name: the same video every run.
- `is_portrait` is the output orientation (None: from the image); `language` picks the subtitle font.
- subtitles are optional (`subtitle_path` may be missing or None).
- `downloaded_files` is a list of paths; `tasks_used` counts tasks that started, `total_time` their billed
  seconds, `time_saved` and `efficiency.speedup_factor` compare with one task doing every scene.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from cloudburst.client.connect import open_target
from cloudburst.client.downloads import DownloadedVideo
from cloudburst.client.errors import InvalidJob, ReportNotReady
from cloudburst.client.handle import JobEnded, VideoArrived
from cloudburst.client.job import Job, Scene
from cloudburst.client.scan import scan_folder
from cloudburst.client.status import JobStatus
from cloudburst.client.submit import submit_job
from cloudburst.client.targets import Target, choose_target
from cloudburst.client.tasks import list_cloudburst_tasks, stop_cloudburst_tasks
from cloudburst.core.profiles import profile_for_legacy_priority
from cloudburst.models.job import BatchingStrategy, Profile
from cloudburst.models.render_options import Effect, Orientation
from cloudburst.models.report import Report

DEFAULT_SAVING_DIR = Path("cloudburst_output")
OLD_MIN_SCENES_PER_BATCH = 5
_LANGUAGES = {"english": "en", "chinese": "zh"}
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_SCENE_KEYS = ("scene_name", "image_path", "audio_path")
ARGUMENTS_HINT = "Fix these arguments of execute_parallel_batches (see docs/migrating.md)."
CALL_HINT = "Fix each argument of execute_parallel_batches and each file named (see docs/migrating.md)."


def execute_parallel_batches(  # noqa: PLR0917 - the older library's positional signature, kept for its callers
    scenes: Sequence[Mapping[str, Any]],
    scenes_per_batch: int = 10,
    language: str = "chinese",
    enable_zoom: bool = True,
    config_priority: int = 4,
    max_parallel_tasks: int = 10,
    min_scenes_per_batch: int = OLD_MIN_SCENES_PER_BATCH,
    watermark_path: str | Path | None = None,
    is_portrait: bool | None = False,
    saving_dir: str | Path | None = None,
    background_box: bool = True,
    background_opacity: float = 0.2,
    *,
    target: Target | None = None,
    job_name: str | None = None,
) -> dict[str, Any]:
    """Render `scenes` (`{scene_name, image_path, audio_path, subtitle_path}` dicts) and return the older
    library's result keys. Videos go to `saving_dir/<job id>/`. `target` defaults to the stack named by
    `CLOUDBURST_STACK`, else the local cloud. Invalid arguments and missing or unusable files raise one
    `InvalidJob` listing all of them, before anything is uploaded or started."""
    if min_scenes_per_batch != OLD_MIN_SCENES_PER_BATCH:
        warnings.warn(
            "min_scenes_per_batch has no effect: scenes_per_batch is honoured exactly (see docs/migrating.md)",
            UserWarning,
            stacklevel=2,
        )
    job, argument_problems = _job_and_argument_problems(
        scenes,
        scenes_per_batch=scenes_per_batch,
        language=language,
        enable_zoom=enable_zoom,
        config_priority=config_priority,
        max_parallel_tasks=max_parallel_tasks,
        watermark_path=watermark_path,
        is_portrait=is_portrait,
        background_box=background_box,
        background_opacity=background_opacity,
        job_name=job_name,
    )
    # The job built from the valid arguments, with the others' problems attached, so one inspection reports
    # every problem: the arguments', then the schema's and the files' (the scene list's only once).
    inspection = Job(job.document, job.local_files, origin=job.origin, problems=argument_problems).inspect()
    if inspection.problems:
        raise InvalidJob(inspection.problems, CALL_HINT)
    owned = target is None
    connected = target if target is not None else open_target(choose_target(), allow_embedded=True)
    try:
        handle = submit_job(job, connected, inspection=inspection).handle
        destination = Path(saving_dir or DEFAULT_SAVING_DIR) / handle.job_id
        videos: list[DownloadedVideo] = []
        final: JobStatus | None = None
        for event in handle.watch(destination):
            if isinstance(event, VideoArrived):
                videos.append(event.video)
            elif isinstance(event, JobEnded):
                final = event.status
        assert final is not None  # watch always ends with JobEnded
        report: Report | None = None
        if final.ran_to_the_end:
            try:
                report = handle.report()
            except ReportNotReady:
                report = None
        return fargate_result(final, report, videos, scenes_per_batch=scenes_per_batch, output_directory=destination)
    finally:
        if owned:
            connected.close()


def job_from_fargate_arguments(
    scenes: Sequence[Mapping[str, Any]],
    *,
    scenes_per_batch: int = 10,
    language: str = "chinese",
    enable_zoom: bool = True,
    config_priority: int = 4,
    max_parallel_tasks: int = 10,
    watermark_path: str | Path | None = None,
    is_portrait: bool | None = False,
    background_box: bool = True,
    background_opacity: float = 0.2,
    job_name: str | None = None,
) -> Job:
    """The CloudBurst job the older library's arguments describe (see the module docstring for the mapping);
    `InvalidJob` lists every argument that cannot be mapped. Files are not looked at here."""
    job, problems = _job_and_argument_problems(
        scenes,
        scenes_per_batch=scenes_per_batch,
        language=language,
        enable_zoom=enable_zoom,
        config_priority=config_priority,
        max_parallel_tasks=max_parallel_tasks,
        watermark_path=watermark_path,
        is_portrait=is_portrait,
        background_box=background_box,
        background_opacity=background_opacity,
        job_name=job_name,
    )
    if problems:
        raise InvalidJob(problems, ARGUMENTS_HINT)
    return job


def _job_and_argument_problems(
    scenes: Sequence[Mapping[str, Any]],
    *,
    scenes_per_batch: int,
    language: str,
    enable_zoom: bool,
    config_priority: int,
    max_parallel_tasks: int,
    watermark_path: str | Path | None,
    is_portrait: bool | None,
    background_box: bool,
    background_opacity: float,
    job_name: str | None,
) -> tuple[Job, list[str]]:
    """The job made of the arguments that map, and a problem per argument that does not (left out)."""
    problems: list[str] = []
    job_scenes = list(_scenes(scenes, enable_zoom, problems))
    profile = _profile(config_priority, problems)
    subtitles: dict[str, Any] = {"box": background_box}
    if not 0 <= background_opacity <= 1:
        problems.append(f"background_opacity: {background_opacity!r} is not between 0 (solid) and 1 (invisible)")
    else:
        subtitles["box_opacity"] = round(1.0 - background_opacity, 6)
    code = _language(language, problems)
    if code is not None:
        subtitles["language"] = code
    orientation = {True: Orientation.PORTRAIT, False: Orientation.LANDSCAPE, None: Orientation.AUTO}[is_portrait]
    job = Job.from_scenes(
        job_scenes,
        name=job_name,
        watermark=watermark_path,
        render={"orientation": orientation.value, "subtitles": subtitles},
        batching={
            "strategy": BatchingStrategy.COUNT.value,
            "scenes_per_task": scenes_per_batch,
            "max_parallel_tasks": max_parallel_tasks,
        },
        compute={"profile": profile.value},
    )
    return job, problems


def zoom_for(scene_name: str) -> Effect:
    """Zoom in or out, chosen from the scene's name: as varied as the old random pick, but repeatable."""
    return Effect.ZOOM_IN if hashlib.sha256(scene_name.encode()).digest()[0] % 2 == 0 else Effect.ZOOM_OUT


def fargate_result(
    status: JobStatus,
    report: Report | None,
    videos: Sequence[DownloadedVideo],
    *,
    scenes_per_batch: int,
    output_directory: Path,
) -> dict[str, Any]:
    """The older library's result dictionary, filled from the job's report (every key it documented)."""
    downloaded = {video.scene: video for video in videos}
    if report is None:
        return _result_without_report(status, videos, scenes_per_batch, output_directory)
    billed = sum(task.billed_seconds for task in report.tasks)
    efficiency = report.efficiency
    return {
        "success": status.all_succeeded,
        "job_id": report.job_id,
        "total_scenes": report.scenes_total,
        "successful_scenes": report.scenes_succeeded,
        "failed_scenes": report.scenes_failed,
        "total_cost_usd": round(report.cost.total_usd, 6),
        "total_time": float(billed),
        "parallel_time": report.wall_seconds,
        "time_saved": round(max(0.0, efficiency.sequential_estimate_seconds - report.wall_seconds), 3),
        "tasks_used": report.tasks_used,
        "scenes_per_batch": scenes_per_batch,
        "downloaded_files": [str(video.path) for video in videos],
        "output_directory": str(output_directory),
        "efficiency": {
            "speedup_factor": efficiency.speedup_factor,
            "processing_efficiency": efficiency.processing_efficiency,
            "parallel_efficiency": efficiency.parallel_efficiency,
            "cost_per_scene": report.cost.per_scene_usd,
            "success_rate": efficiency.success_rate,
        },
        "batch_results": [
            _scene_result(scene.name, scene.status.value == "succeeded", scene, downloaded.get(scene.name))
            for scene in sorted(report.scenes, key=lambda scene: scene.name)
        ],
        "task_results": [_task_result(task, report) for task in report.tasks],
    }


def scan_scenes_from_folder(folder_path: str | Path) -> list[dict[str, str | None]]:
    """The older library's folder scan (`images/` + `audio/`, or same-stem files), as its scene dicts.
    Unlike the old one it reports unpaired files instead of skipping them (`InvalidJob`)."""
    scan = scan_folder(Path(folder_path))
    if scan.problems:
        raise InvalidJob(scan.problems, "Pair every image with its narration (see docs/render-a-folder.md).")
    return [
        {
            "scene_name": scene.name,
            "image_path": str(scene.image),
            "audio_path": str(scene.audio),
            "subtitle_path": str(scene.subtitles) if scene.subtitles else None,
        }
        for scene in scan.scenes
    ]


def list_running_tasks(*, target: Target | None = None) -> list[dict[str, Any]]:
    """CloudBurst's running tasks (all pages, only those tagged `CreatedBy=cloudburst`), with the old keys
    (`task_arn, task_definition, status, started_at, cpu, memory, public_ip, tags`) and the job each serves."""
    with _tasks_target(target) as connected:
        tasks = list_cloudburst_tasks(connected.ecs(), _cluster(connected))
    return [{**task.as_dict(), "public_ip": None} for task in tasks]


def cleanup_all_tasks(reason: str = "Cleanup requested", *, target: Target | None = None) -> dict[str, Any]:
    """Stop every running CloudBurst task; the result always has every key, even when nothing ran."""
    with _tasks_target(target) as connected:
        result = stop_cloudburst_tasks(connected.ecs(), _cluster(connected), reason)
    terminated, failed = len(result.stopped), len(result.failed)
    return {
        "success": failed == 0,
        "terminated_count": terminated,
        "failed_count": failed,
        "terminated_tasks": result.stopped,
        "failed_tasks": [{"task_arn": arn, "error": why} for arn, why in result.failed.items()],
        "message": f"{terminated} task(s) stopped, {failed} could not be stopped"
        if terminated or failed
        else "No running CloudBurst tasks",
    }


# -- internals ----------------------------------------------------------------------------------------------


def _scenes(scenes: Sequence[Mapping[str, Any]], enable_zoom: bool, problems: list[str]) -> Iterable[Scene]:
    if not scenes:
        problems.append("scenes: give at least one scene")
    for index, scene in enumerate(scenes):
        missing = [key for key in _SCENE_KEYS if not scene.get(key)]
        if missing:
            problems.append(f"scenes[{index}]: missing {', '.join(missing)}")
            continue
        name = str(scene["scene_name"])
        yield Scene(
            name=name,
            image=Path(scene["image_path"]),
            audio=Path(scene["audio_path"]),
            subtitles=Path(scene["subtitle_path"]) if scene.get("subtitle_path") else None,
            effect=zoom_for(name).value if enable_zoom else None,
        )


def _profile(config_priority: int, problems: list[str]) -> Profile:
    try:
        return profile_for_legacy_priority(config_priority)
    except ValueError as exc:
        problems.append(str(exc))
        return Profile.STANDARD


def _language(language: str, problems: list[str]) -> str | None:
    code = _LANGUAGES.get(language.strip().lower(), language.strip())
    if not _LANGUAGE_CODE.match(code):
        problems.append(f"language: {language!r} is neither 'english', 'chinese' nor a language code such as 'ja'")
        return None
    return code


def _scene_result(name: str, succeeded: bool, scene: Any, video: DownloadedVideo | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "success": succeeded,
        "scene_name": name,
        "batch_id": scene.batch_index,
        "attempt": scene.attempt,
        "processing_time": scene.render_seconds,
        "size": scene.size_bytes,
        "local_file": str(video.path) if video else None,
        "download_success": video is not None,
    }
    if not succeeded:
        entry["error"] = scene.error
    return entry


def _task_result(task: Any, report: Report) -> dict[str, Any]:
    scenes = [scene for scene in report.scenes if scene.name in set(task.scenes)]
    succeeded = sum(1 for scene in scenes if scene.status.value == "succeeded")
    return {
        "batch_id": task.batch_index,
        "attempt": task.attempt,
        "success": task.started and task.launch_error is None and succeeded == len(scenes),
        "task_arn": task.task_arn,
        "task_config": f"{task.vcpu:.1f}vCPU/{task.memory_gb:.1f}GB",
        "profile": task.profile.value,
        "capacity": task.capacity.value,
        "cost_usd": task.cost_usd,
        "total_time": float(task.billed_seconds),
        "successful_scenes": succeeded,
        "failed_scenes": len(scenes) - succeeded,
        "scenes": list(task.scenes),
    }


def _result_without_report(
    status: JobStatus, videos: Sequence[DownloadedVideo], scenes_per_batch: int, output_directory: Path
) -> dict[str, Any]:
    """The job failed as a whole (refused, cancelled, timed out): what is known, and why."""
    total = status.scenes_total
    return {
        "success": False,
        "job_id": status.job_id,
        "error": f"{status.state.value}: {status.error or 'no error name'}"
        + (f" ({status.cause})" if status.cause else ""),
        "total_scenes": total,
        "successful_scenes": status.scenes_done,
        "failed_scenes": total - status.scenes_done,
        "total_cost_usd": round(status.cost_so_far_usd or 0.0, 6),
        "total_time": 0.0,
        "parallel_time": status.elapsed_s,
        "time_saved": 0.0,
        "tasks_used": 0,
        "scenes_per_batch": scenes_per_batch,
        "downloaded_files": [str(video.path) for video in videos],
        "output_directory": str(output_directory),
        "efficiency": {
            "speedup_factor": None,
            "processing_efficiency": None,
            "parallel_efficiency": None,
            "cost_per_scene": None,
            "success_rate": status.scenes_done / total if total else 0.0,
        },
        "batch_results": [],
        "task_results": [],
    }


def _tasks_target(target: Target | None) -> AbstractContextManager[Target]:
    """The caller's target (left open for them), or the configured one (closed after the call)."""
    return nullcontext(target) if target is not None else open_target(choose_target(), allow_embedded=False)


def _cluster(target: Target) -> str:
    if target.outputs.cluster is None:
        raise InvalidJob([f"{target.description} has no cluster output"], "Redeploy the stack with `sam deploy`.")
    return target.outputs.cluster


__all__ = [
    "cleanup_all_tasks",
    "execute_parallel_batches",
    "fargate_result",
    "job_from_fargate_arguments",
    "list_running_tasks",
    "scan_scenes_from_folder",
    "zoom_for",
]
