"""How the CLI shows a running job: a live progress display on a terminal, plain lines when output is piped
or logged, and one JSON object per line with `--json`. All three take the same calls, in the same order:
`uploading` while inputs go up, `submitted`, then every `event` of the job until it ends."""

from __future__ import annotations

import json
import sys
import threading
from typing import IO, Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from cloudburst.cli.formatting import human_bytes, outcome_line, status_line, usd, verification_line, video_line
from cloudburst.client.downloads import DownloadedVideo
from cloudburst.client.handle import JobEnded, JobEvent, JobHandle, SceneFailed, StatusUpdate, VideoArrived
from cloudburst.client.status import JobStatus
from cloudburst.client.uploads import UploadProgress, UploadResult


class RunDisplay(Protocol):
    def uploading(self, progress: UploadProgress) -> None: ...
    def submitted(self, handle: JobHandle, uploads: UploadResult | None) -> None: ...
    def event(self, event: JobEvent) -> None: ...
    def notice(self, kind: str, payload: dict[str, Any], text: str) -> None: ...
    def close(self) -> None: ...


def video_payload(video: DownloadedVideo) -> dict[str, Any]:
    return {
        "scene": video.scene,
        "path": str(video.path),
        "size_bytes": video.size_bytes,
        "sha256": video.sha256,
        "verified": video.verified,
        "reused": video.reused,
        "landed_at": video.landed_at,
        "downloaded_at": video.downloaded_at,
    }


def submitted_payload(handle: JobHandle, uploads: UploadResult | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "job_id": handle.job_id,
        "execution_arn": handle.execution_arn,
        "target": handle.target.description,
        "outputs": handle.outputs_uri,
        "attached_to_existing": handle.reused,
    }
    if uploads is not None:
        payload["uploaded_files"] = len(uploads.uploaded)
        payload["skipped_files"] = len(uploads.skipped)
        payload["uploaded_bytes"] = uploads.bytes_uploaded
    return payload


def _progress_key(status: JobStatus) -> tuple[object, ...]:
    """What must change for a new status line (not the clock, not the cost)."""
    return (status.state, status.scenes_done, status.scenes_failed, status.scenes_total, status.tasks_running)


class JsonDisplay:
    """One JSON object per line on stdout: `upload`, `submitted`, `status` (when it changes), `video`,
    `scene_failed`, `finished`."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._last_files = -1
        self._last_key: tuple[object, ...] | None = None

    def emit(self, kind: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._stream.write(json.dumps({"event": kind, **payload}, ensure_ascii=False) + "\n")
            self._stream.flush()

    def uploading(self, progress: UploadProgress) -> None:
        with self._lock:
            if progress.files_done == self._last_files:
                return
            self._last_files = progress.files_done
        self.emit("upload", vars(progress))

    def submitted(self, handle: JobHandle, uploads: UploadResult | None) -> None:
        self.emit("submitted", submitted_payload(handle, uploads))

    def event(self, event: JobEvent) -> None:
        if isinstance(event, StatusUpdate):
            key = _progress_key(event.status)
            if key != self._last_key:
                self._last_key = key
                self.emit("status", event.status.as_dict())
        elif isinstance(event, VideoArrived):
            self.emit("video", video_payload(event.video))
        elif isinstance(event, SceneFailed):
            self.emit("scene_failed", {"scene": event.scene, "reason": event.reason})
        elif isinstance(event, JobEnded):
            payload = event.status.as_dict()
            payload["videos_downloaded"] = event.downloaded
            payload["videos_unverified"] = list(event.unverified)
            self.emit("finished", payload)

    def notice(self, kind: str, payload: dict[str, Any], text: str) -> None:
        """Something the command did besides following the job (files set aside, a rerun explained)."""
        self.emit(kind, payload)

    def close(self) -> None:
        """Nothing to release: every line is flushed as it is written."""


class PlainDisplay:
    """Plain lines, one per change, for logs and pipes."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self._last_files = -1
        self._last_key: tuple[object, ...] | None = None
        self._started_at: float | None = None

    def _line(self, text: str) -> None:
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()

    def uploading(self, progress: UploadProgress) -> None:
        with self._lock:
            if progress.files_done == self._last_files:
                return
            self._last_files = progress.files_done
        if progress.files_done == progress.files_total:
            sent = human_bytes(progress.bytes_sent)
            self._line(f"inputs: {progress.files_total} files, {progress.skipped} already uploaded, {sent} sent")

    def submitted(self, handle: JobHandle, uploads: UploadResult | None) -> None:
        verb = "attached to job" if handle.reused else "started job"
        self._line(f"{verb} {handle.job_id} on {handle.target.description}")

    def event(self, event: JobEvent) -> None:
        if isinstance(event, StatusUpdate):
            self._started_at = event.status.started_at
            key = _progress_key(event.status)
            if key != self._last_key:
                self._last_key = key
                self._line(status_line(event.status))
        elif isinstance(event, VideoArrived):
            self._line("video " + video_line(event.video, self._started_at))
        elif isinstance(event, SceneFailed):
            self._line(f"scene {event.scene} failed: {event.reason}")
        elif isinstance(event, JobEnded):
            self._line(outcome_line(event.status))
            checked = verification_line(event.downloaded, event.unverified)
            if checked:
                self._line(checked)

    def notice(self, kind: str, payload: dict[str, Any], text: str) -> None:
        self._line(text)

    def close(self) -> None:
        """Nothing to release: every line is flushed as it is written."""


