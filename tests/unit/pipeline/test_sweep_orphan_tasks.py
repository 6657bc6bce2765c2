"""The orphan sweeper stops only CloudBurst tasks past their lifetime, across pages."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from botocore.stub import Stubber

from cloudburst.pipeline.sweep_orphan_tasks import GRACE_S, sweep_orphan_tasks

CLUSTER = "arn:aws:ecs:us-east-1:123456789012:cluster/cloudburst"
NOW = 1_800_000_000.0


def running(arn: str, age_s: float, owner: str | None = "cloudburst") -> dict[str, object]:
    tags = [{"key": "CreatedBy", "value": owner}] if owner else []
    started = datetime.fromtimestamp(NOW - age_s, tz=UTC)
    return {"taskArn": arn, "lastStatus": "RUNNING", "desiredStatus": "RUNNING", "startedAt": started, "tags": tags}


def test_old_cloudburst_tasks_are_stopped_and_nothing_else() -> None:
    ecs = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    lifetime = 3600
    with Stubber(ecs) as stubber:
        stubber.add_response(
            "list_tasks",
            {"taskArns": ["t/old", "t/young"], "nextToken": "n"},
            {"cluster": CLUSTER, "desiredStatus": "RUNNING"},
        )
        stubber.add_response(
            "list_tasks",
            {"taskArns": ["t/foreign"]},
            {"cluster": CLUSTER, "desiredStatus": "RUNNING", "nextToken": "n"},
        )
        stubber.add_response(
            "describe_tasks",
            {
                "tasks": [
                    running("t/old", lifetime + GRACE_S + 1),
                    running("t/young", lifetime),
                    running("t/foreign", 10 * lifetime, owner="someone-else"),
                ]
            },
            {"cluster": CLUSTER, "tasks": ["t/old", "t/young", "t/foreign"], "include": ["TAGS"]},
        )
        stubber.add_response("stop_task", {"task": {"taskArn": "t/old"}})
        result = sweep_orphan_tasks(ecs, CLUSTER, lifetime, now=lambda: NOW)
        stubber.assert_no_pending_responses()
    assert (result.checked, result.stopped) == (3, ["t/old"])
