"""What can go wrong on the user's side of CloudBurst, as exceptions that carry a fix.

Every error the helper raises is a `CloudBurstError`: one sentence saying what is wrong, and a `hint` saying
what to do about it. The CLI prints exactly those two things (never a traceback unless asked), and maps each
class to an exit code scripts can rely on; Python users can catch the class they care about.
"""

from __future__ import annotations

from collections.abc import Sequence


class CloudBurstError(Exception):
    """Base class: `message` says what is wrong, `hint` how to fix it (may be empty)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class InvalidJob(CloudBurstError):
    """The job was refused before anything was uploaded; `problems` has one sentence per problem, each naming
    the scene and the input (or the option) it is about.

    The default hint points at the problems where they are shown: printed above it on a terminal, or in the
    `problems` field of the CLI's JSON error (`json_hint`), where nothing is "above"."""

    DEFAULT_HINT = "Fix the inputs named above and run the command again."
    DEFAULT_JSON_HINT = "Fix each input or option named in `problems` and run the command again."

    def __init__(self, problems: Sequence[str], hint: str = "") -> None:
        self.problems = list(problems)
        count = len(self.problems)
        summary = f"the job is invalid ({count} problem{'s' if count != 1 else ''}): " + "; ".join(self.problems[:3])
        if count > 3:
            summary += f"; and {count - 3} more"
        super().__init__(summary, hint or self.DEFAULT_HINT)
        self.json_hint = hint or self.DEFAULT_JSON_HINT


class TargetUnavailable(CloudBurstError):
    """The stack or the local cloud cannot be reached or does not look like a CloudBurst deployment."""


class JobNotFound(CloudBurstError):
    """No execution with that job id exists on the target."""


class JobRunFailed(CloudBurstError):
    """The job as a whole failed (not just some scenes): planning refused it, it was cancelled or timed out."""

    def __init__(self, message: str, hint: str = "", *, status: str = "FAILED", error: str | None = None) -> None:
        super().__init__(message, hint)
        self.status = status
        self.error = error


class DownloadFailed(CloudBurstError):
    """A video could not be fetched, or what arrived does not match its recorded size or SHA-256."""


class ReportNotReady(CloudBurstError):
    """The job has not written its report yet (it is still running, or it stopped before the report)."""
