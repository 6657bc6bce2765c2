"""The S3 upload trigger against moto S3 and Step Functions: start once, refuse clearly, ignore the rest."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from cloudburst.core.naming import manifest_job_id
from cloudburst.pipeline.start_job_from_upload import start_job_from_upload, upload_identity
from tests.unit.pipeline.support import BUCKET, REGION

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

PASS_THROUGH = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}})


@pytest.fixture
def sfn(aws: None) -> tuple[SFNClient, str]:
    client = boto3.client("stepfunctions", region_name=REGION)
    arn = client.create_state_machine(
        name="cloudburst", definition=PASS_THROUGH, roleArn="arn:aws:iam::123456789012:role/sfn"
    )["stateMachineArn"]
    return client, arn


def upload(s3: S3Client, key: str, document: Any) -> dict[str, Any]:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    etag = s3.put_object(Bucket=BUCKET, Key=key, Body=body)["ETag"].strip('"')
    return {"bucket": {"name": BUCKET}, "object": {"key": key, "size": len(body), "etag": etag}}


GOOD = {"name": "story", "scenes": [{"name": "s1", "image": "media/a.png", "audio": "media/a.wav"}]}


def test_a_manifest_starts_its_job_once(s3: S3Client, sfn: tuple[SFNClient, str]) -> None:
    client, arn = sfn
    detail = upload(s3, "jobs/story.json", GOOD)
    first = start_job_from_upload(detail, s3, client, arn, BUCKET)
    assert first.status == "started"
    assert first.job_id == manifest_job_id("story", BUCKET, "jobs/story.json", detail["object"]["etag"])
    execution = client.describe_execution(executionArn=str(first.execution_arn))
    assert json.loads(execution["input"]) == {"job_uri": f"s3://{BUCKET}/jobs/story.json"}
    assert execution["name"] == first.job_id

    # S3 delivers the event again while the job runs: Step Functions hands back the same execution.
    again = start_job_from_upload(detail, s3, client, arn, BUCKET)
    assert (again.job_id, again.execution_arn) == (first.job_id, first.execution_arn)
    # ... and after it ended, the name is taken: ExecutionAlreadyExists means "already started".
    client.stop_execution(executionArn=str(first.execution_arn))
    late = start_job_from_upload(detail, s3, client, arn, BUCKET)
    assert (late.status, late.job_id) == ("already_started", first.job_id)
    assert len(client.list_executions(stateMachineArn=arn)["executions"]) == 1

    reupload = upload(s3, "jobs/story.json", {**GOOD, "batching": {"scenes_in_flight": 1}})
    assert start_job_from_upload(reupload, s3, client, arn, BUCKET).job_id != first.job_id  # a new version


def test_an_invalid_manifest_is_refused_next_to_itself_and_cleared_by_a_fix(
    s3: S3Client, sfn: tuple[SFNClient, str]
) -> None:
    client, arn = sfn
    bad = {"scenes": [{"name": "s1", "image": "s3://other-bucket/a.png", "audio": "a.wav"}], "colour": "red"}
    outcome = start_job_from_upload(upload(s3, "jobs/team/a.json", bad), s3, client, arn, BUCKET)
    assert outcome.status == "refused"
    assert outcome.error_key == "jobs/team/a.error.json"
    error = json.loads(s3.get_object(Bucket=BUCKET, Key="jobs/team/a.error.json")["Body"].read())
    assert error["error"] == "CloudBurst.InvalidJob"
    assert "colour" in error["message"]
    assert client.list_executions(stateMachineArn=arn)["executions"] == []

    outside = {"scenes": [{"name": "s1", "image": "s3://other-bucket/a.png", "audio": "a.wav"}]}
    refused = start_job_from_upload(upload(s3, "jobs/team/a.json", outside), s3, client, arn, BUCKET)
    assert refused.message is not None
    assert "outside the stack's bucket" in refused.message

    fixed = start_job_from_upload(upload(s3, "jobs/team/a.json", GOOD), s3, client, arn, BUCKET)
    assert fixed.status == "started"
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="jobs/team/a.error")


def test_not_json_is_refused_and_other_keys_are_ignored(s3: S3Client, sfn: tuple[SFNClient, str]) -> None:
    client, arn = sfn
    refused = start_job_from_upload(upload(s3, "jobs/x.json", b"{oops"), s3, client, arn, BUCKET)
    assert refused.status == "refused"
    assert refused.message is not None
    assert "jobs/x.json: not valid JSON" in refused.message
    for key in ("jobs/x.error.json", "inputs/a.json", "jobs/readme.txt"):
        assert start_job_from_upload(upload(s3, key, GOOD), s3, client, arn, BUCKET).status == "ignored"


def test_the_same_manifest_uploaded_again_is_a_new_job_but_a_repeated_event_is_not(
    s3: S3Client, sfn: tuple[SFNClient, str]
) -> None:
    """In a bucket without versioning, two uploads of the same bytes share an ETag; S3's `sequencer` tells
    them apart, and a duplicated event repeats its upload's sequencer."""
    client, arn = sfn
    first = {**upload(s3, "jobs/story.json", GOOD)}
    first["object"] = {**first["object"], "sequencer": "0062E99A88DC407460"}
    second = {**upload(s3, "jobs/story.json", GOOD)}
    second["object"] = {**second["object"], "sequencer": "0062E99A88DC407461"}
    assert first["object"]["etag"] == second["object"]["etag"]

    started = start_job_from_upload(first, s3, client, arn, BUCKET)
    duplicate = start_job_from_upload(dict(first), s3, client, arn, BUCKET)
    rerun = start_job_from_upload(second, s3, client, arn, BUCKET)
    assert started.status == rerun.status == "started"
    assert duplicate.job_id == started.job_id
    assert rerun.job_id != started.job_id
    assert len(client.list_executions(stateMachineArn=arn)["executions"]) == 2


def test_an_upload_is_identified_by_version_then_sequencer_then_etag() -> None:
    assert upload_identity({"version-id": "v2", "sequencer": "00A", "etag": "e"}) == "v2"
    assert upload_identity({"sequencer": "00A", "etag": "e"}) == "00A"
    assert upload_identity({"etag": "e"}) == "e"
    assert upload_identity({}) == ""
