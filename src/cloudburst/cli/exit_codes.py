"""Exit codes scripts can rely on, and which outcome gets which."""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from cloudburst.client.errors import CloudBurstError, InvalidJob, JobNotFound

if TYPE_CHECKING:
    from cloudburst.client.status import JobStatus


class ExitCode(IntEnum):
    OK = 0  # every scene succeeded (or the command did what it was asked)
    INTERNAL_ERROR = 1  # a bug in CloudBurst: run again with --debug and report it
    INVALID_INPUT = 2  # bad job, bad arguments, unknown job id: nothing was started
    SCENES_FAILED = 3  # the job ran to the end but some scenes failed (the others were delivered)
    JOB_FAILED = 4  # the job failed as a whole, was cancelled, or could not run (target, AWS, download)
    INTERRUPTED = 130  # Ctrl-C (the job was cancelled, its tasks stopped)
    OUTPUT_CLOSED = 141  # the reader of the output went away (`| head`), as for a tool killed by SIGPIPE


EXIT_CODES_HELP = """exit codes:
  0    every scene succeeded (or the command did what it was asked)
  2    invalid input or usage: nothing was started
  3    the job ran to the end but some scenes failed (the others were delivered)
  4    the job failed as a whole, was cancelled, or could not run
  130  interrupted (Ctrl-C): the job was cancelled and its tasks stopped
  141  the output's reader went away (`| head`); a job already started goes on
  1    an internal error (run again with --debug and report it)"""


def exit_code_for_status(status: JobStatus) -> ExitCode:
    """The exit code of a command that followed a job to its end."""
    if status.all_succeeded:
        return ExitCode.OK
    if status.refused:
        return ExitCode.INVALID_INPUT
    if status.ran_to_the_end:
        return ExitCode.SCENES_FAILED
    return ExitCode.JOB_FAILED


def exit_code_for_error(exc: BaseException) -> ExitCode:
    if isinstance(exc, InvalidJob | JobNotFound):
        return ExitCode.INVALID_INPUT
    if isinstance(exc, CloudBurstError | BotoCoreError | ClientError):
        return ExitCode.JOB_FAILED
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.INTERNAL_ERROR
