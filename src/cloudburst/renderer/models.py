"""The renderer API's bodies (v1): what `POST /v1/renders` takes and what the routes answer.

These models *are* the contract of docs/architecture.md ("The renderer HTTP API"); the OpenAPI document in
`schemas/renderer-openapi.json` is generated from them and a test keeps the two in step. Render options are
the shared `RenderOptions`, so a job the Plan Lambda accepted is never refused here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cloudburst.models.job import SCENE_NAME_PATTERN
from cloudburst.models.render_options import RenderOptions, StrictModel
from cloudburst.renderer.urls import MAX_URL_LENGTH, check_input_url

InputUrl = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="An http(s) URL the renderer downloads (a presigned S3 GET URL in production).",
    ),
    AfterValidator(check_input_url),
]


class RenderInputs(StrictModel):
    image_url: InputUrl = Field(description="PNG, JPEG or WebP image.")
    audio_url: InputUrl = Field(description="MP3, WAV, M4A/AAC, Ogg (Vorbis/Opus) or FLAC narration.")
    subtitles_url: InputUrl | None = Field(default=None, description="UTF-8 SRT or WebVTT subtitles.")
    watermark_url: InputUrl | None = Field(default=None, description="PNG, JPEG or WebP watermark image.")


class RenderRequest(StrictModel):
    """Body of `POST /v1/renders`."""

    inputs: RenderInputs
    options: RenderOptions = RenderOptions()
    scene: str | None = Field(
        default=None, pattern=SCENE_NAME_PATTERN, description="The scene's name, echoed in statuses and logs."
    )
    idempotency_key: str | None = Field(
        default=None,
        pattern=r"^[\x21-\x7e]{1,200}$",
        description="A retried request with the same key returns the render it created (200) instead of a new "
        "one; URLs may differ between attempts (presigned again), so the body is not compared.",
    )


class RenderState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Reply(BaseModel):
    """Answers are plain data: no validation of our own output beyond types."""

    model_config = ConfigDict(frozen=True)


class RenderAccepted(Reply):
    render_id: str
    status: RenderState


class Timings(Reply):
    queued_s: float | None = Field(description="From submission until a worker took the render.")
    download_s: float | None = Field(description="Downloading the inputs (often while queued: prefetch).")
    render_s: float | None = Field(description="The media pipeline: probe, filter, encode.")
    total_s: float | None = Field(description="From submission until succeeded or failed.")


class OutputInfo(Reply):
    size_bytes: int
    duration_s: float
    sha256: str
    width: int
    height: int
    fps: int


class ErrorDetail(Reply):
    code: str
    message: str
    field: str | None = None


class ErrorResponse(Reply):
    error: ErrorDetail


class RenderStatus(Reply):
    render_id: str
    scene: str | None
    status: RenderState
    progress: float = Field(ge=0, le=1)
    created_at: float = Field(description="Epoch seconds (UTC).")
    started_at: float | None
    finished_at: float | None
    timings: Timings
    output: OutputInfo | None
    error: ErrorDetail | None


class Health(Reply):
    status: Literal["ok", "shutting_down"]
    version: str
    ffmpeg: str
    busy: bool
    queued: int
    running: int
    uptime_s: float


class ShutdownMode(StrEnum):
    DRAIN = "drain"  # finish queued and running renders, then exit
    CANCEL = "cancel"  # cancel them, then exit


class ShutdownRequest(StrictModel):
    mode: ShutdownMode = ShutdownMode.DRAIN


class ShutdownAccepted(Reply):
    status: Literal["shutting_down"] = "shutting_down"
    mode: ShutdownMode
    queued: int
    running: int
