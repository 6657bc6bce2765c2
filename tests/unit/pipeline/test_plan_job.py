"""PlanJob against moto S3 with real (tiny) media: what it writes, and how precisely it refuses bad jobs."""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any

import pytest
from botocore.exceptions import ClientError

from cloudburst.aws import s3 as s3_helpers
from cloudburst.core.media_types import SNIFF_BYTES
from cloudburst.models.job import Architecture
from cloudburst.pipeline import input_checks
from cloudburst.pipeline.errors import InvalidJob
from cloudburst.pipeline.job_document import invalid, listed_problems
from cloudburst.pipeline.plan_job import PlanSettings, plan_job
from tests.unit.pipeline.support import BUCKET, SRT_BYTES, png_bytes, wav_bytes

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SETTINGS = PlanSettings(
    bucket=BUCKET,
    task_definitions={
        Architecture.X86_64: "arn:aws:ecs:us-east-1:123456789012:task-definition/renderer-x86_64:3",
        Architecture.ARM64: "arn:aws:ecs:us-east-1:123456789012:task-definition/renderer-arm64:3",
    },
    max_task_lifetime_s=21600,
)
JOB_ID = "story-0123456789ab"


def put(s3: S3Client, key: str, body: bytes) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)


def get(s3: S3Client, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def story_job(**extra: Any) -> dict[str, Any]:
    return {
        "name": "story",
        "scenes": [
            {"name": "s1", "image": "media/a.png", "audio": "media/a.wav", "subtitles": "media/a.srt"},
            {"name": "s2", "image": "media/a.png", "audio": "media/b.wav", "effect": "zoom_in"},
            {"name": "s3", "image": f"s3://{BUCKET}/shared/c.png", "audio": "media/c.wav"},
        ],
        "watermark": "media/logo.png",
        **extra,
    }


@pytest.fixture
def media(s3: S3Client) -> S3Client:
    for key in ("jobs/story/media/a.png", "jobs/story/media/logo.png", "shared/c.png"):
        put(s3, key, png_bytes())
    put(s3, "jobs/story/media/a.wav", wav_bytes(1.5))
    put(s3, "jobs/story/media/b.wav", wav_bytes(3.0))
    put(s3, "jobs/story/media/c.wav", wav_bytes(0.5))
    put(s3, "jobs/story/media/a.srt", SRT_BYTES)
    return s3


def test_a_job_by_reference_is_resolved_checked_batched_and_written(media: S3Client) -> None:
    put(media, "jobs/story/job.json", json.dumps(story_job()).encode())
    tokens = iter(["token-a", "token-b", "token-c"])

    plan = plan_job(
        {"job_uri": f"s3://{BUCKET}/jobs/story/job.json"}, JOB_ID, media, SETTINGS, new_token=lambda: next(tokens)
    )

    assert plan.job_id == JOB_ID
    assert plan.scene_count == 3
    assert plan.batches_key == f"runs/{JOB_ID}/batches.json"
    assert plan.output_prefix == f"outputs/{JOB_ID}/"
    job = get(media, f"runs/{JOB_ID}/job.json")
    assert job["scenes"][0]["audio"] == f"s3://{BUCKET}/jobs/story/media/a.wav"
    assert job["scenes"][2]["image"] == f"s3://{BUCKET}/shared/c.png"
    assert job["scenes"][1]["watermark"] == f"s3://{BUCKET}/jobs/story/media/logo.png"
    plan_doc = get(media, plan.plan_key)
    durations = {s["name"]: s["audio_seconds"] for s in plan_doc["scenes"]}
    assert durations == pytest.approx({"s1": 1.5, "s2": 3.0, "s3": 0.5})
    items = get(media, plan.batches_key)
    assert len(items) == plan.batch_count >= 1
    assert sorted(name for item in items for name in item["scenes"]) == ["s1", "s2", "s3"]
    first = items[0]
    assert first["group"] == f"cloudburst:{JOB_ID}:{first['index']}:0"
    assert first["capacity_provider_strategy"] == [{"CapacityProvider": "FARGATE", "Weight": 1}]
    assert (first["cpu"], first["memory"]) == ("2048", "4096")
    assert first["task_definition"].endswith("renderer-x86_64:3")
    assert first["token"] == "token-a"
    assert int(first["max_lifetime"]) <= SETTINGS.max_task_lifetime_s < first["run_timeout_s"] + 10**6
    requests = {r["name"]: r for item in items for r in get(media, item["scenes_key"])}
    assert requests["s1"]["inputs"]["subtitles"] == f"s3://{BUCKET}/jobs/story/media/a.srt"
    assert requests["s2"]["options"]["effect"] == "zoom_in"
    assert requests["s2"]["output_key"] == f"outputs/{JOB_ID}/s2.mp4"
    assert requests["s2"]["deadline_s"] > requests["s3"]["deadline_s"] > requests["s3"]["expected_s"] > 0


def test_count_batching_spot_and_arm64_choices_reach_the_items(media: S3Client) -> None:
    job = story_job(
        batching={"strategy": "count", "scenes_per_task": 2, "max_parallel_tasks": 3, "scenes_in_flight": 1},
        compute={"profile": "economy", "capacity": "spot"},
    )
    job["watermark"] = f"s3://{BUCKET}/jobs/story/media/logo.png"
    for scene in job["scenes"]:
        for role in ("image", "audio", "subtitles"):
            if role in scene and not scene[role].startswith("s3://"):
                scene[role] = f"s3://{BUCKET}/jobs/story/{scene[role]}"
    plan = plan_job(job, JOB_ID, media, SETTINGS)
    items = get(media, plan.batches_key)
    assert [item["scenes"] for item in items] == [["s1", "s2"], ["s3"]]
    assert plan.max_parallel_tasks == 3
    assert all(
        item["capacity_provider_strategy"] == [{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}] for item in items
    )
    assert all((item["cpu"], item["memory"], item["scenes_in_flight"]) == ("1024", "2048", 1) for item in items)
    assert len({item["token"] for item in items}) == 2

    arm = dict(job, compute={"architecture": "arm64"})
    arm_items = get(media, plan_job(arm, "arm-0123456789ab", media, SETTINGS).batches_key)
    assert arm_items[0]["task_definition"].endswith("renderer-arm64:3")


def test_an_invalid_document_lists_every_problem_by_field(s3: S3Client) -> None:
    bad = {"scenes": [{"name": "has space", "image": "a.png"}, {"name": "ok", "image": "../up.png", "audio": "a.wav"}]}
    with pytest.raises(InvalidJob) as caught:
        plan_job(bad, JOB_ID, s3, SETTINGS)
    message = caught.value.message
    assert message.startswith("The job is invalid (")
    assert "scenes[0].name" in message
    assert "scenes[0].audio" in message
    assert "scenes[1].image" in message
    assert not list(s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))  # nothing planned


