"""What an output folder already holds of a job, read from the `report.json` a render left in it.

`render` downloads each video next to its job's report, and the report records every video's SHA-256. So the
folder alone can say whether a job has been delivered (every scene succeeded, every video there with the
bytes the renderer made) without asking the target, which matters for a local cloud that ended with the
command that ran the job. It can also say whether the files in it belong to another job, so that one job's
videos never sit beside another job's report: such files are set aside (renamed, never deleted).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from cloudburst.client import layout
from cloudburst.client.uploads import file_sha256
from cloudburst.models.records import SceneStatus
from cloudburst.models.report import Report

SET_ASIDE_MARK = ".previous"
"""`scene_2.mp4` is set aside as `scene_2.previous.mp4` (then `scene_2.previous-2.mp4`...)."""
REPORT_FILES = (layout.REPORT_NAME, layout.TIMELINE_HTML_NAME, layout.TIMELINE_PNG_NAME)


@dataclass(frozen=True)
class Delivery:
    """A job's report found in a folder, and which of its videos are there as rendered."""

    folder: Path
    report: Report
    verified: tuple[str, ...]
    """Succeeded scenes whose video is in the folder with the SHA-256 the report records."""

    @property
    def complete(self) -> bool:
        """Every scene succeeded and every video is there, byte for byte: nothing is left to render or fetch."""
        return self.report.status == "succeeded" and set(self.verified) == {scene.name for scene in self.report.scenes}

    @property
    def failed_scenes(self) -> list[str]:
        return [scene.name for scene in self.report.scenes if scene.status is SceneStatus.FAILED]


def video_path(folder: Path, scene: str) -> Path:
    return folder / f"{scene}{layout.VIDEO_SUFFIX}"


def read_report(folder: Path) -> Report | None:
    """The folder's `report.json`, or None when there is none or it is not a CloudBurst report."""
    try:
        return Report.model_validate(json.loads((folder / layout.REPORT_NAME).read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError):
        return None


def delivery(folder: Path, report: Report) -> Delivery:
    """Check each succeeded scene's video in `folder` against the SHA-256 `report` records (a report written
    before reports recorded hashes verifies nothing, so the job is never taken as delivered on its word)."""
    verified = []
    for scene in report.scenes:
        path = video_path(folder, scene.name)
        vouched = scene.status is SceneStatus.SUCCEEDED and scene.sha256 is not None
        if vouched and path.is_file() and file_sha256(path) == scene.sha256:
            verified.append(scene.name)
    return Delivery(folder, report, tuple(verified))


def find_delivery(folders: Iterable[Path], is_this_job: Callable[[str], bool]) -> Delivery | None:
    """The first of `folders` whose report is of this job (by its id), checked; None if no folder has one."""
    for folder in folders:
        report = read_report(folder)
        if report is not None and is_this_job(report.job_id):
            return delivery(folder, report)
    return None


def files_in_the_way(folder: Path, scenes: Iterable[str]) -> list[Path]:
    """The files a job with these scenes would write into `folder` that are already there."""
    names = [f"{scene}{layout.VIDEO_SUFFIX}" for scene in scenes] + list(REPORT_FILES)
    return [folder / name for name in names if (folder / name).is_file()]


def set_aside(path: Path) -> Path:
    """Rename `path` to `<stem>.previous<suffix>` (numbered when that is taken); returns the new path."""
    for number in range(1, 10_000):
        mark = SET_ASIDE_MARK if number == 1 else f"{SET_ASIDE_MARK}-{number}"
        moved = path.with_name(f"{path.stem}{mark}{path.suffix}")
        if not moved.exists():
            path.rename(moved)
            return moved
    raise FileExistsError(f"{path}: too many files set aside already")
