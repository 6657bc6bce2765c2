"""The `cloudburst` command against the local cloud: the real template and state machine, real renderer
processes, real ffmpeg. One local cloud serves the whole module (its state file makes it the "serving" local
cloud the CLI connects to, over HTTP, as a CLI in another shell would).

What is checked: a folder rendered end to end (every video plays, at the asked size and length); videos
arrive before the job ends when batches end at different times; rendering the same folder again uploads,
renders and downloads nothing; an invalid folder is refused before anything starts; submit/status/wait/
download/report work across invocations and a failed scene gives exit code 3; `tasks cleanup` stops a task
left running on purpose; every --json line parses; no renderer process is left behind.
"""

from __future__ import annotations

import io
import json
import shutil
import struct
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudburst.cli.main import main
from cloudburst.cli.output import Output
from cloudburst.local import LocalCloud
from tests.unit.client.media_files import write_png, write_srt, write_wav

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SMALL_FRAME = ["--set", "render.width=320", "--set", "render.height=180"]
RENDER_OPTIONS = [*SMALL_FRAME, "--scenes-per-task", "2", "--max-parallel-tasks", "2"]
AUDIO_SECONDS = {"scene_1": 1.0, "scene_2": 3.0, "scene_3": 1.0, "scene_4": 1.0}


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    run_dir = tmp_path_factory.mktemp("cli-e2e-run")
    state = run_dir / "local-cloud.json"
    with LocalCloud(run_dir=run_dir, time_scale=0.2) as running, pytest.MonkeyPatch.context() as patch:
        state.write_text(json.dumps(running.describe()))
        patch.setenv("CLOUDBURST_LOCAL_STATE", str(state))
        patch.delenv("CLOUDBURST_STACK", raising=False)
        yield running
        assert running.leftover_tasks() == [], "a renderer process outlived its job"


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("folders") / "story"
    for name, seconds in AUDIO_SECONDS.items():
        write_png(folder / "images" / f"{name}.png", 64, 36)
        write_wav(folder / "audio" / f"{name}.wav", seconds)
    write_srt(folder / "audio" / "scene_2.srt")
    return folder


def cli(*argv: str | Path) -> tuple[int, list[dict[str, Any]], str]:
    """Run `cloudburst --json ...` in this process; its exit code, its JSON lines (each must parse), stderr."""
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(["--json", *map(str, argv)], out=Output(json_mode=True, stdout=stdout, stderr=stderr, live=False))
    return code, [json.loads(line) for line in stdout.getvalue().splitlines()], stderr.getvalue()