def test_inputs_outside_the_stack_bucket_are_refused_by_name(s3: S3Client) -> None:
    job = {"scenes": [{"name": "a", "image": "s3://someone-else/a.png", "audio": "a.wav"}]}
    with pytest.raises(InvalidJob, match=r"scenes\[0\]\.image: s3://someone-else/a.png is outside the stack's bucket"):
        plan_job(job, JOB_ID, s3, SETTINGS)


def test_missing_mistyped_oversized_and_unreadable_inputs_are_all_reported(
    media: S3Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(media, "jobs/story/media/not-audio.wav", png_bytes())
    put(media, "jobs/story/media/broken.wav", b"RIFF\x24\x00\x00\x00WAVEjunkjunkjunk")
    put(media, "jobs/story/media/big.png", png_bytes() + bytes(500))
    monkeypatch.setitem(input_checks.SIZE_CAPS, "image", 200)
    job = {
        "scenes": [
            {"name": "missing", "image": "media/a.png", "audio": "media/nope.wav"},
            {"name": "mistyped", "image": "media/a.png", "audio": "media/not-audio.wav"},
            {"name": "broken", "image": "media/a.png", "audio": "media/broken.wav"},
            {"name": "big", "image": "media/big.png", "audio": "media/a.wav"},
        ]
    }
    put(media, "jobs/story/bad.json", json.dumps(job).encode())
    with pytest.raises(InvalidJob) as caught:
        plan_job({"job_uri": f"s3://{BUCKET}/jobs/story/bad.json"}, JOB_ID, media, SETTINGS)
    message = caught.value.message
    assert message.startswith("The job's inputs are not usable (4 problems)")
    assert f"scenes[0].audio: s3://{BUCKET}/jobs/story/media/nope.wav does not exist" in message
    assert "scenes[1].audio" in message
    assert "got a PNG image" in message
    assert "scenes[2].audio" in message
    assert "wav" in message
    assert "scenes[3].image" in message
    assert "above the 0 MiB limit for image" in message


def _cues(count: int) -> str:
    return "".join(
        f"{n}\n00:{n // 60 % 60:02d}:{n % 60:02d},000 --> 00:{n // 60 % 60:02d}:{n % 60:02d},500\nline {n}\n\n"
        for n in range(count)
    )


def test_subtitles_are_parsed_whole_and_refused_with_the_line_at_fault(media: S3Client) -> None:
    long_then_bad = _cues(3000) + "3000\n00:00:03,000 --> 00:0x:04,000\nbad\n"
    assert len(long_then_bad) > SNIFF_BYTES  # the fault is past the sniffed head
    put(media, "jobs/story/media/long.srt", long_then_bad.encode())
    put(media, "jobs/story/media/reversed.srt", b"1\n00:00:02,000 --> 00:00:01,000\nbackwards\n")
    put(media, "jobs/story/media/good.srt", _cues(100).encode())
    job = {
        "scenes": [
            {"name": "long", "image": "media/a.png", "audio": "media/a.wav", "subtitles": "media/long.srt"},
            {"name": "back", "image": "media/a.png", "audio": "media/a.wav", "subtitles": "media/reversed.srt"},
            {"name": "good", "image": "media/a.png", "audio": "media/a.wav", "subtitles": "media/good.srt"},
        ]
    }
    put(media, "jobs/story/subs.json", json.dumps(job).encode())
    with pytest.raises(InvalidJob) as caught:
        plan_job({"job_uri": f"s3://{BUCKET}/jobs/story/subs.json"}, JOB_ID, media, SETTINGS)
    message = caught.value.message
    assert message.startswith("The job's inputs are not usable (2 problems)")
    line = long_then_bad.count("\n") - 1
    assert (
        f"scenes[0].subtitles: s3://{BUCKET}/jobs/story/media/long.srt: not valid SRT: line {line}: "
        "cannot read the times in '00:00:03,000 --> 00:0x:04,000'"
    ) in message
    assert (
        f"scenes[1].subtitles: s3://{BUCKET}/jobs/story/media/reversed.srt: not valid SRT: line 2: "
        "the cue ends (00:00:01,000) before it starts (00:00:02,000)"
    ) in message


def test_subtitles_over_the_renderers_cue_limit_are_refused(media: S3Client, monkeypatch: pytest.MonkeyPatch) -> None:
    put(media, "jobs/story/media/many.srt", _cues(4).encode())
    monkeypatch.setattr(input_checks, "MAX_SUBTITLE_CUES", 3)
    job = {"scenes": [{"name": "many", "image": "media/a.png", "audio": "media/a.wav", "subtitles": "media/many.srt"}]}
    put(media, "jobs/story/many.json", json.dumps(job).encode())
    with pytest.raises(InvalidJob, match=r"scenes\[0\]\.subtitles: s3://\S+/many.srt: more cues than the limit of 3"):
        plan_job({"job_uri": f"s3://{BUCKET}/jobs/story/many.json"}, JOB_ID, media, SETTINGS)


@pytest.mark.parametrize(
    ("execution_input", "expected"),
    [
        ({"job_uri": "s3://someone-else/jobs/a.json"}, "job_uri: s3://someone-else/jobs/a.json is outside"),
        ({"job_uri": f"s3://{BUCKET}/jobs/none.json"}, "does not exist"),
        ({"job_uri": "https://example.com/a.json"}, "is not an s3://bucket/key URI"),
        ({"job_uri": f"s3://{BUCKET}/jobs/a.json", "extra": 1}, "unexpected fields: extra"),
    ],
)
def test_bad_job_references_are_refused(s3: S3Client, execution_input: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidJob, match=expected):
        plan_job(execution_input, JOB_ID, s3, SETTINGS)


def test_a_manifest_that_is_not_json_is_refused(s3: S3Client) -> None:
    put(s3, "jobs/broken.json", b"{not json")
    with pytest.raises(InvalidJob, match="job_uri: not valid JSON"):
        plan_job({"job_uri": f"s3://{BUCKET}/jobs/broken.json"}, JOB_ID, s3, SETTINGS)


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([{"name": "s1"}], "the execution input is a JSON array; give the job itself"),
        ("story.json", "the execution input is a JSON string"),
        (None, "the execution input is a JSON null"),
    ],
)
def test_an_execution_input_that_is_not_an_object_is_refused(s3: S3Client, document: Any, expected: str) -> None:
    with pytest.raises(InvalidJob, match=expected):
        plan_job(document, JOB_ID, s3, SETTINGS)


