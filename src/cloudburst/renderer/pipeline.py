"""Which media pipeline function the service calls: the real encoder, or the stub for scale tests.

`CLOUDBURST_STUB_RENDER=1` swaps in `render_stub`, which writes a tiny valid MP4 of the right duration without
encoding frames, so a 2,000-scene job can run through the whole system on one machine.
"""

from __future__ import annotations

from cloudburst.renderer.media import binaries
from cloudburst.renderer.media.api import RenderError
from cloudburst.renderer.service import RenderFunction


def select_render_function(*, stub: bool) -> RenderFunction:
    # Imported here, not at module level, so `--help` and `--export-openapi` do not load the media stack.
    from cloudburst.renderer.media import render  # noqa: PLC0415

    return render.render_stub if stub else render.render_scene


def ffmpeg_version() -> str:
    """What /healthz reports, e.g. `ffmpeg version 5.1.6-0+deb12u1`; 'unavailable' when ffmpeg is missing
    (the process still starts, so the health check and the renders' errors say what is wrong)."""
    try:
        return binaries.ffmpeg_version()
    except (RenderError, OSError):
        return "unavailable"


def video_encoder() -> str:
    """Which x264 encodes the moving scenes (logged at start, for the same reason as `frame_resampler`); a
    wrong `CLOUDBURST_ENCODER` is reported here rather than by the first moving render."""
    from cloudburst.renderer.media import libx264  # noqa: PLC0415 - keeps the media stack out of light imports

    try:
        return libx264.encoder_name()
    except RenderError as exc:
        return f"misconfigured: {exc}"


def frame_resampler() -> str:
    """Which bilinear resize makes the moving frames (logged at start: an image whose C extension did not
    build would still render the same bytes, only more slowly, and this is where that shows)."""
    from cloudburst.renderer.media import resample  # noqa: PLC0415 - loads OpenCV

    return resample.resampler()