def events(lines: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [line for line in lines if line["event"] == kind]


def probe(path: Path) -> dict[str, Any]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type,width,height", "-of", "json",
         str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    document: dict[str, Any] = json.loads(out)
    return document


def executions(cloud: LocalCloud) -> int:
    sfn = cloud.client("stepfunctions")
    return len(sfn.list_executions(stateMachineArn=cloud.outputs["StateMachineArn"])["executions"])


@pytest.fixture(scope="module")
def rendered(cloud: LocalCloud, story: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, list[Any]]:
    """The story rendered once with `render --json`: two batches of two scenes, of 4 s and 2 s of audio."""
    out = tmp_path_factory.mktemp("rendered") / "videos"
    code, lines, _ = cli("render", story, "--output", out, *RENDER_OPTIONS)
    return out, code, lines


def test_render_a_folder_end_to_end_with_videos_arriving_before_the_job_ends(
    cloud: LocalCloud, rendered: tuple[Path, int, list[dict[str, Any]]]
) -> None:
    out, code, lines = rendered
    assert code == 0, lines[-3:]
    (submitted,) = events(lines, "submitted")
    assert (submitted["attached_to_existing"], submitted["uploaded_files"]) == (False, 9)
    videos = events(lines, "video")
    assert sorted(video["scene"] for video in videos) == sorted(AUDIO_SECONDS)
    (finished,) = events(lines, "finished")
    assert (finished["state"], finished["scenes"]["done"], finished["videos_unverified"]) == ("succeeded", 4, [])

    for video in videos:
        facts = probe(Path(video["path"]))
        assert float(facts["format"]["duration"]) == pytest.approx(AUDIO_SECONDS[video["scene"]], abs=0.25)
        picture = next(stream for stream in facts["streams"] if stream["codec_type"] == "video")
        assert (picture["width"], picture["height"]) == (320, 180)
    # The short batch ends first: its videos were on disk before the job (held by the long batch) ended. (No
    # margin is asserted: at 320x180 a scene renders in a fraction of a second, and the margin is the rest
    # of the long batch plus the report, a few tenths of a second on a fast machine.)
    arrivals = sorted(video["downloaded_at"] for video in videos)
    assert arrivals[0] < finished["stopped_at"]
    assert arrivals[0] < arrivals[-1]

    (report,) = events(lines, "report")
    assert (report["report"]["scenes_succeeded"], report["report"]["tasks_used"]) == (4, 2)
    # one wall time and one cost: the final status is the report's, not Fargate alone up to the last poll
    assert finished["cost_final"]
    assert finished["cost_so_far_usd"] == report["report"]["cost"]["total_usd"]
    assert finished["elapsed_s"] == report["report"]["wall_seconds"]
    assert {Path(path).name for path in report["files"]} >= {"report.json", "timeline.html"}
    assert (out / "report.json").is_file()
    assert cloud.leftover_tasks() == []


def test_rendering_the_same_folder_again_uploads_renders_and_downloads_nothing(
    cloud: LocalCloud, story: Path, rendered: tuple[Path, int, list[dict[str, Any]]]
) -> None:
    out, _, first = rendered
    job_id = events(first, "submitted")[0]["job_id"]
    before = executions(cloud)
    code, lines, _ = cli("render", story, "--output", out, *RENDER_OPTIONS)
    assert code == 0
    (done,) = events(lines, "already_rendered")  # the folder alone says so: no upload, no start, no download
    assert (done["job_id"], len(done["videos"])) == (job_id, 4)
    assert [line["event"] for line in lines] == ["already_rendered"]
    assert executions(cloud) == before

    (out / "scene_3.mp4").unlink()  # incomplete: the serving local cloud still knows the job, so it is attached to
    code, lines, _ = cli("render", story, "--output", out, *RENDER_OPTIONS)
    assert code == 0
    (submitted,) = events(lines, "submitted")
    assert submitted["job_id"] == job_id
    assert (submitted["attached_to_existing"], submitted["uploaded_files"], submitted["skipped_files"]) == (True, 0, 9)
    assert executions(cloud) == before
    reused = {video["scene"]: video["reused"] for video in events(lines, "video")}
    assert reused == {"scene_1": True, "scene_2": True, "scene_3": False, "scene_4": True}
    assert events(lines, "set_aside") == []


def test_a_folder_of_another_job_is_set_aside_and_a_partial_job_again_says_it_renders_every_scene(
    cloud: LocalCloud, rendered: tuple[Path, int, list[dict[str, Any]]], tmp_path: Path
) -> None:
    mixed = tmp_path / "mixed"
    shutil.copytree(rendered[0], mixed)
    folder = tmp_path / "partial-story"  # the story's scene names; scene_2's picture cannot be decoded
    for name in ("scene_1", "scene_2"):
        write_wav(folder / "audio" / f"{name}.wav", 1.0)
    write_png(folder / "images" / "scene_1.png", 64, 36)
    _png_with_a_broken_body(folder / "images" / "scene_2.png")
    story_video = (mixed / "scene_2.mp4").read_bytes()

    code, lines, _ = cli("render", folder, "--output", mixed, *SMALL_FRAME)
    assert code == 3
    (aside,) = events(lines, "set_aside")
    assert {Path(old).name: Path(new).name for old, new in aside["files"].items()} == {
        "scene_1.mp4": "scene_1.previous.mp4",
        "scene_2.mp4": "scene_2.previous.mp4",
        "report.json": "report.previous.json",
        "timeline.html": "timeline.previous.html",
        "timeline.png": "timeline.previous.png",
    }
    assert not (mixed / "scene_2.mp4").exists()  # scene_2 failed: no video of another job stands in for it
    assert (mixed / "scene_2.previous.mp4").read_bytes() == story_video
    assert (mixed / "scene_3.mp4").is_file()  # not a scene of this job: left alone
    report = json.loads((mixed / "report.json").read_text())
    first_id = report["job_id"]
    assert report["scenes_failed"] == 1

    code, lines, _ = cli("render", folder, "--output", mixed, *SMALL_FRAME)
    assert code == 3
    (again,) = events(lines, "rendering_again")
    (submitted,) = events(lines, "submitted")
    assert again == {"event": "rendering_again", "job_id": submitted["job_id"], "earlier_job_id": first_id}
    assert submitted["job_id"] != first_id  # a new attempt, every scene rendered again
    assert events(lines, "set_aside") == []  # the folder held this job's own files


def test_an_invalid_folder_is_refused_before_anything_starts(cloud: LocalCloud, story: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    write_png(broken / "images" / "a.png")
    (broken / "audio").mkdir()
    (broken / "audio" / "a.mp3").write_bytes(b"#EXTM3U\nhttp://example.invalid/a.ts\n")
    write_png(broken / "images" / "b.png")
    before = executions(cloud)
    code, lines, _ = cli("render", broken)
    assert code == 2
    (error,) = events(lines, "error")
    assert (
        error["problems"][0] == "images/b.png: no narration for this image (expected audio/b.mp3 or another audio type)"
    )
    assert error["problems"][1].startswith("scenes[0] (a).audio: ")
    assert error["problems"][1].endswith("got an HLS/M3U playlist")
    assert executions(cloud) == before


def _png_with_a_broken_body(path: Path) -> Path:
    """A PNG whose header is valid (the checks read it) but whose pixels cannot be decoded (the renderer must)."""
    header = struct.pack(">IIBBBBB", 64, 36, 8, 2, 0, 0, 0)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"not zlib" * 8) + chunk(b"IEND", b"")
    )
    return path


