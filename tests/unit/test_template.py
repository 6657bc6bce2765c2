"""template.yaml: safe defaults, a private and locked-down bucket and network, the renderer's task
definitions, the outputs other parts look up, and a Lambda layer that matches the package's dependencies."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from cloudburst.aws.renderer_client import RENDERER_PORT
from cloudburst.pipeline.build_report import RENDERER_EPHEMERAL_STORAGE_GB
from cloudburst.pipeline.compute import IDLE_TIMEOUT_S, MAX_POLL_WAIT_S
from tests.unit.pipeline.stack import ROOT, resources, template

RESOURCES: dict[str, Any] = template()["Resources"]


def props(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = RESOURCES[name]["Properties"]
    return properties


def test_parameters_have_safe_defaults_and_outputs_are_the_agreed_names() -> None:
    parameters = template()["Parameters"]
    assert [name for name, p in parameters.items() if "Default" not in p] == ["RendererImageUri"]
    assert parameters["AssignPublicIp"]["Default"] == "DISABLED"
    assert parameters["CreateVpc"]["Default"] == "true"
    assert {"BucketName", "StateMachineArn", "ClusterArn", "ClusterName"} <= set(template()["Outputs"])


def test_the_bucket_is_private_encrypted_tls_only_and_announces_uploads() -> None:
    bucket = props("Bucket")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireScratch"]["Prefix"] == "runs/"
    deny = props("BucketPolicy")["PolicyDocument"]["Statement"][0]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_renderer_port_is_open_to_the_driver_lambdas_only() -> None:
    ingress = props("RendererSecurityGroup")["SecurityGroupIngress"]
    assert ingress == [
        {
            "IpProtocol": "tcp",
            "FromPort": RENDERER_PORT,
            "ToPort": RENDERER_PORT,
            "SourceSecurityGroupId": {"Ref": "DriverSecurityGroup"},
            "Description": "The renderer API, from the driver Lambdas",
        }
    ]
    driver_functions = {
        "FindTaskFunction",
        "RenderSceneFunction",
        "PollRenderFunction",
        "CopyOutputFunction",
        "ReleaseTaskFunction",
    }
    in_vpc = {name for name, f in resources("AWS::Serverless::Function").items() if "VpcConfig" in f["Properties"]}
    assert in_vpc == driver_functions  # the others keep internet access without NAT (webhooks, EventBridge)


def test_the_created_vpc_has_private_subnets_nat_and_an_s3_gateway_endpoint() -> None:
    assert props("S3GatewayEndpoint")["VpcEndpointType"] == "Gateway"
    assert props("S3GatewayEndpoint")["RouteTableIds"] == [{"Ref": "PrivateRouteTable"}]
    assert props("PrivateDefaultRoute")["NatGatewayId"] == {"Ref": "NatGateway"}
    for subnet in ("PrivateSubnetA", "PrivateSubnetB"):
        assert "MapPublicIpOnLaunch" not in props(subnet)


def test_renderer_task_definitions_for_both_architectures() -> None:
    cluster = props("ClusterCapacityProviders")
    assert cluster["CapacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    for name, arch in (("RendererTaskDefinitionX86", "X86_64"), ("RendererTaskDefinitionArm64", "ARM64")):
        task = props(name)
        assert task["RuntimePlatform"]["CpuArchitecture"] == arch
        assert task["NetworkMode"] == "awsvpc"
        assert task["RequiresCompatibilities"] == ["FARGATE"]
        assert {"Key": "CreatedBy", "Value": "cloudburst"} in task["Tags"]
        assert task["EphemeralStorage"]["SizeInGiB"] == RENDERER_EPHEMERAL_STORAGE_GB
        (container,) = task["ContainerDefinitions"]
        assert container["PortMappings"] == [{"ContainerPort": RENDERER_PORT, "Protocol": "tcp"}]
        assert container["LogConfiguration"]["LogDriver"] == "awslogs"
        assert 0 < container["StopTimeout"] <= 120  # Fargate's maximum
        assert "RENDERER_TOKEN" not in {e["Name"] for e in container["Environment"]}  # per batch, never baked in


def test_functions_run_python311_with_powertools_and_tracing() -> None:
    globals_ = template()["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.11"
    assert globals_["Architectures"] == ["x86_64"]
    assert globals_["Tracing"] == "Active"
    assert globals_["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "cloudburst"
    for name, function in resources("AWS::Serverless::Function").items():
        module = function["Properties"]["Handler"].removesuffix(".handler")
        source = (ROOT / "functions" / f"{module}.py").read_text(encoding="utf-8")
        assert "def handler(" in source, name
        assert "@logger.inject_lambda_context" in source, name
    assert props("CopyOutputFunction")["Timeout"] == 900


def test_the_poll_wait_never_outlives_the_renderers_idle_timeout() -> None:
    assert IDLE_TIMEOUT_S > MAX_POLL_WAIT_S


def test_the_upload_rule_and_the_sweeper_schedule() -> None:
    rule = props("StartJobFromUploadFunction")["Events"]["ManifestUploaded"]["Properties"]["Pattern"]
    assert rule["detail-type"] == ["Object Created"]
    assert rule["detail"]["object"]["key"] == [{"wildcard": "jobs/*.json"}]
    schedule = props("SweepOrphanTasksFunction")["Events"]["EveryTenMinutes"]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(10 minutes)"


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()


def test_the_layer_carries_every_base_dependency_as_pinned_manylinux_wheels() -> None:
    base = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    lines = [line.strip() for line in (ROOT / "layers/core/requirements.txt").read_text().splitlines()]
    pinned = [line for line in lines if line and not line.startswith("#")]
    assert all("==" in line for line in pinned)
    assert {_name(r) for r in base} <= {_name(r) for r in pinned}
    assert "aws-lambda-powertools" in {_name(r) for r in pinned}
    makefile = Path(ROOT / "layers/core/Makefile").read_text(encoding="utf-8")
    assert "--only-binary=:all:" in makefile
    assert "LAYER_PLATFORM ?= manylinux2014_x86_64" in makefile
    assert "LAYER_PYTHON_VERSION ?= 3.11" in makefile
    layer = RESOURCES["CoreLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert props("CoreLayer")["CompatibleArchitectures"] == template()["Globals"]["Function"]["Architectures"]
