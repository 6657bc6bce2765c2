"""A batch's scene requests (written once by PlanJob to `runs/<job>/scenes/<index>.json`), read by the
per-scene states. The file never changes after planning, so a warm Lambda keeps the last few in memory
instead of fetching the same document for every scene of the batch."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from cloudburst.aws.s3 import get_json
from cloudburst.pipeline.payloads import SceneRequest

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_CACHED_BATCHES = 8
_cache: OrderedDict[tuple[str, str], dict[str, SceneRequest]] = OrderedDict()
_lock = threading.Lock()


def scene_request(s3: S3Client, bucket: str, key: str, name: str) -> SceneRequest:
    with _lock:
        batch = _cache.get((bucket, key))
        if batch is not None:
            _cache.move_to_end((bucket, key))
    if batch is None:
        batch = {item["name"]: SceneRequest.model_validate(item) for item in get_json(s3, bucket, key)}
        with _lock:
            _cache[(bucket, key)] = batch
            while len(_cache) > _CACHED_BATCHES:
                _cache.popitem(last=False)
    try:
        return batch[name]
    except KeyError:
        raise KeyError(f"scene {name!r} is not in s3://{bucket}/{key}") from None
