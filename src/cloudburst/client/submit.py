"""Submit a job: check it, upload its local inputs, write the resolved job to S3 and start the execution.

The execution name is the job id, derived from the resolved job's bytes (`cloudburst.core.naming`), so
submitting the same job twice does not render it twice: a job that is running or has succeeded is attached
to (its videos are already there or on their way), and one that failed or was cancelled is started again as
a new attempt with its own id. `rerun=True` starts a new attempt even after a success.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from botocore.exceptions import ClientError

from cloudburst.aws.s3 import put_bytes, s3_uri
from cloudburst.client import layout
from cloudburst.client.errors import InvalidJob
from cloudburst.client.handle import JobHandle, execution_facts
from cloudburst.client.job import Inspection, Job
from cloudburst.client.status import ExecutionState
from cloudburst.client.targets import Target
from cloudburst.client.uploads import ProgressCallback, UploadResult, upload_inputs
from cloudburst.core.naming import content_job_id
from cloudburst.models.job import JobSpec, parse_s3_uri
from cloudburst.pipeline.input_checks import InputProblem, check_inputs
from cloudburst.pipeline.job_document import S3Ref, outside_bucket

MAX_ATTEMPTS = 1000
"""New attempts of one job before giving up (each failed or cancelled run of the same content is one)."""


@dataclass(frozen=True)
class Submission:
    """What `submit` did: the handle, the uploads, and the local checks' findings (durations, sizes)."""

    handle: JobHandle
    uploads: UploadResult
    inspection: Inspection


def submit(
    job: Job,
    target: Target,
    *,
    rerun: bool = False,
    on_upload: ProgressCallback | None = None,
    inspection: Inspection | None = None,
) -> JobHandle:
    """Start `job` on `target` and return its handle (see `submit_job` for the details of what was done)."""
    return submit_job(job, target, rerun=rerun, on_upload=on_upload, inspection=inspection).handle


def submit_job(
    job: Job,
    target: Target,
    *,
    rerun: bool = False,
    on_upload: ProgressCallback | None = None,
    inspection: Inspection | None = None,
) -> Submission:
    """Validate locally (raises `InvalidJob` before anything is uploaded), upload, start; see the module."""
    checked = inspection if inspection is not None else job.validate()
    bucket = target.outputs.bucket
    elsewhere = [
        outside_bucket(field, uri, bucket) for field, uri in job.remote_inputs() if parse_s3_uri(uri)[0] != bucket
    ]
    if elsewhere:
        raise InvalidJob(elsewhere)
    unusable = remote_input_problems(job, target)
    if unusable:
        raise InvalidJob(unusable)
    uploads = upload_inputs(target.s3(), bucket, job.local_files, on_progress=on_upload)
    spec = job.resolve(uploads.uris)
    document = canonical_job_bytes(spec)
    handle = _start(target, spec, document, rerun=rerun)
    return Submission(handle=handle, uploads=uploads, inspection=checked)


def remote_input_problems(job: Job, target: Target) -> list[str]:
    """The Plan Lambda's checks (exists, size, type, audio length) of the inputs already in the stack's bucket,
    run here so that a missing or mistyped `s3://` input is refused before anything is uploaded or started."""
    wanted = [(field, S3Ref(*parse_s3_uri(uri)), field.rsplit(".", 1)[-1]) for field, uri in job.remote_inputs()]
    if not wanted:
        return []
    results = check_inputs(target.s3(), [(ref, role) for _, ref, role in wanted])
    return [
        f"{field}: {result}" for field, ref, role in wanted if isinstance(result := results[(ref, role)], InputProblem)
    ]


def canonical_job_bytes(spec: JobSpec) -> bytes:
    """The job as stored and hashed: only what the user set (the Plan Lambda applies the same defaults),
    keys sorted, so the same job always gives the same bytes and the same id."""
    return json.dumps(
        spec.model_dump(mode="json", exclude_unset=True), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def _start(target: Target, spec: JobSpec, document: bytes, *, rerun: bool) -> JobHandle:
    s3, sfn, bucket = target.s3(), target.sfn(), target.outputs.bucket
    for attempt in range(1, MAX_ATTEMPTS + 1):
        seed = document if attempt == 1 else document + f"\nattempt {attempt}".encode()
        job_id = content_job_id(spec.name, seed)
        handle = JobHandle(
            target,
            job_id,
            output_prefix=spec.output.prefix,
            scene_names=[scene.name for scene in spec.scenes],
            architecture=spec.compute.architecture,
        )
        key = layout.submitted_key(job_id)
        try:
            existing = execution_facts(sfn.describe_execution(executionArn=handle.execution_arn))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist":
                raise
        else:
            if existing.state is ExecutionState.RUNNING or (existing.state is ExecutionState.SUCCEEDED and not rerun):
                handle.reused = True
                return handle
            continue  # failed, cancelled or (with rerun) succeeded: the next attempt gets a new id
        put_bytes(s3, bucket, key, document, "application/json")
        try:
            sfn.start_execution(
                stateMachineArn=target.outputs.state_machine_arn,
                name=job_id,
                input=json.dumps({"job_uri": s3_uri(bucket, key)}),
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                continue  # another submitter won the race for this id and it has already ended
            raise
        return handle
    raise RuntimeError(f"{spec.name or 'job'}: {MAX_ATTEMPTS} attempts of this job exist already")
