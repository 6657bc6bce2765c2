"""The media pipeline's interface to the HTTP service: what a render takes, returns and raises.

The service downloads the inputs into a work directory and calls `render_scene`; everything about ffmpeg,
motion, subtitles and the fast paths lives behind this interface.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cloudburst.core.subtitle_cues import MAX_SUBTITLE_CUES


@dataclass(frozen=True)
class SceneInputs:
    """Local copies of a scene's inputs (already downloaded, not yet trusted)."""

    image: Path
    audio: Path
    subtitles: Path | None = None
    watermark: Path | None = None


@dataclass(frozen=True)
class Limits:
    """Caps that keep one hostile or mistaken input from exhausting the container."""

    max_image_pixels: int = 100_000_000  # about 12000 x 8000
    max_audio_seconds: float = 3 * 3600.0
    max_subtitle_cues: int = MAX_SUBTITLE_CUES


@dataclass(frozen=True)
class RenderResult:
    path: Path
    size_bytes: int
    duration_s: float
    sha256: str
    width: int
    height: int
    fps: int
    stats: dict[str, float] = field(default_factory=dict)  # e.g. probe_s, encode_s, frames_encoded


class InputRejected(Exception):
    """An input is unusable. `code`: unsupported_input | input_unreadable | input_too_large; `role`: which input."""

    def __init__(self, code: str, role: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.role = role
        self.message = message


class OptionRejected(Exception):
    """An option that cannot work in this render's output frame, which is known only once the image is read
    (a margin that would push the subtitles or the watermark off the frame). `field` is its path inside the
    options ('subtitles.margin'); the service reports it as a refused request, not as a render failure."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RenderCancelled(Exception):
    """The render was cancelled (DELETE, shutdown) before it finished; its files are removed."""


class RenderError(Exception):
    """ffmpeg or the pipeline failed for a reason that is not the inputs' fault."""


class FfmpegFailed(RenderError):
    """An ffmpeg child exited with an error. The message says it in a line (`summary`: its first specific
    complaints); `stderr` keeps what it wrote (head and tail) for the renderer's log, not for users."""

    def __init__(self, label: str, status: int, summary: str, stderr: str) -> None:
        super().__init__(f"{label}: ffmpeg exited with status {status}: {summary}")
        self.label = label
        self.status = status
        self.summary = summary
        self.stderr = stderr
