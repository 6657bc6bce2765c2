"""The names and ARNs the local stack gives the template's resources, computed before anything is created."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudburst.local.stack_deploy import merge_globals, substitute_definition
from cloudburst.local.stack_names import NetworkDefaults, StackIdentity, parameter_values, stack_values
from cloudburst.local.template import TemplateError, load_template

FIXTURE = Path(__file__).parents[2] / "fixtures" / "local" / "engine" / "template.yaml"
PRODUCT = Path(__file__).parents[3] / "template.yaml"
STACK = StackIdentity("stack", "us-east-1", "123456789012")
NETWORK = NetworkDefaults("vpc-1", ("subnet-1", "subnet-2"), "sg-1")


def test_short_forms_load_as_long_forms() -> None:
    template = load_template(FIXTURE)
    family = template.resources["WorkerTaskDefinition"]["Properties"]["Family"]
    assert family == {"Fn::Sub": "${AWS::StackName}-worker"}
    assert template.resources["Cluster"]["Type"] == "AWS::ECS::Cluster"


def test_invalid_yaml_and_missing_resources_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "template.yaml"
    broken.write_text("Resources: [unclosed\n")
    with pytest.raises(TemplateError, match="not valid YAML"):
        load_template(broken)
    broken.write_text("Parameters: {}\n")
    with pytest.raises(TemplateError, match="needs a Resources mapping"):
        load_template(broken)


def test_resources_get_deployed_style_names_and_arns() -> None:
    values, _ = stack_values(load_template(FIXTURE), STACK, {}, NETWORK)
    assert values.refs["Bucket"] == "stack-bucket"
    assert values.attributes[("Cluster", "Arn")] == "arn:aws:ecs:us-east-1:123456789012:cluster/stack-Cluster"
    assert values.refs["WorkerTaskDefinition"] == "arn:aws:ecs:us-east-1:123456789012:task-definition/stack-worker:1"
    assert values.refs["PresignFunction"] == "stack-presign"
    assert values.attributes[("FindTaskFunction", "Arn")].endswith(":function:stack-FindTaskFunction")
    assert values.refs["InvokeStateMachine"] == "arn:aws:states:us-east-1:123456789012:stateMachine:stack-invoke"
    # SAM's implicit role of a function without Role
    assert values.attributes[("PlanFunctionRole", "Arn")] == "arn:aws:iam::123456789012:role/stack-PlanFunctionRole"
    # a resource whose condition is false does not exist
    assert "ProductionOnlyTopic" not in values.refs


def test_parameters_take_overrides_defaults_and_the_default_vpc() -> None:
    values = parameter_values(load_template(FIXTURE), {"Stage": "prod"}, NETWORK)
    assert values["Stage"] == "prod"
    assert values["SubnetIds"] == ["subnet-1", "subnet-2"]
    assert values["SecurityGroupId"] == "sg-1"
    assert values["WorkerImage"].startswith("public.ecr.aws/")


def test_a_parameter_without_default_must_be_given(tmp_path: Path) -> None:
    path = tmp_path / "template.yaml"
    path.write_text("Parameters:\n  Image: {Type: String}\nResources:\n  B: {Type: AWS::S3::Bucket}\n")
    with pytest.raises(TemplateError, match="parameter Image has no Default"):
        parameter_values(load_template(path), {}, NETWORK)


def test_the_product_template_names_what_the_client_needs() -> None:
    values, resolver = stack_values(load_template(PRODUCT), STACK, {"RendererImageUri": "local"}, NETWORK)
    outputs = {
        name: resolver.resolve(spec["Value"]) for name, spec in load_template(PRODUCT).section("Outputs").items()
    }
    assert outputs["StateMachineArn"] == "arn:aws:states:us-east-1:123456789012:stateMachine:stack-cloudburst"
    assert outputs["BucketName"] == "stack-bucket"
    assert outputs["ClusterName"] == "stack-Cluster"
    assert values.refs["PrivateSubnetA"] in NETWORK.subnet_ids


def test_sam_globals_merge_maps_append_lists_and_replace_values() -> None:
    merged = merge_globals(
        {"Timeout": 60, "Layers": ["core"], "Environment": {"Variables": {"A": "1", "B": "2"}}},
        {"Timeout": 300, "Layers": ["extra"], "Environment": {"Variables": {"B": "3"}}},
    )
    assert merged == {"Timeout": 300, "Layers": ["core", "extra"], "Environment": {"Variables": {"A": "1", "B": "3"}}}


def test_definition_substitutions_replace_every_placeholder_or_name_the_missing_one() -> None:
    assert substitute_definition('{"a": "${X}", "b": "${Y}"}', {"X": "1", "Y": "2"}) == '{"a": "1", "b": "2"}'
    with pytest.raises(TemplateError, match=r"uses \$\{Missing\}"):
        substitute_definition('{"a": "${Missing}"}', {})