def test_a_manifest_that_holds_no_object_is_refused(s3: S3Client) -> None:
    put(s3, "jobs/list.json", b'[{"name": "s1"}]')
    with pytest.raises(InvalidJob, match="job_uri: holds a JSON array; a job is a JSON object"):
        plan_job({"job_uri": f"s3://{BUCKET}/jobs/list.json"}, JOB_ID, s3, SETTINGS)


def test_an_empty_input_and_one_that_cannot_be_read_are_refused_by_name(
    media: S3Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(media, "jobs/story/media/empty.wav", b"")
    forbidden = f"s3://{BUCKET}/jobs/story/media/b.wav"

    def denied(s3: S3Client, bucket: str, key: str, start: int, length: int) -> bytes:
        if f"s3://{bucket}/{key}" == forbidden:  # as KMS or a bucket policy refuses the function's role
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "GetObject")
        return real_read(s3, bucket, key, start, length)

    real_read = s3_helpers.read_range
    monkeypatch.setattr(input_checks, "read_range", denied)
    job = {
        "scenes": [
            {"name": "empty", "image": "media/a.png", "audio": "media/empty.wav"},
            {"name": "locked", "image": "media/a.png", "audio": "media/b.wav"},
        ]
    }
    put(media, "jobs/story/odd.json", json.dumps(job).encode())
    with pytest.raises(InvalidJob) as caught:
        plan_job({"job_uri": f"s3://{BUCKET}/jobs/story/odd.json"}, JOB_ID, media, SETTINGS)
    message = caught.value.message
    assert f"scenes[0].audio: s3://{BUCKET}/jobs/story/media/empty.wav is empty (0 bytes)" in message
    assert f"scenes[1].audio: {forbidden} cannot be read by CloudBurst (AccessDenied: Access Denied)" in message


