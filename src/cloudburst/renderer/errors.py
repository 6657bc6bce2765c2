"""The renderer's error vocabulary: what a request or a render can fail with, and the HTTP status of each.

The codes are part of the API (docs/architecture.md): the driving Lambdas decide from them whether to retry a
scene, report it failed, or give up on the task, so they are named constants, never ad-hoc strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    # refusals of a request
    INVALID_REQUEST = "invalid_request"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    NOT_READY = "not_ready"
    SHUTTING_DOWN = "shutting_down"
    QUEUE_FULL = "queue_full"
    # failures of a render (also answered by GET .../output of a failed render)
    INPUT_DOWNLOAD_FAILED = "input_download_failed"
    INPUT_TOO_LARGE = "input_too_large"
    UNSUPPORTED_INPUT = "unsupported_input"
    INPUT_UNREADABLE = "input_unreadable"
    RENDER_FAILED = "render_failed"
    CANCELLED = "cancelled"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.NOT_READY: 409,
    ErrorCode.SHUTTING_DOWN: 503,
    ErrorCode.QUEUE_FULL: 503,
    ErrorCode.INPUT_DOWNLOAD_FAILED: 409,
    ErrorCode.INPUT_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_INPUT: 422,
    ErrorCode.INPUT_UNREADABLE: 422,
    ErrorCode.RENDER_FAILED: 409,
    ErrorCode.CANCELLED: 409,
}
"""Status of a refused request, and of `GET /v1/renders/{id}/output` for a render that failed with the code:
the inputs' own faults get their own statuses (413, 422); other failures mean "there is no output" (409)."""

INPUT_ROLES = ("image", "audio", "subtitles", "watermark")


def input_field(role: str) -> str:
    """The request field that carried an input: 'audio' → 'inputs.audio_url'."""
    return f"inputs.{role}_url"


@dataclass(frozen=True)
class Failure:
    """Why a request was refused or a render failed: the `{"code", "message", "field"?}` of the API."""

    code: ErrorCode
    message: str
    field: str | None = None

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]

    def as_json(self) -> dict[str, str]:
        body = {"code": self.code.value, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


class ApiError(Exception):
    """Raised by the service and the routes; the server turns it into `{"error": {...}}` with its status."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.failure = Failure(code, message, field)
