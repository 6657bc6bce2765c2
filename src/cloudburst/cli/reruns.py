"""What `render` says when it meets a job it has seen before: already delivered, rendered again after a partial
run, files of another job in the way, videos left in S3. Pure wording, so each sentence is tested as it reads."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from cloudburst.client.delivered import Delivery


def already_rendered_line(found: Delivery) -> str:
    count = len(found.verified)
    return (
        f"already rendered: {found.folder} holds job {found.report.job_id} with all {count} "
        f"video{'s' if count != 1 else ''}, each matching the SHA-256 its report records; "
        "nothing was uploaded or started (use --rerun to render it again)"
    )


def whole_job_again_line(
    new_id: str,
    *,
    earlier_id: str,
    scenes_failed: int | None,
    scenes_total: int | None,
    where: str,
) -> str:
    """Why every scene is rendered (and billed) again: a job is the unit of a run, so the scenes that succeeded
    last time are not carried over. `where` says how the earlier attempt is known (its report, the target)."""
    if scenes_failed is not None and scenes_total is not None:
        last_time = f"{scenes_failed} of {scenes_total} scenes failed last time (job {earlier_id}, {where})"
    else:
        last_time = f"the last attempt (job {earlier_id}, {where}) did not succeed"
    return f"{last_time}; rendering the whole job again as {new_id}: every scene is rendered, and billed, again"


def incomplete_line(new_id: str, found: Delivery) -> str:
    """The folder has this job's report but not all its videos, and the target no longer knows the job."""
    missing = [scene.name for scene in found.report.scenes if scene.name not in found.verified]
    return (
        f"{found.folder} holds job {found.report.job_id}, but its report does not vouch for {', '.join(missing)} "
        f"(missing, changed, or no SHA-256 recorded); rendering the whole job again as {new_id}"
    )


def set_aside_line(folder: Path, moved: Sequence[tuple[Path, Path]], reason: str) -> str:
    renames = ", ".join(f"{old.name} → {new.name}" for old, new in moved)
    return f"{folder}: {reason}; set aside, not deleted: {renames}"


def in_the_way_reason(job_id: str, owner: str | None) -> str:
    """Why files found before the job writes anything are set aside (`owner`: their report's job, if any)."""
    if owner is not None:
        return f"it held the output of job {owner}, not of this job ({job_id})"
    return f"it held files that no report of this job ({job_id}) vouches for"


def undelivered_reason(job_id: str, scenes: Sequence[str]) -> str:
    """Why videos left from an earlier attempt are set aside when this attempt did not render those scenes."""
    many = len(scenes) != 1
    return (
        f"job {job_id} did not render {', '.join(scenes)}, so the older video{'s' if many else ''} there would "
        f"sit beside a report that says {'they' if many else 'it'} failed"
    )


def videos_not_downloaded_line(job_id: str, outputs_uri: str, *, target_survives: bool) -> str:
    """Where the videos of a `--no-download` render are (the report and timeline were saved locally)."""
    if target_survives:
        return f"Videos: not downloaded; they are in {outputs_uri} (`cloudburst download {job_id}` fetches them)"
    return (
        "Videos: not downloaded, and gone: they were in the local cloud inside this command, which ended with it "
        "(drop --no-download, or start `python -m cloudburst.local serve` first to keep them)"
    )
