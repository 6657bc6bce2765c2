"""The commands that run or follow a job: render, submit, status, wait, download, report, cancel."""

from __future__ import annotations

import argparse
import time
import webbrowser
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from cloudburst.cli.display import RunDisplay, submitted_payload, video_payload
from cloudburst.cli.exit_codes import ExitCode, exit_code_for_status
from cloudburst.cli.formatting import outcome_line, report_lines, status_line, video_line
from cloudburst.cli.options import job_from_args, target_choice
from cloudburst.cli.output import Output
from cloudburst.cli.reruns import (
    already_rendered_line,
    in_the_way_reason,
    incomplete_line,
    set_aside_line,
    undelivered_reason,
    videos_not_downloaded_line,
    whole_job_again_line,
)
from cloudburst.client import layout
from cloudburst.client.connect import open_target
from cloudburst.client.delivered import Delivery, files_in_the_way, find_delivery, read_report, set_aside, video_path
from cloudburst.client.errors import CloudBurstError, ReportNotReady
from cloudburst.client.handle import JobEnded, JobHandle, VideoArrived
from cloudburst.client.status import JobStatus
from cloudburst.client.submit import MAX_ATTEMPTS, PreparedJob, Submission, attempt_job_id, prepare_job, submit_job
from cloudburst.client.targets import Target

DEFAULT_OUTPUT = Path("output")
NOT_KEPT = (
    "with --no-download the videos stay in the local cloud inside this command, and end with it; "
    "start `python -m cloudburst.local serve` first to keep them"
)


def render(args: argparse.Namespace, out: Output) -> int:
    """Check, upload, start, follow, download each video as it lands, then show the report. A job whose
    videos are already in the output folder, as its report records them, is not run again (see
    `cloudburst.client.delivered`)."""
    job = job_from_args(args)
    inspection = job.validate()
    with open_target(target_choice(args), allow_embedded=True) as target:
        prepared = prepare_job(job, target, inspection=inspection)
        found = find_delivery(_folders_of(args, prepared), lambda job_id: prepared.attempt_of(job_id) is not None)
        if found is not None and found.complete and not args.rerun:
            out.result("already_rendered", _already_rendered_payload(found), [already_rendered_line(found)])
            return ExitCode.OK
        display = out.run_display()
        handle: JobHandle | None = None
        final: JobStatus | None = None
        try:
            submission = submit_job(job, target, rerun=args.rerun, on_upload=display.uploading, prepared=prepared)
            handle = submission.handle
            display.submitted(handle, submission.uploads)
            destination = _destination(args, handle)
            _explain_a_new_attempt(submission, found, display, rerun=args.rerun)
            _clear_the_way(destination, handle, prepared, display)
            if args.no_download and not target.survives_exit:
                display.notice("warning", {"message": NOT_KEPT}, f"warning: {NOT_KEPT}")
            final, delivered = _follow(handle, display, None if args.no_download else destination)
            if not args.no_download and final.ran_to_the_end:
                _set_aside_undelivered(destination, handle, delivered, display)
        except KeyboardInterrupt:
            display.close()
            _cancel_after_interrupt(handle, final, out, "cloudburst render")
            return ExitCode.INTERRUPTED
        finally:
            display.close()
        _show_report(handle, final, destination, out, open_timeline=args.open, downloaded=not args.no_download)
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
            final, _ = _follow(handle, display, None, timeout_s=args.timeout)
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
            final, _ = _follow(handle, display, destination)
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
) -> tuple[JobStatus, set[str]]:
    """Show every event of the job until it ends (downloading into `destination` if given); the final status
    and the scenes whose videos were delivered into `destination`."""
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    delivered: set[str] = set()
    for event in handle.watch(destination):
        display.event(event)
        if isinstance(event, VideoArrived):
            delivered.add(event.video.scene)
        if isinstance(event, JobEnded):
            return event.status, delivered
        if deadline is not None and time.monotonic() > deadline:
            raise CloudBurstError(
                f"job {handle.job_id} is still running after {timeout_s:g} s",
                f"It goes on; check on it with `cloudburst status {handle.job_id}`.",
            )
    raise AssertionError("watch ended without JobEnded")  # pragma: no cover


def _folders_of(args: argparse.Namespace, prepared: PreparedJob) -> Iterator[Path]:
    """Where an earlier render of this job may have left its report: `--output`, or `output/<id>` of each
    attempt that has such a folder (attempts are numbered from 1 with no gaps, so the first absent one ends it)."""
    chosen: Path | None = args.output
    if chosen is not None:
        yield chosen
        return
    for attempt in range(1, MAX_ATTEMPTS + 1):
        folder = DEFAULT_OUTPUT / attempt_job_id(prepared.spec.name, prepared.document, attempt)
        if not folder.is_dir():
            return
        yield folder


