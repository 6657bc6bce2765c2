"""Where the ffmpeg and ffprobe executables are, and which version runs.

The container image installs Debian's ffmpeg on the PATH; a developer machine may point elsewhere with
`CLOUDBURST_FFMPEG` / `CLOUDBURST_FFPROBE` (for instance a static build). Looked up once per process.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

from cloudburst.renderer.media.api import RenderError


@functools.cache
def ffmpeg() -> str:
    """Absolute path of the ffmpeg executable; RenderError if there is none (a broken image, not bad input)."""
    return _locate("ffmpeg", "CLOUDBURST_FFMPEG")


@functools.cache
def ffprobe() -> str:
    return _locate("ffprobe", "CLOUDBURST_FFPROBE")


@functools.cache
def ffmpeg_version() -> str:
    """The first line of `ffmpeg -version` without the copyright, e.g. 'ffmpeg version 5.1.6-0+deb12u1'."""
    result = subprocess.run([ffmpeg(), "-hide_banner", "-version"], capture_output=True, text=True, check=False)
    first = result.stdout.splitlines()[0] if result.stdout else "ffmpeg version unknown"
    return first.split(" Copyright")[0].strip()


def _locate(name: str, variable: str) -> str:
    configured = os.environ.get(variable)
    found = shutil.which(configured or name)
    if found is None:
        where = f"{variable}={configured!r}" if configured else "the PATH"
        raise RenderError(f"{name} is not installed (looked in {where})")
    return found
