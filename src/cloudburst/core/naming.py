"""Deterministic names: the job id (which is also the Step Functions execution name) and task groups.

The same job submitted twice must get the same id, so that Step Functions refuses the second start
(`ExecutionAlreadyExists`) instead of rendering everything again: S3 delivers upload events at least once, and
the CLI may be re-run after a network error. Ids are `<job name or "job">-<12 hex>`, at most 77 characters,
inside the execution-name limits (1-80 characters; no whitespace or `: / # % ...`).
"""

from __future__ import annotations

import hashlib
import re

DEFAULT_JOB_NAME = "job"
MAX_JOB_NAME_CHARS = 64
_DIGEST_CHARS = 12
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_JOB_ID = re.compile(rf"^[A-Za-z0-9._-]{{1,{MAX_JOB_NAME_CHARS}}}-[0-9a-f]{{{_DIGEST_CHARS}}}$")


def job_id(name: str | None, seed: str | bytes) -> str:
    """`<name>-<first 12 hex of sha256(seed)>`; `seed` is what makes the job the same job (its content or
    the manifest's key and version)."""
    data = seed.encode() if isinstance(seed, str) else seed
    return f"{safe_job_name(name)}-{hashlib.sha256(data).hexdigest()[:_DIGEST_CHARS]}"


def safe_job_name(name: str | None) -> str:
    """A label usable in an execution name: unsafe characters become '-', at most 64 characters."""
    cleaned = _UNSAFE.sub("-", name or "").strip("-.")[:MAX_JOB_NAME_CHARS].strip("-.")
    return cleaned or DEFAULT_JOB_NAME


def manifest_job_id(name: str | None, bucket: str, key: str, version: str) -> str:
    """The id of a job started by uploading a manifest: the same object version always gives the same id,
    a new upload (new version id or ETag) a new one. Without a `name` in the job, the file name is the label."""
    label = name or key.rsplit("/", 1)[-1].removesuffix(".json")
    return job_id(label, f"s3://{bucket}/{key}#{version}")


def content_job_id(name: str | None, document: bytes) -> str:
    """The id of a job submitted as a document (CLI, API): the same bytes give the same id."""
    return job_id(name, document)


def is_job_id(value: str) -> bool:
    return bool(_JOB_ID.match(value))


def task_group(job: str, batch_index: int, attempt: int) -> str:
    """The ECS task group of one batch attempt: how the driver Lambdas find the task that the state machine's
    `runTask.sync` started (Step Functions forces `startedBy`, so the group is the only correlation we set)."""
    return f"cloudburst:{job}:{batch_index}:{attempt}"


def batch_of_task_group(group: str, job: str) -> tuple[int, int] | None:
    """(batch index, attempt) of a task group `task_group` made for this job; None for any other group."""
    prefix = task_group(job, 0, 0).removesuffix("0:0")
    batch, _, attempt = group.removeprefix(prefix).partition(":")
    if not group.startswith(prefix) or not batch.isdigit() or not attempt.isdigit():
        return None
    return int(batch), int(attempt)