class RichDisplay:
    """A live progress bar with the counts, the tasks, the time and the cost; each video printed above it."""

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console()
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=self._console,
            transient=False,
        )
        self._upload: TaskID | None = None
        self._scenes: TaskID | None = None
        self._started_at: float | None = None
        self._progress.start()

    def uploading(self, progress: UploadProgress) -> None:
        if self._upload is None:
            self._upload = self._progress.add_task("inputs", total=progress.files_total, detail="")
        detail = f"{human_bytes(progress.bytes_sent)} sent, {progress.skipped} already there"
        self._progress.update(self._upload, completed=progress.files_done, total=progress.files_total, detail=detail)

    def submitted(self, handle: JobHandle, uploads: UploadResult | None) -> None:
        verb = "Attached to job" if handle.reused else "Started job"
        self._console.print(f"{verb} [bold]{handle.job_id}[/] on {handle.target.description}")
        self._scenes = self._progress.add_task("scenes", total=len(handle.scene_names) or None, detail="")

    def event(self, event: JobEvent) -> None:
        if isinstance(event, StatusUpdate):
            status = event.status
            self._started_at = status.started_at
            if self._scenes is not None:
                self._progress.update(
                    self._scenes,
                    completed=status.scenes_done + status.scenes_failed,
                    total=status.scenes_total or None,
                    detail=_rich_detail(status),
                )
        elif isinstance(event, VideoArrived):
            self._console.print(f"[green]✓[/] {video_line(event.video, self._started_at)}")
        elif isinstance(event, SceneFailed):
            self._console.print(f"[red]✗[/] scene {event.scene} failed: {event.reason}")
        elif isinstance(event, JobEnded):
            self._progress.stop()
            style = "green" if event.status.all_succeeded else "yellow" if event.status.ran_to_the_end else "red"
            self._console.print(f"[{style}]{outcome_line(event.status)}[/]")
            checked = verification_line(event.downloaded, event.unverified)
            if checked:
                self._console.print(checked, style="yellow" if event.unverified else None)

    def notice(self, kind: str, payload: dict[str, Any], text: str) -> None:
        self._console.print(text, style="yellow", markup=False, highlight=False)

    def close(self) -> None:
        self._progress.stop()


def _rich_detail(status: JobStatus) -> str:
    failed = f"[red]{status.scenes_failed} failed[/] · " if status.scenes_failed else ""
    return f"{failed}{status.tasks_running} tasks running · cost so far {usd(status.cost_so_far_usd)}"
