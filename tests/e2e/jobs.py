"""Helpers of the end-to-end tests: make small scenes, submit a job straight to the stack's state machine as
any client would (inputs uploaded to S3, StartExecution named by the job id), and read what the job left in S3.
They talk to the local cloud only through its endpoint and AWS APIs, as a client of a deployed stack does."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import struct
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloudburst.local import ExecutionResult, LocalCloud
from tests.unit.client.media_files import write_png, write_srt, write_wav

WIDTH, HEIGHT = 320, 180
RENDER = {"width": WIDTH, "height": HEIGHT, "fps": 12, "quality": {"preset": "ultrafast", "audio_bitrate_kbps": 64}}


@dataclass(frozen=True)
class SceneFiles:
    name: str
    image: Path
    audio: Path
    subtitles: Path | None
    seconds: float


def scene_files(
    folder: Path, name: str, seconds: float, *, subtitles: bool = False, corrupt: bool = False, rate: int = 8000
) -> SceneFiles:
    """A picture, narration of `seconds` and optionally subtitles. A corrupt narration is a WAV whose header is
    whole (its duration reads fine, so the job is accepted) but whose codec no decoder knows."""
    image = write_png(folder / f"{name}.png", 160, 90)
    audio = write_wav(folder / f"{name}.wav", seconds, rate)
    if corrupt:
        data = bytearray(audio.read_bytes())
        data[20:22] = struct.pack("<H", 0x7777)  # WAVE format tag: no such codec
        audio.write_bytes(bytes(data))
    cue_end = f"00:00:{int(seconds):02},{int(seconds * 1000) % 1000:03}"
    srt = write_srt(folder / f"{name}.srt", f"1\n00:00:00,000 --> {cue_end}\nScene {name}\n") if subtitles else None
    return SceneFiles(name, image, audio, srt, seconds)


def job_document(cloud: LocalCloud, scenes: list[SceneFiles], prefix: str, **settings: Any) -> dict[str, Any]:
    """The job, its inputs uploaded under inputs/<prefix>/ and referred to by s3:// URI."""
    s3 = cloud.client("s3")
    bucket = cloud.outputs["BucketName"]

    def upload(path: Path) -> str:
        key = f"inputs/{prefix}/{path.name}"
        s3.upload_file(str(path), bucket, key)
        return f"s3://{bucket}/{key}"

    documents = []
    for scene in scenes:
        entry: dict[str, Any] = {"name": scene.name, "image": upload(scene.image), "audio": upload(scene.audio)}
        if scene.subtitles:
            entry["subtitles"] = upload(scene.subtitles)
        documents.append(entry)
    return {"version": 1, "name": prefix, "render": RENDER, "scenes": documents, **settings}


def start_job(cloud: LocalCloud, job: dict[str, Any]) -> tuple[str, str]:
    """StartExecution with the job's id as the execution name; (job id, execution ARN)."""
    job_id = f"{job['name']}-{uuid.uuid4().hex[:12]}"
    response = cloud.client("stepfunctions").start_execution(
        stateMachineArn=cloud.outputs["StateMachineArn"], name=job_id, input=json.dumps(job)
    )
    return job_id, str(response["executionArn"])


def run_job(cloud: LocalCloud, job: dict[str, Any], timeout: float = 120) -> tuple[str, ExecutionResult]:
    job_id, arn = start_job(cloud, job)
    return job_id, cloud.wait_for_execution(arn, timeout)


def read_json(cloud: LocalCloud, key: str) -> Any:
    body = cloud.client("s3").get_object(Bucket=cloud.outputs["BucketName"], Key=key)["Body"].read()
    return json.loads(body)


def report(cloud: LocalCloud, job_id: str) -> dict[str, Any]:
    document: dict[str, Any] = read_json(cloud, f"outputs/{job_id}/report.json")
    return document


def batch_records(cloud: LocalCloud, job_id: str) -> list[dict[str, Any]]:
    s3 = cloud.client("s3")
    listed = s3.list_objects_v2(Bucket=cloud.outputs["BucketName"], Prefix=f"runs/{job_id}/batches/")
    return [read_json(cloud, item["Key"]) for item in listed.get("Contents", [])]


def download(cloud: LocalCloud, key: str, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    cloud.client("s3").download_file(cloud.outputs["BucketName"], key, str(target))
    return target


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def probe(path: Path) -> dict[str, Any]:
    """What ffprobe reads from a video: its streams and duration."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type,codec_name,width,height",
         "-of", "json", str(path)],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    document: dict[str, Any] = json.loads(out)
    return document


def job_tasks(cloud: LocalCloud, job_id: str) -> list[Any]:
    """The ECS tasks the local cloud started for a job (their group carries the job id)."""
    return [task for task in cloud.tasks() if f":{job_id}:" in task.group]


def wait_until(condition: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def renderer_children() -> list[str]:
    """Renderer tasks the local cloud started from this test process: its children running the renderer in a
    session of their own, as every task does. (The renderer API tests start renderers in pytest's session and
    keep some for the whole run; those are theirs to stop.)"""
    import os  # noqa: PLC0415

    listing = subprocess.run(["ps", "-eo", "pid=,ppid=,sess=,args="], capture_output=True, text=True, check=True).stdout
    mine, my_session = str(os.getpid()), str(os.getsid(0))
    found = []
    for line in listing.splitlines():
        fields = line.split(None, 3)
        if len(fields) == 4 and fields[1] == mine and fields[2] != my_session and "cloudburst.renderer" in fields[3]:
            found.append(line.strip())
    return found


def encoders_of(pid: int) -> list[int]:
    """The ffmpeg processes a renderer process is running right now (one per render in progress)."""
    listing = subprocess.run(["ps", "-eo", "pid=,ppid=,comm="], capture_output=True, text=True, check=True).stdout
    return [int(fields[0]) for fields in map(str.split, listing.splitlines()) if fields[1:] == [str(pid), "ffmpeg"]]


def timestamp(value: Any) -> float:
    """Epoch seconds of a datetime (boto3) or an ISO 8601 string (the report)."""
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def assert_report_times_match_the_execution(
    cloud: LocalCloud, summary: dict[str, Any], result: ExecutionResult
) -> None:
    """The report's start is the execution's startDate (`$$.Execution.StartTime`), its end is before the
    execution's, and its wall time is the span between. The local interpreter stamps its first history event
    a little after startDate (later under load), so the history's start is compared loosely."""
    execution = cloud.client("stepfunctions").describe_execution(executionArn=result.arn)
    started, finished = timestamp(summary["started_at"]), timestamp(summary["finished_at"])
    assert started == pytest.approx(execution["startDate"].timestamp(), abs=0.01)
    assert started == pytest.approx(timestamp(result.events("ExecutionStarted")[0]["timestamp"]), abs=2.0)
    assert started < finished <= timestamp(result.history[-1]["timestamp"]) + 0.5
    assert 0 < summary["wall_seconds"] == pytest.approx(finished - started, abs=0.01)
