"""The errors the state machine retries or catches, by name.

Step Functions matches a Lambda failure on the exception's class name (`errorType`), so these names are an
API shared with `statemachine/cloudburst.asl.json`: renaming one is a breaking change to the state machine.
Retryable errors describe a condition that time can fix (a task still starting, a renderer briefly refusing
connections); the others describe a fact that retrying cannot change (an invalid job, a failed render).
"""

from __future__ import annotations

MAX_MESSAGE_CHARS = 1000
"""Error messages travel in Step Functions payloads and history (256 KiB per payload): keep them short."""


class PipelineError(Exception):
    """Base of the named errors; the message is trimmed so a caught error never bloats the state's output."""

    def __init__(self, message: str) -> None:
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[: MAX_MESSAGE_CHARS - 1] + "…"
        super().__init__(message)
        self.message = message


class InvalidJob(PipelineError):
    """The job document or one of its inputs is unusable; the message lists every problem found.

    Not retryable: the state machine ends in the Fail state `CloudBurst.InvalidJob` before any task starts.
    """


class TaskNotReady(PipelineError):
    """The batch's renderer task is not running yet, or its API does not answer yet. Retryable."""


class TaskStartTimedOut(PipelineError):
    """The renderer task did not become ready within the batch's start timeout. Not retryable."""


class TaskLaunchFailed(PipelineError):
    """RunTask gave up (capacity, quota, bad parameters) after its retries: no task is coming. Not retryable."""


class TaskStoppedBeforeReady(PipelineError):
    """The renderer task stopped before its API ever answered (image pull failure, crash...). Not retryable."""


class RendererUnavailable(PipelineError):
    """The renderer did not answer (connection refused or reset, timeout, 503). Retryable with backoff."""


class RenderRejected(PipelineError):
    """The renderer refused the render request (400/401/404/413/422): the request or an input is wrong."""

    def __init__(self, message: str, code: str = "invalid_request") -> None:
        super().__init__(message)
        self.code = code


class RenderFailed(PipelineError):
    """The renderer reports the render as failed; the message is the renderer's error code and message."""


class RenderTimedOut(PipelineError):
    """The render ran past its scene's deadline; it has been cancelled on the renderer."""


class OutputMismatch(PipelineError):
    """The copied video's size or SHA-256 differs from what the renderer reported. Retryable (copy again)."""


RETRYABLE_ERRORS: tuple[type[PipelineError], ...] = (TaskNotReady, RendererUnavailable, OutputMismatch)
"""What the state machine retries (with backoff); everything else in this module is caught, never retried."""
