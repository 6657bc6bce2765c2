"""A batch's scene requests, written once by PlanJob to `runs/<job>/scenes/<index>.json` and read by the
per-scene states. Batch items carry only scene names (Step Functions payloads are capped at 256 KiB), so
RenderScene and CopyOutput look the full request up here: one small GET per call, never cached, so a rerun of
the same job id always sees the plan it was given."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudburst.aws.s3 import get_json
from cloudburst.pipeline.payloads import SceneRequest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


def scene_request(s3: S3Client, bucket: str, key: str, name: str) -> SceneRequest:
    for item in get_json(s3, bucket, key):
        if item.get("name") == name:
            return SceneRequest.model_validate(item)
    raise KeyError(f"scene {name!r} is not in s3://{bucket}/{key}")
