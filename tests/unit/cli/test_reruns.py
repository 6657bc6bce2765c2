"""What `render` says when it meets a job it has seen before, sentence by sentence."""

from __future__ import annotations

from pathlib import Path

from cloudburst.cli.reruns import (
    already_rendered_line,
    in_the_way_reason,
    incomplete_line,
    set_aside_line,
    undelivered_reason,
    videos_not_downloaded_line,
    whole_job_again_line,
)
from cloudburst.client.delivered import delivery
from tests.unit.client.test_delivered import _write_job


def test_already_rendered_names_the_folder_the_job_and_how_to_render_again(tmp_path: Path) -> None:
    found = delivery(tmp_path, _write_job(tmp_path, "story-aaaaaaaaaaaa", {"s1": b"one", "s2": b"two"}))
    assert already_rendered_line(found) == (
        f"already rendered: {tmp_path} holds job story-aaaaaaaaaaaa with all 2 videos, each matching the SHA-256 "
        "its report records; nothing was uploaded or started (use --rerun to render it again)"
    )


def test_a_partial_job_run_again_says_every_scene_is_rendered_and_billed_again() -> None:
    line = whole_job_again_line(
        "story-bbbbbbbbbbbb", earlier_id="story-aaaaaaaaaaaa", scenes_failed=1, scenes_total=3, where="its report in v"
    )
    assert line == (
        "1 of 3 scenes failed last time (job story-aaaaaaaaaaaa, its report in v); rendering the whole job again "
        "as story-bbbbbbbbbbbb: every scene is rendered, and billed, again"
    )
    unknown = whole_job_again_line("b", earlier_id="a", scenes_failed=None, scenes_total=None, where="aborted")
    assert unknown.startswith("the last attempt (job a, aborted) did not succeed; rendering the whole job again as b")


def test_an_incomplete_folder_names_the_videos_its_report_does_not_vouch_for(tmp_path: Path) -> None:
    report = _write_job(tmp_path, "story-aaaaaaaaaaaa", {"s1": b"one", "s2": b"two"})
    (tmp_path / "s2.mp4").unlink()
    assert incomplete_line("story-aaaaaaaaaaaa", delivery(tmp_path, report)) == (
        f"{tmp_path} holds job story-aaaaaaaaaaaa, but its report does not vouch for s2 (missing, changed, or no "
        "SHA-256 recorded); rendering the whole job again as story-aaaaaaaaaaaa"
    )


def test_set_aside_lines_say_what_moved_where_and_why() -> None:
    moved = [(Path("v/scene_2.mp4"), Path("v/scene_2.previous.mp4"))]
    assert set_aside_line(Path("v"), moved, in_the_way_reason("new-1", "old-2")) == (
        "v: it held the output of job old-2, not of this job (new-1); set aside, not deleted: "
        "scene_2.mp4 → scene_2.previous.mp4"
    )
    assert in_the_way_reason("new-1", None) == "it held files that no report of this job (new-1) vouches for"
    assert undelivered_reason("new-1", ["scene_2"]) == (
        "job new-1 did not render scene_2, so the older video there would sit beside a report that says it failed"
    )
    assert "older videos there" in undelivered_reason("new-1", ["a", "b"])


def test_videos_not_downloaded_say_where_they_are_or_that_they_are_gone() -> None:
    kept = videos_not_downloaded_line("j-1", "s3://bucket/outputs/j-1/", target_survives=True)
    assert (
        kept == "Videos: not downloaded; they are in s3://bucket/outputs/j-1/ (`cloudburst download j-1` fetches them)"
    )
    gone = videos_not_downloaded_line("j-1", "s3://bucket/outputs/j-1/", target_survives=False)
    assert gone.startswith("Videos: not downloaded, and gone: they were in the local cloud inside this command")
    assert "python -m cloudburst.local serve" in gone
