"""Which media pipeline function the service calls: the real encoder, or the stub for scale tests.

`CLOUDBURST_STUB_RENDER=1` swaps in `render_stub`, which writes a tiny valid MP4 of the right duration without
encoding frames, so a 2,000-scene job can run through the whole system on one machine.
"""

from __future__ import annotations

import importlib
import shutil

from cloudburst.renderer.service import RenderFunction


def select_render_function(*, stub: bool) -> RenderFunction:
    # Imported here, not at module level, so `--help` and `--export-openapi` do not load the media stack.
    module = importlib.import_module("cloudburst.renderer.media.render")
    function: RenderFunction = getattr(module, "render_stub" if stub else "render_scene")
    return function


def ffmpeg_binary() -> str:
    """The ffmpeg the pipeline runs (for /healthz)."""
    return shutil.which("ffmpeg") or "ffmpeg"
