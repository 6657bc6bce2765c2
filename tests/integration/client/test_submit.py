"""Submitting against S3 and Step Functions semantics (moto): what is uploaded and started, and how the same
job submitted again is attached to, or restarted as a new attempt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudburst.client.errors import InvalidJob, JobNotFound
from cloudburst.client.handle import JobHandle
from cloudburst.client.job import Job
from cloudburst.client.status import ExecutionState
from cloudburst.client.submit import canonical_job_bytes, prepare_job, submit, submit_job
from cloudburst.client.targets import Target
from cloudburst.core.naming import content_job_id, is_job_id
from tests.integration.client.conftest import BUCKET
from tests.unit.client.media_files import make_scene_folder


def _keys(target: Target, prefix: str = "") -> list[str]:
    listing = target.s3().list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_submit_uploads_inputs_and_starts_the_execution_by_reference(target: Target, tmp_path: Path) -> None:
    job = Job.from_folder(make_scene_folder(tmp_path / "story", ["s1", "s2"]), output={"prefix": "videos/"})
    submission = submit_job(job, target)
    handle = submission.handle
    assert is_job_id(handle.job_id)
    assert handle.job_id.startswith("story-")
    assert len(_keys(target, "inputs/sha256/")) == 6
    assert submission.inspection.audio_seconds == pytest.approx({"s1": 1.0, "s2": 2.0})

    described = target.sfn().describe_execution(executionArn=handle.execution_arn)
    assert described["name"] == handle.job_id
    job_uri = json.loads(described["input"])["job_uri"]
    assert job_uri == f"s3://{BUCKET}/runs/{handle.job_id}/submitted.json"
    stored = target.s3().get_object(Bucket=BUCKET, Key=f"runs/{handle.job_id}/submitted.json")["Body"].read()
    document = json.loads(stored)
    assert document["output"] == {"prefix": "videos/"}
    assert all(document["scenes"][0][role].startswith(f"s3://{BUCKET}/inputs/sha256/") for role in ("image", "audio"))
    assert handle.job_id == content_job_id("story", stored)


def test_the_same_job_again_attaches_to_the_running_one_and_uploads_nothing(target: Target, tmp_path: Path) -> None:
    job = Job.from_folder(make_scene_folder(tmp_path / "story", ["s1"]))
    first = submit_job(job, target)
    again = submit_job(job, target)
    assert again.handle.job_id == first.handle.job_id
    assert (again.handle.reused, first.handle.reused) == (True, False)
    assert (again.uploads.uploaded, len(again.uploads.skipped)) == ([], 3)
    executions = target.sfn().list_executions(stateMachineArn=target.outputs.state_machine_arn)["executions"]
    assert len(executions) == 1


def test_a_cancelled_job_is_started_again_as_a_new_attempt(target: Target, tmp_path: Path) -> None:
    job = Job.from_folder(make_scene_folder(tmp_path / "story", ["s1"]))
    first = submit(job, target)
    assert first.cancel("testing") is True
    second = submit(job, target)
    assert second.job_id != first.job_id
    assert not second.reused
    assert second.job_id.startswith("story-")
    assert submit(job, target).job_id == second.job_id  # running: attached


def test_prepare_sends_nothing_and_knows_the_id_of_every_attempt(target: Target, tmp_path: Path) -> None:
    job = Job.from_folder(make_scene_folder(tmp_path / "story", ["s1"]))
    prepared = prepare_job(job, target)
    assert _keys(target) == []  # hashed locally: the id is known before anything is sent
    first = submit_job(job, target, prepared=prepared)
    assert (first.handle.job_id, first.earlier) == (prepared.first_job_id, None)
    assert first.handle.cancel("testing") is True

    second = submit_job(job, target)
    assert second.earlier is not None
    assert (second.earlier.job_id, second.earlier.state) == (first.handle.job_id, ExecutionState.ABORTED)
    assert prepared.attempt_of(second.handle.job_id) == 2
    assert prepared.attempt_of(first.handle.job_id) == 1
    assert prepared.attempt_of("story-000000000000") is None
    assert submit_job(job, target).earlier is None  # attached to the running second attempt


def test_an_invalid_job_uploads_nothing_and_starts_nothing(target: Target, tmp_path: Path) -> None:
    folder = make_scene_folder(tmp_path / "story", ["s1"])
    (folder / "audio" / "s1.wav").write_bytes(b"not audio")
    with pytest.raises(InvalidJob, match=r"scenes\[0\] \(s1\)\.audio"):
        submit(Job.from_folder(folder), target)
    assert _keys(target) == []
    assert target.sfn().list_executions(stateMachineArn=target.outputs.state_machine_arn)["executions"] == []


def test_attach_reads_the_job_back_from_its_execution(target: Target, tmp_path: Path) -> None:
    job = Job.from_folder(
        make_scene_folder(tmp_path / "story", ["b", "a"]), output={"prefix": "out/"}, compute={"architecture": "arm64"}
    )
    handle = submit(job, target)
    attached = JobHandle.attach(target, handle.job_id)
    assert (attached.scene_names, attached.output_prefix, attached.architecture) == (["a", "b"], "out/", "arm64")
    assert attached.outputs_uri == f"s3://{BUCKET}/out/{handle.job_id}/"
    with pytest.raises(JobNotFound, match="no job story-000000000000"):
        JobHandle.attach(target, "story-000000000000")


def test_canonical_bytes_hold_only_what_was_set(tmp_path: Path) -> None:
    job = Job.from_folder(make_scene_folder(tmp_path / "x", ["a"], subtitles=False), render={"fps": 24})
    spec = job.resolve({ref: f"s3://bkt/{ref}" for ref in job.local_files})
    assert json.loads(canonical_job_bytes(spec)) == {
        "name": "x",
        "render": {"fps": 24},
        "scenes": [{"audio": "s3://bkt/audio/a.wav", "image": "s3://bkt/images/a.png", "name": "a"}],
        "version": 1,
    }


def test_inputs_in_another_bucket_are_refused_before_any_upload(target: Target, tmp_path: Path) -> None:
    folder = make_scene_folder(tmp_path / "story", ["s1"], subtitles=False)
    job = Job.from_scenes(
        [{"name": "s1", "image": "s3://someone-elses-bucket/a.png", "audio": folder / "audio" / "s1.wav"}]
    )
    with pytest.raises(InvalidJob) as caught:
        submit(job, target)
    assert caught.value.problems == [
        f"scenes[0].image: s3://someone-elses-bucket/a.png is outside the stack's bucket '{BUCKET}'; CloudBurst "
        "reads only its own bucket (upload the file there, e.g. with the cloudburst CLI)"
    ]
    assert _keys(target) == []


def test_inputs_already_in_the_bucket_get_the_plan_lambdas_checks_before_any_upload(
    target: Target, tmp_path: Path
) -> None:
    folder = make_scene_folder(tmp_path / "story", ["s1", "s2"], subtitles=False)
    s3 = target.s3()
    s3.put_object(Bucket=BUCKET, Key="shared/not-audio.wav", Body=(folder / "images" / "s1.png").read_bytes())
    s3.upload_file(str(folder / "images" / "s2.png"), BUCKET, "shared/s2.png")
    job = Job.from_scenes(
        [
            {
                "name": "s1",
                "image": f"s3://{BUCKET}/shared/missing.png",
                "audio": f"s3://{BUCKET}/shared/not-audio.wav",
            },
            {"name": "s2", "image": f"s3://{BUCKET}/shared/s2.png", "audio": folder / "audio" / "s2.wav"},
        ]
    )
    with pytest.raises(InvalidJob) as caught:
        submit(job, target)
    problems = caught.value.problems
    assert len(problems) == 2
    assert problems[0] == f"scenes[0].image: s3://{BUCKET}/shared/missing.png does not exist"
    assert problems[1].startswith(f"scenes[0].audio: s3://{BUCKET}/shared/not-audio.wav: ")
    assert "PNG" in problems[1]
    assert _keys(target) == ["shared/not-audio.wav", "shared/s2.png"]  # nothing uploaded, nothing started
