"""CloudBurst: turn scenes (a still image, a narration track, optional subtitles) into MP4 videos, many at
once, on AWS Fargate containers that exist only while they work, or on this machine's local cloud.

    import cloudburst

    job = cloudburst.Job.from_folder("examples/story")
    with cloudburst.connect() as target:  # CLOUDBURST_STACK's stack, else the local cloud
        handle = cloudburst.submit(job, target)
        videos = handle.download("output")  # each video as soon as it lands
        print(handle.report().cost.total_usd)

The names below are loaded on first use: the Lambda functions import this package too, and they need none
of the client's modules.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from cloudburst.version import __version__

if TYPE_CHECKING:
    from cloudburst.client.connect import connect
    from cloudburst.client.errors import CloudBurstError, InvalidJob
    from cloudburst.client.handle import JobHandle
    from cloudburst.client.job import Job, Scene
    from cloudburst.client.submit import submit
    from cloudburst.client.targets import Target

_EXPORTS = {
    "CloudBurstError": "cloudburst.client.errors",
    "InvalidJob": "cloudburst.client.errors",
    "Job": "cloudburst.client.job",
    "JobHandle": "cloudburst.client.handle",
    "Scene": "cloudburst.client.job",
    "Target": "cloudburst.client.targets",
    "connect": "cloudburst.client.connect",
    "submit": "cloudburst.client.submit",
}

__all__ = ["CloudBurstError", "InvalidJob", "Job", "JobHandle", "Scene", "Target", "__version__", "connect", "submit"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cloudburst' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
