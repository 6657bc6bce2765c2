"""The state machine file: accepted by moto's Step Functions (the local engine), wired to the template, named
as docs/architecture.md says, and retrying only what time can fix."""

from __future__ import annotations

import inspect
import re

import boto3
import pytest
from moto import mock_aws

from cloudburst.pipeline import errors
from cloudburst.pipeline.find_task import launch_failure_key
from tests.unit.pipeline.stack import PLACEHOLDER, all_states, asl, asl_text, resources, substituted_asl, template

STATES = all_states(asl()["States"])
MACHINE = resources("AWS::Serverless::StateMachine")["StateMachine"]["Properties"]
SERVICE_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "ECS.AmazonECSException",
    "ECS.LimitExceededException",
    "ECS.ThrottlingException",
    "ECS.InvalidParameterException",
    "AmazonECS.Unknown",
}
PIPELINE_ERRORS = {name for name, value in inspect.getmembers(errors, inspect.isclass) if issubclass(value, Exception)}
LAMBDA_STATES = [
    "PlanJob",
    "FindTask",
    "RenderScene",
    "PollRender",
    "CopyOutput",
    "ReleaseTask",
    "RecordBatch",
    "BuildReport",
]


def fake_substitutions() -> dict[str, str]:
    values = {
        name: f"arn:aws:lambda:us-east-1:123456789012:function:{name[:-3]}"
        for name in MACHINE["DefinitionSubstitutions"]
    }
    values |= {
        "ClusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/cloudburst",
        "RendererSubnetA": "subnet-0a",
        "RendererSubnetB": "subnet-0b",
        "RendererSecurityGroupId": "sg-0123",
        "AssignPublicIp": "DISABLED",
    }
    return values


def test_moto_accepts_the_definition_with_the_templates_substitutions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        created = sfn.create_state_machine(
            name="cloudburst",
            definition=substituted_asl(fake_substitutions()),
            roleArn="arn:aws:iam::123456789012:role/x",
        )
        assert sfn.describe_state_machine(stateMachineArn=created["stateMachineArn"])["status"] == "ACTIVE"


def test_every_placeholder_has_a_substitution_and_no_substitution_is_unused() -> None:
    assert set(PLACEHOLDER.findall(asl_text())) == set(MACHINE["DefinitionSubstitutions"])
    assert asl()["QueryLanguage"] == "JSONPath"


def test_state_function_and_module_names_match() -> None:
    functions = resources("AWS::Serverless::Function")
    for state in LAMBDA_STATES:
        assert STATES[state]["Resource"] == f"${{{state}FunctionArn}}"
        assert MACHINE["DefinitionSubstitutions"][f"{state}FunctionArn"] == {"Fn::GetAtt": [f"{state}Function", "Arn"]}
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", state).lower()
        assert functions[f"{state}Function"]["Properties"]["Handler"] == f"{snake}.handler"


def test_retries_name_only_retryable_errors_with_backoff() -> None:
    for name, state in STATES.items():
        for retrier in state.get("Retry", []):
            assert "States.ALL" not in retrier["ErrorEquals"], name
            unknown = set(retrier["ErrorEquals"]) - SERVICE_ERRORS - {e.__name__ for e in errors.RETRYABLE_ERRORS}
            assert not unknown, f"{name} retries {unknown}"
            assert retrier.get("BackoffRate", 2.0) >= 1.0
            assert retrier["MaxAttempts"] >= 1
        for catcher in state.get("Catch", []):
            named = set(catcher["ErrorEquals"]) - {"States.ALL", "States.TaskFailed"}
            assert named <= PIPELINE_ERRORS, f"{name} catches unknown errors {named}"


def test_every_lambda_task_retries_lambda_service_errors() -> None:
    for state in LAMBDA_STATES:
        retried = {error for retrier in STATES[state].get("Retry", []) for error in retrier["ErrorEquals"]}
        assert "Lambda.TooManyRequestsException" in retried, state


def test_the_renderer_task_is_private_grouped_sized_and_trimmed() -> None:
    run = STATES["RunRenderer"]
    assert run["Resource"] == "arn:aws:states:::ecs:runTask.sync"
    parameters = run["Parameters"]
    assert parameters["Group.$"] == "$.batch.group"
    assert parameters["PropagateTags"] == "TASK_DEFINITION"
    assert parameters["CapacityProviderStrategy.$"] == "$.batch.capacity_provider_strategy"
    assert "LaunchType" not in parameters  # a capacity provider strategy and a launch type exclude each other
    assert parameters["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"] == "${AssignPublicIp}"
    assert (parameters["Overrides"]["Cpu.$"], parameters["Overrides"]["Memory.$"]) == ("$.batch.cpu", "$.batch.memory")
    environment = {e["Name"]: e["Value.$"] for e in parameters["Overrides"]["ContainerOverrides"][0]["Environment"]}
    assert set(environment) == {"RENDERER_TOKEN", "IDLE_TIMEOUT", "MAX_LIFETIME"}
    kept = {path.removeprefix("$.") for path in run["ResultSelector"].values()}
    assert kept == {
        "TaskArn", "CapacityProviderName", "Cpu", "Memory", "CreatedAt", "PullStartedAt", "StartedAt",
        "StoppingAt", "StoppedAt", "StopCode", "StoppedReason", "Containers[0].ExitCode",
    }  # fmt: skip
    container = template()["Resources"]["RendererTaskDefinitionX86"]["Properties"]["ContainerDefinitions"][0]
    assert parameters["Overrides"]["ContainerOverrides"][0]["Name"] == container["Name"]
    assert [c["Next"] for c in run["Catch"]] == ["RecordLaunchFailure"]
    assert STATES["RecordLaunchFailure"]["Next"] == "RendererFailed"


def test_the_launch_failure_key_is_the_same_in_both_branches_and_in_python() -> None:
    written = STATES["RecordLaunchFailure"]["Parameters"]["Key.$"]
    assert STATES["FindTask"]["Parameters"]["launch_failure_key.$"] == written
    template, *paths = (
        part.strip(" '") for part in written.removeprefix("States.Format(").removesuffix(")").split(",")
    )
    assert paths == ["$.job_id", "$.batch.index", "$.batch.attempt"]
    assert template.format("job", 3, 1) == launch_failure_key("job", 3, 1)


def test_the_batch_loop_and_the_ends() -> None:
    batches = STATES["RenderBatches"]
    assert batches["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert batches["MaxConcurrencyPath"] == "$.max_parallel_tasks"
    assert "ResultWriter" in batches
    assert STATES["RenderScenes"]["MaxConcurrencyPath"] == "$.batch.scenes_in_flight"
    assert STATES["WaitForRender"]["SecondsPath"] == "$.render.wait_s"
    assert STATES["RerunOnDemand"]["Next"] == "RunBatch"
    assert [b["StartAt"] for b in STATES["RunBatch"]["Branches"]] == ["RunRenderer", "FindTask"]
    assert (STATES["InvalidJob"]["Type"], STATES["InvalidJob"]["Error"]) == ("Fail", "CloudBurst.InvalidJob")
    assert (STATES["ScenesFailed"]["Error"], STATES["ScenesFailed"]["CausePath"]) == (
        "CloudBurst.ScenesFailed",
        "$.report.cause",
    )
    assert [c["ErrorEquals"] for c in STATES["PlanJob"]["Catch"]] == [["InvalidJob"]]
    for state in ("FindTask", "RenderScenes"):
        assert STATES[state]["Catch"][0]["Next"] == "ReleaseTask"
