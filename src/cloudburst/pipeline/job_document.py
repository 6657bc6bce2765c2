"""The job document as the Plan Lambda and the S3 trigger receive it: where it comes from, whether it is
valid, and where its inputs are.

Inputs live in the stack's bucket and nowhere else: the Lambdas' role can read only that bucket, so an input
elsewhere is refused here, by name, instead of failing later inside a container with AccessDenied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from cloudburst.models.errors import describe_validation_error
from cloudburst.models.job import JobSpec, SceneSpec, parse_s3_uri
from cloudburst.pipeline.errors import InvalidJob

MAX_LISTED_PROBLEMS = 20


@dataclass(frozen=True)
class S3Ref:
    bucket: str
    key: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def folder(self) -> str:
        """The key's folder with its trailing slash ('' at the bucket's root)."""
        return self.key.rsplit("/", 1)[0] + "/" if "/" in self.key else ""


PROBLEM_PREFIX = "- "
"""How an InvalidJob message lists its problems, one per line after its heading."""


def invalid(problems: list[str], heading: str = "The job is invalid") -> InvalidJob:
    """One InvalidJob naming every problem (the first 20, then how many more)."""
    shown = problems[:MAX_LISTED_PROBLEMS]
    more = len(problems) - len(shown)
    heading_line = f"{heading} ({len(problems)} problem{'s' if len(problems) != 1 else ''}):"
    lines = [heading_line, *(f"{PROBLEM_PREFIX}{p}" for p in shown)]
    if more:
        lines.append(f"{PROBLEM_PREFIX}... and {more} more")
    return InvalidJob("\n".join(lines))


def listed_problems(message: str) -> list[str]:
    """The problems an `invalid` message lists, one per line (what a client shows of a refused job)."""
    lines = message.splitlines()
    return [line.removeprefix(PROBLEM_PREFIX).strip() for line in lines if line.startswith(PROBLEM_PREFIX)]


def job_reference(execution_input: Any, bucket: str) -> S3Ref | None:
    """The manifest an execution input points at (`{"job_uri": "s3://..."}`), or None for an inline job."""
    if not isinstance(execution_input, dict) or "job_uri" not in execution_input:
        return None
    extra = sorted(set(execution_input) - {"job_uri"})
    if extra:
        raise invalid([f"job_uri: give the job or a job_uri alone; unexpected fields: {', '.join(extra)}"])
    uri = execution_input["job_uri"]
    try:
        ref = S3Ref(*parse_s3_uri(str(uri)))
    except ValueError:
        raise invalid([f"job_uri: {uri!r} is not an s3://bucket/key URI"]) from None
    if ref.bucket != bucket:
        raise invalid([outside_bucket("job_uri", ref.uri, bucket)])
    return ref


def parse_document(raw: bytes, where: str) -> dict[str, Any]:
    """The job object in a manifest's bytes; InvalidJob, naming `where`, for anything else."""
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid([f"{where}: not valid JSON ({exc})"]) from None
    if not isinstance(document, dict):
        raise invalid([f"{where}: holds a JSON {json_type(document)}; a job is a JSON object"])
    return document


def inline_document(execution_input: Any) -> dict[str, Any]:
    """The job given inline as the execution's input; InvalidJob saying what to give instead."""
    if not isinstance(execution_input, dict):
        raise invalid(
            [
                f"the execution input is a JSON {json_type(execution_input)}; give the job itself (a JSON object) "
                'or {"job_uri": "s3://<bucket>/<key>"}'
            ]
        )
    return execution_input


def json_type(value: Any) -> str:
    """JSON's name for a decoded value's type, as users know it from the document."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def validate_job(document: Any) -> JobSpec:
    """The JobSpec, or InvalidJob with one sentence per problem (field path first)."""
    try:
        return JobSpec.model_validate(document)
    except ValidationError as exc:
        raise invalid(describe_validation_error(exc, JobSpec)) from None


def outside_bucket(field: str, uri: str, bucket: str) -> str:
    return (
        f"{field}: {uri} is outside the stack's bucket {bucket!r}; CloudBurst reads only its own bucket "
        "(upload the file there, e.g. with the cloudburst CLI)"
    )


def resolve_input(ref: str, folder: S3Ref) -> S3Ref:
    """An input as written in the job (s3:// URI or a key relative to the job's folder) → bucket and key."""
    if ref.startswith("s3://"):
        return S3Ref(*parse_s3_uri(ref))
    return S3Ref(folder.bucket, folder.key + ref)


def scene_inputs(job: JobSpec, scene: SceneSpec, folder: S3Ref) -> dict[str, S3Ref]:
    """The scene's inputs by role (image, audio, subtitles, watermark), resolved; the job's watermark applies
    to every scene that has none of its own."""
    refs = scene.input_refs()
    watermark = job.watermark_for(scene)
    if watermark is not None:
        refs["watermark"] = watermark
    return {role: resolve_input(ref, folder) for role, ref in refs.items()}


def resolve_job(job: JobSpec, folder: S3Ref, bucket: str) -> dict[str, dict[str, S3Ref]]:
    """Every scene's resolved inputs; InvalidJob naming each input outside the stack's bucket."""
    resolved: dict[str, dict[str, S3Ref]] = {}
    problems: list[str] = []
    for index, scene in enumerate(job.scenes):
        inputs = scene_inputs(job, scene, folder)
        for role, ref in inputs.items():
            if ref.bucket != bucket:
                problems.append(outside_bucket(f"scenes[{index}].{role}", ref.uri, bucket))
        resolved[scene.name] = inputs
    if problems:
        raise invalid(problems)
    return resolved


def absolute_job_document(job: JobSpec, resolved: dict[str, dict[str, S3Ref]]) -> dict[str, Any]:
    """The job as written to runs/<job>/job.json: the same document with every input an s3:// URI."""
    document = job.model_dump(mode="json", exclude_none=True)
    document.pop("watermark", None)
    for scene in document["scenes"]:
        for role, ref in resolved[scene["name"]].items():
            scene[role] = ref.uri
    return document
