"""PlanJob: turn an execution's input into a checked, batched plan in S3, or refuse the job by name.

Order matters: the document is validated first (cheap, precise messages), then every input is checked where
it lies, then scenes are split into batches by `cloudburst.core.scheduling.plan_batches`. Only a job that
passes all three gets `runs/<job>/` written; a refused one ends the execution with `CloudBurst.InvalidJob`
before any container starts.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudburst.aws.s3 import get_bytes, head_object, put_json
from cloudburst.core.naming import task_group
from cloudburst.core.profiles import profile_spec
from cloudburst.core.scheduling import Batch, SceneWork, plan_batches
from cloudburst.core.speed_model import TaskTimeModel, task_time_model
from cloudburst.models.job import Architecture, JobSpec
from cloudburst.pipeline import compute
from cloudburst.pipeline.input_checks import InputFacts, InputProblem, check_inputs
from cloudburst.pipeline.job_document import (
    S3Ref,
    absolute_job_document,
    inline_document,
    invalid,
    job_reference,
    parse_document,
    resolve_job,
    validate_job,
)
from cloudburst.pipeline.payloads import BatchItem, PlanOutput, SceneRequest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanSettings:
    bucket: str
    task_definitions: Mapping[Architecture, str]
    max_task_lifetime_s: int
    start_timeout_s: int = compute.START_TIMEOUT_S
    """The stack's RendererStartTimeoutSeconds: how long FindTask waits for a batch's task to answer."""


def run_prefix(job_id: str) -> str:
    return f"runs/{job_id}/"


def batch_record_key(job_id: str, index: int, attempt: int) -> str:
    """`runs/<job>/batches/<index>.json`; an on-demand rerun after Spot writes `<index>.attempt<n>.json`."""
    suffix = "" if attempt == 0 else f".attempt{attempt}"
    return f"{run_prefix(job_id)}batches/{index}{suffix}.json"


def plan_job(
    execution_input: Any,
    job_id: str,
    s3: S3Client,
    settings: PlanSettings,
    *,
    now: Callable[[], float] = time.time,
    new_token: Callable[[], str] = lambda: secrets.token_urlsafe(32),
) -> PlanOutput:
    bucket = settings.bucket
    reference = job_reference(execution_input, bucket)
    if reference is None:
        document, folder = inline_document(execution_input), S3Ref(bucket, "")
    else:
        if head_object(s3, reference.bucket, reference.key) is None:
            raise invalid([f"job_uri: {reference.uri} does not exist"])
        document = parse_document(get_bytes(s3, reference.bucket, reference.key), "job_uri")
        folder = S3Ref(bucket, reference.folder)
    job = validate_job(document)
    resolved = resolve_job(job, folder, bucket)
    audio_seconds = _checked_audio_seconds(s3, job, resolved)

    timing = task_time_model(job.compute.profile)
    batches = plan_batches([SceneWork(s.name, audio_seconds[s.name]) for s in job.scenes], job.batching, timing=timing)
    prefix = run_prefix(job_id)
    output_prefix = f"{job.output.prefix}{job_id}/"
    requests = {
        scene.name: SceneRequest(
            name=scene.name,
            inputs={role: ref.uri for role, ref in resolved[scene.name].items()},
            options=job.options_for(scene).model_dump(mode="json"),
            audio_seconds=audio_seconds[scene.name],
            expected_s=compute.expected_render_s(audio_seconds[scene.name], timing),
            deadline_s=compute.render_deadline_s(audio_seconds[scene.name], timing),
            output_key=f"{output_prefix}{scene.name}.mp4",
        )
        for scene in job.scenes
    }
    items = [
        _batch_item(
            job,
            batch,
            requests=requests,
            settings=settings,
            scenes_key=f"{prefix}scenes/{batch.index}.json",
            token=new_token(),
            job_id=job_id,
        )
        for batch in batches
    ]
    put_json(s3, bucket, f"{prefix}job.json", absolute_job_document(job, resolved))
    for item in items:
        put_json(s3, bucket, item.scenes_key, [requests[name].model_dump(mode="json") for name in item.scenes])
    put_json(
        s3,
        bucket,
        f"{prefix}plan.json",
        _plan_document(job_id, job, requests=requests, batches=batches, timing=timing, planned_at=now()),
    )
    put_json(s3, bucket, f"{prefix}batches.json", [item.model_dump(mode="json") for item in items])
    return PlanOutput(
        job_id=job_id,
        bucket=bucket,
        batches_key=f"{prefix}batches.json",
        plan_key=f"{prefix}plan.json",
        map_results_prefix=f"{prefix}map",
        output_prefix=output_prefix,
        max_parallel_tasks=job.batching.max_parallel_tasks,
        batch_count=len(items),
        scene_count=len(job.scenes),
    )


def _checked_audio_seconds(s3: S3Client, job: JobSpec, resolved: dict[str, dict[str, S3Ref]]) -> dict[str, float]:
    """Every scene's audio duration; InvalidJob listing every missing, oversized or unreadable input."""
    wanted = [(ref, role) for inputs in resolved.values() for role, ref in inputs.items()]
    results = check_inputs(s3, wanted)
    problems: list[str] = []
    seconds: dict[str, float] = {}
    for index, scene in enumerate(job.scenes):
        for role, ref in resolved[scene.name].items():
            result = results[(ref, role)]
            if isinstance(result, InputProblem):
                problems.append(f"scenes[{index}].{role}: {result}")
            elif role == "audio":
                seconds[scene.name] = _audio_seconds(result)
    if problems:
        raise invalid(problems, heading="The job's inputs are not usable")
    return seconds


