"""Every Lambda handler, as Lambda calls it: a sample event from tests/events, a context, moto for AWS and the
in-memory renderer in place of the task's API. One test walks a batch through all the states' handlers."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto.moto_api import state_manager

from cloudburst.pipeline.errors import InvalidJob
from cloudburst.pipeline.payloads import BatchItem, SceneStep
from tests.unit.pipeline.stack import ROOT
from tests.unit.pipeline.support import BUCKET, REGION, FakeRenderer, png_bytes, wav_bytes

if TYPE_CHECKING:
    from mypy_boto3_ecs.type_defs import AwsVpcConfigurationTypeDef
    from mypy_boto3_s3 import S3Client

EVENTS = ROOT / "tests" / "events"
pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish")


@dataclass
class Context:
    function_name: str = "cloudburst-test"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:cloudburst-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def event(name: str) -> Any:
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture
def stack(s3: S3Client, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The environment template.yaml gives the functions, over moto resources."""
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 10**9})  # tasks stay RUNNING
    ecs = boto3.client("ecs", region_name=REGION)
    cluster = ecs.create_cluster(clusterName="cloudburst")["cluster"]["clusterArn"]
    definition = ecs.register_task_definition(
        family="renderer",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="2048",
        memory="4096",
        containerDefinitions=[{"name": "renderer", "image": "renderer:1", "memory": 4096}],
        tags=[{"key": "CreatedBy", "value": "cloudburst"}],
    )["taskDefinition"]["taskDefinitionArn"]
    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="hook", SecretString="s")["ARN"]
    machine = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name="cloudburst",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    values = {
        "BUCKET_NAME": BUCKET,
        "CLUSTER_ARN": cluster,
        "TASK_DEFINITION_X86_64": definition,
        "TASK_DEFINITION_ARM64": definition,
        "MAX_TASK_LIFETIME_SECONDS": "21600",
        "RENDERER_START_TIMEOUT_SECONDS": "600",
        "STATE_MACHINE_ARN": machine,
        "WEBHOOK_SECRET_ARN": secret,
        "POWERTOOLS_SERVICE_NAME": "cloudburst",
        "POWERTOOLS_METRICS_NAMESPACE": "CloudBurst",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    yield values
    state_manager.unset_transition("ecs::task")


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.syspath_prepend(str(ROOT / "functions"))
    names = [p.stem for p in (ROOT / "functions").glob("*.py") if p.stem != "lambda_runtime"]
    loaded = {name: importlib.import_module(name) for name in names}
    assert set(loaded) == {p.stem for p in EVENTS.glob("*.json")}  # a sample event for every handler
    return loaded


def test_a_batch_through_every_state_handler(
    s3: S3Client, stack: dict[str, str], handlers: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = FakeRenderer()
    for name in ("find_task", "render_scene", "poll_render", "copy_output", "release_task"):
        monkeypatch.setattr(handlers[name], "renderer_at", lambda token: lambda endpoint: renderer)
    s3.put_object(Bucket=BUCKET, Key="jobs/story/a.png", Body=png_bytes())
    s3.put_object(Bucket=BUCKET, Key="jobs/story/a.wav", Body=wav_bytes(1.5))
    job = {
        "name": "story",
        "scenes": [{"name": n, "image": "a.png", "audio": "a.wav"} for n in ("s1", "s2")],
        "batching": {"strategy": "count", "scenes_per_task": 2},
    }
    s3.put_object(Bucket=BUCKET, Key="jobs/story/job.json", Body=json.dumps(job).encode())
    plan = handlers["plan_job"].handler(event("plan_job"), Context())
    (item,) = json.loads(s3.get_object(Bucket=BUCKET, Key=plan["batches_key"])["Body"].read())
    batch = BatchItem.model_validate(item)

    ecs = boto3.client("ecs", region_name=REGION)
    ec2 = boto3.client("ec2", region_name=REGION)
    network: AwsVpcConfigurationTypeDef = {
        "subnets": [ec2.describe_subnets()["Subnets"][0]["SubnetId"]],
        "securityGroups": [ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]],
    }
    ecs.run_task(
        cluster=stack["CLUSTER_ARN"],
        taskDefinition=batch.task_definition,
        startedBy="AWS Step Functions",
        group=batch.group,
        capacityProviderStrategy=[{"capacityProvider": "FARGATE", "weight": 1}],
        networkConfiguration={"awsvpcConfiguration": network},
    )
    found = handlers["find_task"].handler({**event("find_task"), "group": batch.group, "token": batch.token}, Context())
    assert found["endpoint"].startswith("http://10.")
    assert found["endpoint"].endswith(":8080")

    scenes = []
    for name in batch.scenes:
        step = SceneStep(
            job_id=plan["job_id"], bucket=BUCKET, batch_index=batch.index, attempt=0, scenes_key=batch.scenes_key,
            scene=name, endpoint=found["endpoint"], token=batch.token,
        ).model_dump(mode="json")  # fmt: skip
        render = handlers["render_scene"].handler(step, Context())
        renderer.finish(render["render_id"], at=render["submitted_at"] + 5)
        render = handlers["poll_render"].handler({**step, "render": render}, Context())
        scenes.append(handlers["copy_output"].handler({**step, "render": render}, Context()))
    driver = {"job_id": plan["job_id"], "bucket": BUCKET, "batch": item, "task": found, "scenes": scenes}
    driver["release"] = handlers["release_task"].handler(driver, Context())
    assert driver["release"]["released_by"] == "shutdown"
    container = event("record_batch")["run"][0]
    summary = handlers["record_batch"].handler(
        {"job_id": plan["job_id"], "bucket": BUCKET, "batch": item, "run": [container, driver]}, Context()
    )
    assert (summary["succeeded"], summary["failed"], summary["rerun"]) == (2, 0, False)
    report_event = {**event("build_report"), "job_id": plan["job_id"], "plan_key": plan["plan_key"]}
    outcome = handlers["build_report"].handler(report_event, Context())
    assert outcome["status"] == "succeeded"
    assert outcome["report_key"] == f"outputs/{plan['job_id']}/report.json"
    assert s3.get_object(Bucket=BUCKET, Key=f"outputs/{plan['job_id']}/s2.mp4")["Body"].read() == renderer.video


def test_an_invalid_job_fails_plan_job_with_the_named_error(
    s3: S3Client, stack: dict[str, str], handlers: dict[str, ModuleType]
) -> None:
    with pytest.raises(InvalidJob) as caught:
        handlers["plan_job"].handler({"job": {"scenes": []}, "job_id": "x-0123456789ab"}, Context())
    assert type(caught.value).__name__ == "InvalidJob"  # what Step Functions matches as the error name
    assert "scenes: " in caught.value.message


def test_the_upload_trigger_and_the_sweeper_with_their_sample_events(
    s3: S3Client, stack: dict[str, str], handlers: dict[str, ModuleType]
) -> None:
    upload = event("start_job_from_upload")
    manifest = {"scenes": [{"name": "s1", "image": "a.png", "audio": "a.wav"}]}
    s3.put_object(Bucket=BUCKET, Key=upload["detail"]["object"]["key"], Body=json.dumps(manifest).encode())
    started = handlers["start_job_from_upload"].handler(upload, Context())
    assert started["status"] == "started"
    assert started["job_id"].startswith("story-")
    swept = handlers["sweep_orphan_tasks"].handler(event("sweep_orphan_tasks"), Context())
    assert swept == {"checked": 0, "stopped": []}


@pytest.mark.parametrize("name", ["render_scene", "poll_render", "copy_output"])
def test_scene_sample_events_are_valid_scene_steps(name: str) -> None:
    assert SceneStep.model_validate(event(name)).scene == "s1"