def _already_rendered_payload(found: Delivery) -> dict[str, Any]:
    return {
        "job_id": found.report.job_id,
        "output": str(found.folder),
        "videos": [str(video_path(found.folder, scene)) for scene in found.verified],
    }


def _explain_a_new_attempt(submission: Submission, found: Delivery | None, display: RunDisplay, *, rerun: bool) -> None:
    """Say why every scene is rendered again when an earlier attempt of this job did not deliver it whole."""
    handle = submission.handle
    if handle.reused:
        return
    text: str | None = None
    if found is not None and found.failed_scenes:
        earlier_id = found.report.job_id
        text = whole_job_again_line(
            handle.job_id,
            earlier_id=earlier_id,
            scenes_failed=len(found.failed_scenes),
            scenes_total=found.report.scenes_total,
            where=f"its report in {found.folder}",
        )
    elif submission.earlier is not None:
        earlier_id = submission.earlier.job_id
        failed, total = _scene_counts(JobHandle(handle.target, earlier_id, output_prefix=handle.output_prefix))
        text = whole_job_again_line(
            handle.job_id,
            earlier_id=earlier_id,
            scenes_failed=failed,
            scenes_total=total,
            where=f"{submission.earlier.state.value.lower()} on {handle.target.description}",
        )
    elif found is not None and not rerun:
        earlier_id = found.report.job_id
        text = incomplete_line(handle.job_id, found)
    if text is not None:
        display.notice("rendering_again", {"job_id": handle.job_id, "earlier_job_id": earlier_id}, text)


def _scene_counts(earlier: JobHandle) -> tuple[int | None, int | None]:
    """(failed, total) scenes of an earlier attempt, from its report; (None, None) if it has none."""
    try:
        document = earlier.report()
    except (CloudBurstError, ClientError, ValueError):
        return None, None
    return document.scenes_failed, document.scenes_total


def _clear_the_way(destination: Path, handle: JobHandle, prepared: PreparedJob, display: RunDisplay) -> None:
    """Before anything is written into `destination`: files there that no report of this job vouches for are
    set aside, so the folder never mixes this job's videos with another's."""
    report = read_report(destination)
    if report is not None and prepared.attempt_of(report.job_id) is not None:
        return  # this job's own files: kept, and reused where they are the same bytes
    in_the_way = files_in_the_way(destination, handle.scene_names)
    if not in_the_way:
        return
    moved = [(path, set_aside(path)) for path in in_the_way]
    owner = report.job_id if report is not None else None
    display.notice(
        "set_aside",
        {"folder": str(destination), "job_id": owner, "files": {str(old): str(new) for old, new in moved}},
        set_aside_line(destination, moved, in_the_way_reason(handle.job_id, owner)),
    )


def _set_aside_undelivered(destination: Path, handle: JobHandle, delivered: set[str], display: RunDisplay) -> None:
    """After the job: a video in `destination` for a scene this run did not deliver (it failed) is an
    earlier attempt's, and would sit beside a report that says the scene failed: set it aside."""
    stale = [video_path(destination, scene) for scene in handle.scene_names if scene not in delivered]
    moved = [(path, set_aside(path)) for path in stale if path.is_file()]
    if moved:
        display.notice(
            "set_aside",
            {"folder": str(destination), "job_id": handle.job_id, "files": {str(old): str(new) for old, new in moved}},
            set_aside_line(destination, moved, undelivered_reason(handle.job_id, [old.stem for old, _ in moved])),
        )


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
    handle: JobHandle | None,
    final: JobStatus | None,
    destination: Path,
    out: Output,
    *,
    open_timeline: bool,
    downloaded: bool = True,
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
    if downloaded:
        lines.append(f"Videos and report: {destination}")
    else:
        lines.append(f"Report: {destination}")
        lines.append(
            videos_not_downloaded_line(handle.job_id, handle.outputs_uri, target_survives=handle.target.survives_exit)
        )
    payload = {
        "report": document.model_dump(mode="json", by_alias=True),
        "files": [str(p) for p in files],
        "videos": str(destination) if downloaded else None,
        "videos_uri": handle.outputs_uri if handle.target.survives_exit else None,
    }
    out.result("report", payload, lines)
    if open_timeline and timeline in files:
        webbrowser.open(timeline.resolve().as_uri())
