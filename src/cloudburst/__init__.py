"""CloudBurst: turn scenes (a still image, a narration track, optional subtitles) into MP4 videos, many at
once, on AWS Fargate containers that exist only while they work, or on this machine's local cloud."""

from cloudburst.version import __version__

__all__ = ["__version__"]
