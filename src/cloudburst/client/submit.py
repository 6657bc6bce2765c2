"""Submit a job: check it, upload its local inputs, write the resolved job to S3 and start the execution.

The execution name is the job id, derived from the resolved job's bytes (`cloudburst.core.naming`), so
submitting the same job twice does not render it twice: a job that is running or has succeeded is attached
to (its videos are already there or on their way), and one that failed or was cancelled is started again as
a new attempt with its own id. `rerun=True` starts a new attempt even after a success.

`prepare_job` does everything before the first upload (checks, hashing, the job's bytes and id), so that a
caller can look at what it already holds of this job (`cloudburst.client.delivered`) before sending anything.
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
from cloudburst.client.uploads import InputPlan, ProgressCallback, UploadResult, plan_inputs, upload_inputs
from cloudburst.core.naming import content_job_id
from cloudburst.models.job import JobSpec, parse_s3_uri
from cloudburst.pipeline.input_checks import InputProblem, check_inputs
from cloudburst.pipeline.job_document import S3Ref, outside_bucket

MAX_ATTEMPTS = 1000
"""New attempts of one job before giving up (each failed or cancelled run of the same content is one)."""


@dataclass(frozen=True)
class PreparedJob:
    """A job checked and hashed for one target, nothing sent yet: its resolved spec, its bytes (which make
    its id) and where each local input will be uploaded."""

    spec: JobSpec
    document: bytes
    inputs: InputPlan
    inspection: Inspection

    @property
    def first_job_id(self) -> str:
        """The id of the job's first attempt (later attempts are `attempt_job_id(..., n)`)."""
        return attempt_job_id(self.spec.name, self.document, 1)

    def attempt_of(self, job_id: str) -> int | None:
        """Which attempt of this job `job_id` is (1, 2...), or None when it is another job's id."""
        return next(
            (n for n in range(1, MAX_ATTEMPTS + 1) if attempt_job_id(self.spec.name, self.document, n) == job_id),
            None,
        )


@dataclass(frozen=True)
class EarlierAttempt:
    """An attempt of the same job that ended without succeeding, so this one got a new id."""

    job_id: str
    state: ExecutionState
    error: str | None


@dataclass(frozen=True)
class Submission:
    """What `submit` did: the handle, the uploads, the local checks' findings (durations, sizes), and the
    latest earlier attempt that failed or was cancelled (None when there was none, or the job was attached to)."""

    handle: JobHandle
    uploads: UploadResult
    inspection: Inspection
    earlier: EarlierAttempt | None = None


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
    prepared: PreparedJob | None = None,
) -> Submission:
    """Validate locally (raises `InvalidJob` before anything is uploaded), upload, start; see the module.
    `prepared` is `prepare_job`'s answer for this job and target, when the caller already has it."""
    ready = prepared if prepared is not None else prepare_job(job, target, inspection=inspection)
    bucket = target.outputs.bucket
    uploads = upload_inputs(target.s3(), bucket, job.local_files, on_progress=on_upload, plan=ready.inputs)
    handle, earlier = _start(target, ready.spec, ready.document, rerun=rerun)
    return Submission(handle=handle, uploads=uploads, inspection=ready.inspection, earlier=earlier)


def prepare_job(job: Job, target: Target, *, inspection: Inspection | None = None) -> PreparedJob:
    """Everything before the first upload: the local checks (raising `InvalidJob`), the checks of inputs
    already in the bucket, and the inputs' hashes, which fix the job's bytes and so its id."""
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
    inputs = plan_inputs(bucket, job.local_files)
    spec = job.resolve(inputs.uris)
    return PreparedJob(spec=spec, document=canonical_job_bytes(spec), inputs=inputs, inspection=checked)


def attempt_job_id(name: str | None, document: bytes, attempt: int) -> str:
    """The id of attempt `attempt` of the job whose bytes are `document` (the first attempt's id is the
    content id; each later one adds `attempt N` to what is hashed)."""
    return content_job_id(name, document if attempt == 1 else document + f"\nattempt {attempt}".encode())


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


def _start(target: Target, spec: JobSpec, document: bytes, *, rerun: bool) -> tuple[JobHandle, EarlierAttempt | None]:
    s3, sfn, bucket = target.s3(), target.sfn(), target.outputs.bucket
    earlier: EarlierAttempt | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        job_id = attempt_job_id(spec.name, document, attempt)
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
                return handle, None
            if existing.state is not ExecutionState.SUCCEEDED:
                earlier = EarlierAttempt(job_id, existing.state, existing.error)
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
        return handle, earlier
    raise RuntimeError(f"{spec.name or 'job'}: {MAX_ATTEMPTS} attempts of this job exist already")
