"""StartJobFromUpload: a job manifest uploaded under `jobs/` starts its execution, once.

S3 delivers events at least once, so the execution name is derived from the object's key and the upload
the event is about (its version id; in a bucket without versioning, the event's `sequencer`, which S3 gives
each write of a key and repeats in a duplicated event): a repeated event asks for the same name and Step
Functions answers `ExecutionAlreadyExists`, which means "already started", not an error. Uploading the same
manifest again is a new write, hence a new job: how a failed job is run again once its inputs are fixed.
An invalid manifest starts nothing; the reason is written next to it (`jobs/<name>.error.json`) where the
uploader will look, and a later valid upload removes that file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from cloudburst.aws.s3 import delete_object, get_bytes, put_json
from cloudburst.core.naming import manifest_job_id
from cloudburst.pipeline.errors import InvalidJob
from cloudburst.pipeline.job_document import S3Ref, parse_document, resolve_job, validate_job

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

MANIFEST_PREFIX = "jobs/"
MANIFEST_SUFFIX = ".json"
ERROR_SUFFIX = ".error.json"


class UploadOutcome(BaseModel):
    status: Literal["started", "already_started", "refused", "ignored"]
    key: str
    job_id: str | None = None
    execution_arn: str | None = None
    error_key: str | None = None
    message: str | None = None


def error_key_for(key: str) -> str:
    return key.removesuffix(MANIFEST_SUFFIX) + ERROR_SUFFIX


def is_manifest(key: str) -> bool:
    return key.startswith(MANIFEST_PREFIX) and key.endswith(MANIFEST_SUFFIX) and not key.endswith(ERROR_SUFFIX)


def upload_identity(obj: Mapping[str, Any]) -> str:
    """What tells one upload of a key from another: the version id, else the sequencer, else the ETag (an
    event without either: the same content then counts as the same upload)."""
    return str(obj.get("version-id") or obj.get("sequencer") or obj.get("etag") or "")


def start_job_from_upload(
    detail: Mapping[str, Any],
    s3: S3Client,
    sfn: SFNClient,
    state_machine_arn: str,
    bucket: str,
    *,
    now: Callable[[], float] = time.time,
) -> UploadOutcome:
    """`detail` is the EventBridge "Object Created" event's detail (bucket.name, object.key/etag/version-id)."""
    key = str(detail["object"]["key"])
    if detail["bucket"]["name"] != bucket or not is_manifest(key):
        return UploadOutcome(status="ignored", key=key, message="not a job manifest of this stack")
    version = upload_identity(detail["object"])
    manifest = S3Ref(bucket, key)
    try:
        job = validate_job(parse_document(get_bytes(s3, bucket, key), key))
        resolve_job(job, S3Ref(bucket, manifest.folder), bucket)
    except InvalidJob as exc:
        error_key = error_key_for(key)
        put_json(
            s3,
            bucket,
            error_key,
            {
                "manifest": manifest.uri,
                "version": version,
                "error": "CloudBurst.InvalidJob",
                "message": exc.message,
                "at": now(),
            },
        )
        return UploadOutcome(status="refused", key=key, error_key=error_key, message=exc.message)
    job_id = manifest_job_id(job.name, bucket, key, version)
    try:
        started = sfn.start_execution(
            stateMachineArn=state_machine_arn, name=job_id, input=json.dumps({"job_uri": manifest.uri})
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        return UploadOutcome(status="already_started", key=key, job_id=job_id)
    delete_object(s3, bucket, error_key_for(key))
    return UploadOutcome(status="started", key=key, job_id=job_id, execution_arn=started["executionArn"])