def test_the_stack_start_timeout_reaches_every_batch_and_its_lifetime(media: S3Client) -> None:
    quick = dataclasses.replace(SETTINGS, start_timeout_s=60)
    slow = dataclasses.replace(SETTINGS, start_timeout_s=1800)
    put(media, "jobs/story/job.json", json.dumps(story_job()).encode())
    by_reference = {"job_uri": f"s3://{BUCKET}/jobs/story/job.json"}
    quick_items = get(media, plan_job(by_reference, JOB_ID, media, quick).batches_key)
    slow_items = get(media, plan_job(by_reference, "story-0123456789ac", media, slow).batches_key)
    assert [item["start_timeout_s"] for item in quick_items] == [60] * len(quick_items)
    assert [item["start_timeout_s"] for item in slow_items] == [1800] * len(slow_items)
    # the task's own MAX_LIFETIME leaves room to start: a longer start timeout lengthens it by as much
    pairs = zip(quick_items, slow_items, strict=True)
    lifetimes = [(int(a["max_lifetime"]), int(b["max_lifetime"])) for a, b in pairs]
    assert all(long - short == 1800 - 60 for short, long in lifetimes)


def test_the_problems_of_a_refusal_read_back_from_its_message() -> None:
    problems = ["scenes[0].audio: s3://b/a.wav does not exist", "name: - starts with a dash"]
    assert listed_problems(invalid(problems).message) == problems
    many = listed_problems(invalid([f"scenes[{i}].name: bad" for i in range(25)]).message)
    assert many[0] == "scenes[0].name: bad"
    assert many[-1] == "... and 5 more"