def test_submit_then_follow_from_other_invocations_and_a_failed_scene_exits_3(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    folder = tmp_path / "partial"
    write_png(folder / "good.png", 64, 36)
    write_wav(folder / "good.wav", 1.0)
    _png_with_a_broken_body(folder / "bad.png")
    write_wav(folder / "bad.wav", 1.0)
    code, lines, _ = cli("validate", folder)
    assert code == 0  # the header is fine: only rendering can find out

    code, lines, _ = cli("submit", folder, *SMALL_FRAME)
    assert code == 0
    job_id = events(lines, "submitted")[0]["job_id"]

    code, lines, _ = cli("status", job_id)
    (status,) = events(lines, "status")
    assert (code, status["job_id"], status["scenes"]["total"]) == (0, job_id, 2)

    code, lines, _ = cli("wait", job_id)
    assert code == 3
    (failed,) = events(lines, "scene_failed")
    assert failed["scene"] == "bad"
    # The reason names the scene no second time, and puts the request field beside the input it names.
    assert failed["reason"].startswith("input_unreadable: image (inputs.image_url): cannot decode the PNG image")
    assert events(lines, "finished")[0]["error"] == "CloudBurst.ScenesFailed"

    code, lines, _ = cli("download", job_id, "--no-wait", "--output", tmp_path / "out")
    assert code == 3  # the job has ended, with a failed scene: the exit code says so, as `wait`'s does
    assert [video["scene"] for video in events(lines, "downloaded")[0]["videos"]] == ["good"]

    code, lines, _ = cli("report", job_id, "--output", tmp_path / "out")
    report = events(lines, "report")[0]["report"]
    assert (code, report["scenes_succeeded"], report["scenes_failed"]) == (0, 1, 1)
    assert report["failures"][0]["scene"] == "bad"
    assert report["failures"][0]["error"] == failed["reason"]
    assert (tmp_path / "out" / "timeline.html").is_file()

    code, lines, _ = cli("cancel", job_id)
    assert (code, events(lines, "cancelled")[0]["cancelled"]) == (0, False)  # it had already ended


def test_a_cancelled_job_is_billed_for_the_tasks_that_ran_and_gets_a_report(cloud: LocalCloud, tmp_path: Path) -> None:
    folder = tmp_path / "long"
    for index in range(3):
        write_png(folder / f"scene_{index}.png", 64, 36)
        write_wav(folder / f"scene_{index}.wav", 5.0)
    code, lines, _ = cli("submit", folder, "--scenes-per-task", "1", "--effect", "zoom_out")
    job_id = events(lines, "submitted")[0]["job_id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        code, lines, _ = cli("status", job_id)
        status = events(lines, "status")[0]
        if status["tasks_running"] == 3:
            break
        time.sleep(0.2)
    assert (status["state"], status["cost_final"]) == ("running", False)
    running_cost = status["cost_so_far_usd"]
    assert running_cost > 0

    code, lines, _ = cli("cancel", job_id)
    assert (code, events(lines, "cancelled")[0]["cancelled"]) == (0, True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the report is made once the state machine has stopped the tasks
        code, lines, _ = cli("status", job_id)
        status = events(lines, "status")[0]
        if status["cost_final"]:
            break
        time.sleep(0.2)
    assert (code, status["state"], status["execution_status"]) == (0, "cancelled", "ABORTED")
    assert status["cost_so_far_usd"] > running_cost  # the tasks' Fargate, and what else the job used

    code, lines, _ = cli("report", job_id, "--output", tmp_path / "report")
    report = events(lines, "report")[0]["report"]
    assert (code, report["status"]) == (0, "cancelled")
    assert report["cost"]["total_usd"] == status["cost_so_far_usd"]
    assert sorted(task["batch_index"] for task in report["tasks"]) == [0, 1, 2]
    assert all(task["billed_seconds"] >= 60 for task in report["tasks"])  # Fargate's one-minute minimum
    assert report["scenes_succeeded"] + report["scenes_failed"] == 3
    assert (tmp_path / "report" / "timeline.html").is_file()

    code, lines, _ = cli("download", job_id, "--no-wait", "--output", tmp_path / "videos")
    videos = events(lines, "downloaded")[0]["videos"]
    assert (code, len(videos)) == (4, report["scenes_succeeded"])  # what was rendered; the job is over


def test_tasks_cleanup_stops_a_task_left_running_on_purpose(cloud: LocalCloud) -> None:
    ecs = cloud.client("ecs")
    ec2 = cloud.client("ec2")
    definition = next(arn for arn in ecs.list_task_definitions()["taskDefinitionArns"] if "x86" in arn.lower())
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    started = ecs.run_task(
        cluster=cloud.outputs["ClusterArn"],
        taskDefinition=definition,
        launchType="FARGATE",
        group="cloudburst:forgotten-000000000000:0:0",
        propagateTags="TASK_DEFINITION",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group]}},
        overrides={
            "containerOverrides": [
                {"name": "renderer", "environment": [{"name": "RENDERER_TOKEN", "value": "left-running"}]}
            ]
        },
    )["tasks"][0]["taskArn"]

    code, lines, _ = cli("tasks", "list")
    listed = {task["task_arn"]: task for task in events(lines, "tasks")[0]["tasks"]}
    assert code == 0
    assert listed[started]["job_id"] == "forgotten-000000000000"

    code, lines, _ = cli("tasks", "cleanup", "--reason", "left running on purpose")
    assert (code, events(lines, "cleanup")[0]["stopped"]) == (0, [started])
    deadline = time.monotonic() + 30
    while cloud.leftover_tasks() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert cloud.leftover_tasks() == []
    code, lines, _ = cli("tasks", "list")
    assert events(lines, "tasks")[0]["tasks"] == []
