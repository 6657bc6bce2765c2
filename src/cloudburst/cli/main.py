"""The `cloudburst` command: one verb per thing a user does with a job, the same options everywhere.

Every failure a user can cause or fix ends as one sentence and its fix on stderr (or a JSON `error` object
with --json) and a documented exit code; only --debug shows a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from importlib import import_module
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from cloudburst.cli.exit_codes import EXIT_CODES_HELP, ExitCode, exit_code_for_error
from cloudburst.cli.options import UsageError, add_job_options, add_output_options, add_target_options
from cloudburst.cli.output import Output
from cloudburst.client.errors import CloudBurstError
from cloudburst.version import __version__

Command = Callable[[argparse.Namespace, Output], int]
CommandRef = str
"""`module:function` of a command; imported only when that command runs, so `--help` and a quick
`validate` do not pay for what other verbs import (the local cloud, the planner, rich's live display)."""

DESCRIPTION = """Render scenes (a still image, narration audio, optional subtitles) into MP4 videos, many at once,
on a deployed CloudBurst stack (AWS Fargate) or on this machine's local cloud.

The one command most people need:  cloudburst render FOLDER"""


RUN, JOB, TASKS = "cloudburst.cli.run_commands:", "cloudburst.cli.job_commands:", "cloudburst.cli.task_commands:"


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors as one sentence and exit code 2 (argparse's own convention, kept)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(ExitCode.INVALID_INPUT, f"error: {message}\nRun `{self.prog} --help` for the options.\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cloudburst",
        description=DESCRIPTION,
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cloudburst {__version__}")
    add_target_options(parser)
    add_output_options(parser)
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser)
    verbs.required = True

    def verb(name: str, help_text: str, command: CommandRef, *, target: bool = True) -> argparse.ArgumentParser:
        sub = verbs.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        if target:
            add_target_options(sub, suppress_defaults=True)
        add_output_options(sub, suppress_defaults=True)
        sub.set_defaults(command=command)
        return sub

    render = verb(
        "render", "Render a job: upload, run, download each video as it lands, show the report.", RUN + "render"
    )
    add_job_options(render)
    _add_destination(render, "videos, report and timeline")
    render.add_argument("--no-download", action="store_true", help="leave the videos in S3")
    render.add_argument("--rerun", action="store_true", help="render again even if this exact job succeeded before")
    render.add_argument("--open", action="store_true", help="open the timeline in a browser at the end")

    submit = verb("submit", "Upload and start a job, print its id, and return.", RUN + "submit")
    add_job_options(submit)
    submit.add_argument("--rerun", action="store_true", help="start again even if this exact job succeeded before")

    for name, help_text, command in (
        ("status", "Show where a job stands: scenes done/failed, tasks, time, cost.", RUN + "status"),
        ("wait", "Follow a job until it ends; the exit code says how it ended.", RUN + "wait"),
        ("download", "Download a job's videos (each as soon as it lands).", RUN + "download"),
        ("report", "Print a job's cost and efficiency report and save its timeline.", RUN + "report"),
        ("cancel", "Cancel a job; the state machine stops its tasks.", RUN + "cancel"),
    ):
        sub = verb(name, help_text, command)
        sub.add_argument("job_id", help="the job id that render/submit printed")
        if name == "wait":
            sub.add_argument("--timeout", type=float, metavar="SECONDS", help="give up waiting after this long")
        if name == "download":
            _add_destination(sub, "videos")
            sub.add_argument("--no-wait", action="store_true", help="fetch what is there now and return")
        if name == "report":
            _add_destination(sub, "report.json and the timeline")
            sub.add_argument("--open", action="store_true", help="open the timeline in a browser")
        if name == "cancel":
            sub.add_argument("--reason", default="cancelled with cloudburst cancel", help="recorded with the job")

    validate = verb("validate", "Check a job (folder or file) without running it.", JOB + "validate", target=False)
    add_job_options(validate)
    plan = verb("plan", "Predict wall time and cost for every profile.", JOB + "plan", target=False)
    add_job_options(plan)
    plan.add_argument("--plan-region", default="us-east-1", metavar="REGION", help="whose prices (default us-east-1)")
    plan.add_argument("--startup-seconds", type=float, metavar="S", help="task start-up time to assume")

    _add_tasks(verbs)
    return parser


def _add_tasks(verbs: argparse._SubParsersAction[_Parser]) -> None:
    """`tasks list` and `tasks cleanup`: a group whose own parser takes the shared options too, so that
    `tasks --json list` works like `--json tasks list` and `tasks list --json`."""
    tasks = verbs.add_parser(
        "tasks",
        help="List or stop CloudBurst's running tasks (by their CreatedBy=cloudburst tag).",
        description="List or stop CloudBurst's running tasks (by their CreatedBy=cloudburst tag).",
    )
    add_target_options(tasks, suppress_defaults=True)
    add_output_options(tasks, suppress_defaults=True)
    task_verbs = tasks.add_subparsers(dest="task_verb", metavar="ACTION", parser_class=_Parser)
    task_verbs.required = True
    for name, help_text, command in (
        ("list", "List CloudBurst's running tasks (all pages).", TASKS + "list_tasks"),
        ("cleanup", "Stop CloudBurst's tasks that no running job owns (--all: every one).", TASKS + "cleanup_tasks"),
    ):
        sub = task_verbs.add_parser(
            name,
            help=help_text,
            description=help_text,
            epilog=EXIT_CODES_HELP,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add_target_options(sub, suppress_defaults=True)
        add_output_options(sub, suppress_defaults=True)
        sub.add_argument("--job", metavar="JOB_ID", help="only this job's tasks")
        if name == "cleanup":
            sub.add_argument("--reason", default="stopped with cloudburst tasks cleanup", help="recorded by ECS")
            sub.add_argument("--all", action="store_true", help="also stop tasks of jobs that are still running")
        sub.set_defaults(command=command)


def _add_destination(parser: argparse.ArgumentParser, what: str) -> None:
    where = f"where the {what} go (default output/<job id>)"
    parser.add_argument("--output", "-o", type=Path, metavar="DIR", help=where)


def main(argv: Sequence[str] | None = None, *, out: Output | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    output = out or Output(json_mode=args.json)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, stream=sys.stderr)
    command = _resolve(args.command)
    try:
        return int(command(args, output))
    except UsageError as exc:
        hint = f"Run `cloudburst {args.verb} --help` for the options."
        output.failure(CloudBurstError(str(exc), hint), ExitCode.INVALID_INPUT)
        return ExitCode.INVALID_INPUT
    except CloudBurstError as exc:
        code = exit_code_for_error(exc)
        _debug_traceback(args.debug)
        output.failure(exc, code)
        return code
    except (BotoCoreError, ClientError) as exc:
        _debug_traceback(args.debug)
        output.failure(
            CloudBurstError(f"AWS refused a request: {exc}", "Check your credentials, region and permissions."),
            ExitCode.JOB_FAILED,
        )
        return ExitCode.JOB_FAILED
    except KeyboardInterrupt:
        output.note("interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        _stop_writing_to_stdout()
        return ExitCode.OUTPUT_CLOSED
    except Exception as exc:  # a bug: say so plainly, and how to see more
        if args.debug:
            raise
        output.failure(
            CloudBurstError(
                f"internal error: {type(exc).__name__}: {exc}",
                "This is a bug in CloudBurst; run again with --debug and report the traceback.",
            ),
            ExitCode.INTERNAL_ERROR,
        )
        return ExitCode.INTERNAL_ERROR


def _resolve(reference: CommandRef) -> Command:
    module, _, name = reference.partition(":")
    command: Command = getattr(import_module(module), name)
    return command


def _stop_writing_to_stdout() -> None:
    """The reader of our output is gone (`cloudburst status J | head`). Point stdout at /dev/null, so that
    Python's final flush of what is still buffered cannot raise again at exit, and stop quietly, as Unix
    tools do: nothing is wrong with CloudBurst, and a job that was started goes on (it is not cancelled,
    unlike Ctrl-C, because closing a pipe is not a request to stop the work)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _debug_traceback(debug: bool) -> None:
    if debug:
        traceback.print_exc(file=sys.stderr)


if __name__ == "__main__":  # python -m cloudburst.cli.main
    sys.exit(main())
