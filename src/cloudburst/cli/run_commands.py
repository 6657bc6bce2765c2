"""The commands that run or follow a job: render, submit, status, wait, download, report, cancel."""

from __future__ import annotations

import argparse
import time
import webbrowser
from pathlib import Path

from cloudburst.cli.display import RunDisplay, submitted_payload, video_payload
from cloudburst.cli.exit_codes import ExitCode, exit_code_for_status
from cloudburst.cli.formatting import outcome_line, report_lines, status_line, video_line
from cloudburst.cli.options import job_from_args, target_choice
from cloudburst.cli.output import Output
from cloudburst.client import layout
from cloudburst.client.connect import open_target
from cloudburst.client.errors import CloudBurstError, ReportNotReady
from cloudburst.client.handle import JobEnded, JobHandle
from cloudburst.client.status import JobStatus
from cloudburst.client.submit import submit_job
from cloudburst.client.targets import Target

DEFAULT_OUTPUT = Path("output")


def render(args: argparse.Namespace, out: Output) -> int:
    """Check, upload, start, follow, download each video as it lands, then show the report."""
    job = job_from_args(args)
    inspection = job.validate()
    with open_target(target_choice(args), allow_embedded=True) as target:
        display = out.run_display()
        handle: JobHandle | None = None
        final: JobStatus | None = None
        try:
            submission = submit_job(job, target, rerun=args.rerun, on_upload=display.uploading, inspection=inspection)
            handle = submission.handle
            display.submitted(handle, submission.uploads)
            destination = _destination(args, handle)
            final = _follow(handle, display, None if args.no_download else destination)
        except KeyboardInterrupt:
            display.close()
            _cancel_after_interrupt(handle, final, out, "cloudburst render")
            return ExitCode.INTERRUPTED
        finally:
            display.close()
        _show_report(handle, final, destination, out, open_timeline=args.open)
        return exit_code_for_status(final)


def submit(args: argparse.Namespace, out: Output) -> int:
    """Check, upload and start the job, then return (the job keeps running on its target)."""
    job = job_from_args(args)
    inspection = job.validate()
    with open_target(target_choice(args), allow_embedded=False) as target:
        submission = submit_job(job, target, rerun=args.rerun, inspection=inspection)
        handle = submission.handle
        payload = submitted_payload(handle, submission.uploads)
        out.note(
            f"{'attached to' if handle.reused else 'started'} job {handle.job_id} on {target.description}; "
            f"{len(submission.uploads.uploaded)} inputs uploaded, {len(submission.uploads.skipped)} already there"
        )
        out.result("submitted", payload, [handle.job_id])
    return ExitCode.OK


def status(args: argparse.Namespace, out: Output) -> int:
    with _target_for_job(args) as target:
        current = JobHandle.attach(target, args.job_id).status()
        lines = [f"{current.job_id}: {current.job_state.value.replace('_', ' ')}; {status_line(current)}"]
        if current.finished:
            lines.append(outcome_line(current))
        lines.extend(f"  failed: {scene}: {why}" for scene, why in sorted(current.failed_scenes.items()))
        out.result("status", current.as_dict(), lines)
    return ExitCode.OK


def wait(args: argparse.Namespace, out: Output) -> int:
    with _target_for_job(args) as target:
        handle = JobHandle.attach(target, args.job_id)
        display = out.run_display()
        try:
            final = _follow(handle, display, None, timeout_s=args.timeout)
        except KeyboardInterrupt:
            out.note(f"stopped waiting; job {handle.job_id} goes on (cloudburst cancel {handle.job_id} stops it)")
            return ExitCode.INTERRUPTED
        finally:
            display.close()
    return exit_code_for_status(final)


def download(args: argparse.Namespace, out: Output) -> int:
    with _target_for_job(args) as target:
        handle = JobHandle.attach(target, args.job_id)
        destination = _destination(args, handle)
        if args.no_wait:
            videos = handle.download(destination, wait=False)
            current = handle.status()
            lines = [video_line(video) for video in videos] or [_no_videos(current)]
            payload = {"videos": [video_payload(video) for video in videos], "job": current.as_dict()}
            out.result("downloaded", payload, lines)
            return exit_code_for_status(current) if current.finished else ExitCode.OK
        display = out.run_display()
        try:
            final = _follow(handle, display, destination)
        except KeyboardInterrupt:
            out.note(f"stopped downloading; job {handle.job_id} goes on")
            return ExitCode.INTERRUPTED
        finally:
            display.close()
    return exit_code_for_status(final)