def _audio_seconds(facts: InputFacts) -> float:
    """The audio's length from its headers. An estimate plans the job all the same: the renderer measures the
    audio and refuses it only if it really is too long."""
    assert facts.audio_seconds is not None  # check_input always measures audio
    if facts.audio_estimate:
        logger.warning(
            "planned with an estimated audio length of %.1f s: %s", facts.audio_seconds, facts.audio_estimate
        )
    return facts.audio_seconds


def _batch_item(
    job: JobSpec,
    batch: Batch,
    *,
    requests: Mapping[str, SceneRequest],
    settings: PlanSettings,
    scenes_key: str,
    token: str,
    job_id: str,
) -> BatchItem:
    spec = profile_spec(job.compute.profile)
    in_flight = job.batching.scenes_in_flight
    deadlines = [requests[name].deadline_s for name in batch.scenes]
    lifetime = compute.task_lifetime_s(deadlines, in_flight, settings.max_task_lifetime_s, settings.start_timeout_s)
    return BatchItem(
        index=batch.index,
        attempt=0,
        group=task_group(job_id, batch.index, 0),
        scenes=list(batch.scenes),
        scenes_key=scenes_key,
        audio_seconds=batch.audio_seconds,
        token=token,
        profile=job.compute.profile,
        capacity=job.compute.capacity,
        architecture=job.compute.architecture,
        capacity_provider_strategy=compute.capacity_provider_strategy(job.compute.capacity),
        cpu=str(spec.cpu_units),
        memory=str(spec.memory_mib),
        task_definition=settings.task_definitions[job.compute.architecture],
        idle_timeout=str(compute.IDLE_TIMEOUT_S),
        max_lifetime=str(lifetime),
        run_timeout_s=lifetime + compute.STOP_MARGIN_S,
        start_timeout_s=settings.start_timeout_s,
        scenes_in_flight=in_flight,
    )


def _plan_document(
    job_id: str,
    job: JobSpec,
    *,
    requests: Mapping[str, SceneRequest],
    batches: list[Batch],
    timing: TaskTimeModel,
    planned_at: float,
) -> dict[str, Any]:
    """plan.json: what the report and the CLI need to compare the run against the plan."""
    batch_of = {name: batch.index for batch in batches for name in batch.scenes}
    return {
        "job_id": job_id,
        "name": job.name,
        "planned_at": planned_at,
        "scene_count": len(job.scenes),
        "compute": job.compute.model_dump(mode="json"),
        "batching": job.batching.model_dump(mode="json"),
        "output_prefix": f"{job.output.prefix}{job_id}/",
        "notify": job.notify.model_dump(mode="json", exclude_none=True),
        "scenes": [
            {
                "name": scene.name,
                "batch_index": batch_of[scene.name],
                "audio_seconds": requests[scene.name].audio_seconds,
                "expected_s": requests[scene.name].expected_s,
                "output_key": requests[scene.name].output_key,
            }
            for scene in job.scenes
        ],
        "batches": [{"index": b.index, "scenes": list(b.scenes), "audio_seconds": b.audio_seconds} for b in batches],
        "timing": {
            "startup_seconds": timing.startup_seconds,
            "stop_seconds": timing.stop_seconds,
            "per_scene_seconds": timing.per_scene_seconds,
            "render_seconds_per_audio_second": timing.render_seconds_per_audio_second,
        },
    }