def _no_videos(status: JobStatus) -> str:
    """Why there is nothing to download: not yet (it runs), or never (it ended without any)."""
    if not status.finished:
        return f"no videos of {status.job_id} yet; it is still running (run without --no-wait to wait for them)"
    return f"no videos of {status.job_id}: it ended ({status.job_state.value.replace('_', ' ')}) without any"


def report(args: argparse.Namespace, out: Output) -> int:
    with _target_for_job(args) as target:
        handle = JobHandle.attach(target, args.job_id)
        document = handle.report()
        destination = _destination(args, handle)
        files = handle.save_report_files(destination)
        lines = report_lines(document) + [f"Saved {path}" for path in files]
        timeline = destination / layout.TIMELINE_HTML_NAME
        out.result(
            "report",
            {"report": document.model_dump(mode="json", by_alias=True), "files": [str(path) for path in files]},
            lines,
        )
        if args.open and timeline in files:
            webbrowser.open(timeline.resolve().as_uri())
    return ExitCode.OK


def cancel(args: argparse.Namespace, out: Output) -> int:
    with _target_for_job(args) as target:
        handle = JobHandle.attach(target, args.job_id)
        stopped = handle.cancel(args.reason)
        text = (
            f"job {handle.job_id} cancelled; the state machine is stopping its tasks "
            f"(`cloudburst report {handle.job_id}` prices them once they have stopped)"
            if stopped
            else f"job {handle.job_id} had already ended; nothing to cancel"
        )
        out.result("cancelled", {"job_id": handle.job_id, "cancelled": stopped}, [text])
    return ExitCode.OK


# -- shared steps -----------------------------------------------------------------------------------------------


def _target_for_job(args: argparse.Namespace) -> Target:
    """A job that is already running lives on a stack or a serving local cloud, never an embedded one."""
    return open_target(target_choice(args), allow_embedded=False)


def _destination(args: argparse.Namespace, handle: JobHandle) -> Path:
    chosen: Path | None = args.output
    return chosen if chosen is not None else DEFAULT_OUTPUT / handle.job_id


def _follow(
    handle: JobHandle, display: RunDisplay, destination: Path | None, *, timeout_s: float | None = None
) -> JobStatus:
    """Show every event of the job until it ends (downloading into `destination` if given)."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    for event in handle.watch(destination):
        display.event(event)
        if isinstance(event, JobEnded):
            return event.status
        if deadline is not None and time.monotonic() > deadline:
            raise CloudBurstError(
                f"job {handle.job_id} is still running after {timeout_s:g} s",
                f"It goes on; check on it with `cloudburst status {handle.job_id}`.",
            )
    raise AssertionError("watch ended without JobEnded")  # pragma: no cover


def _cancel_after_interrupt(handle: JobHandle | None, final: JobStatus | None, out: Output, where: str) -> None:
    """Ctrl-C while a job runs: cancel it, so no task is left running for a job nobody follows."""
    if handle is None or final is not None:
        out.note("interrupted")
        return
    handle.cancel(f"interrupted (Ctrl-C) in {where}")
    out.note(
        f"interrupted: job {handle.job_id} cancelled; the state machine is stopping its tasks "
        f"(`cloudburst report {handle.job_id}` prices them once they have stopped)"
    )


def _show_report(
    handle: JobHandle | None, final: JobStatus | None, destination: Path, out: Output, *, open_timeline: bool
) -> None:
    if handle is None or final is None or not final.ran_to_the_end:
        return
    try:
        document = handle.report()
    except ReportNotReady as exc:
        out.note(f"no report: {exc.message}")
        return
    files = handle.save_report_files(destination)
    timeline = destination / layout.TIMELINE_HTML_NAME
    lines = report_lines(document)
    if timeline in files:
        lines.append(f"Timeline: {timeline}")
    lines.append(f"Videos and report: {destination}")
    out.result(
        "report", {"report": document.model_dump(mode="json", by_alias=True), "files": [str(p) for p in files]}, lines
    )
    if open_timeline and timeline in files:
        webbrowser.open(timeline.resolve().as_uri())
