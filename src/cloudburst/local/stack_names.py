"""The physical names, ARNs and attributes a deployed stack would give each resource of the template.

Pure: from the template and the stack's name, region and account, `stack_values` computes every resource's
`Ref` value and the `GetAtt` attributes our template uses, before anything is created, the way CloudFormation
would name them (explicit name properties win; otherwise `<stack>-<LogicalId>`). SAM's implicit resources are
included: a function's or state machine's role `<LogicalId>Role` when the template gives it none.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cloudburst.local.intrinsics import Resolver, StackValues
from cloudburst.local.template import Template, TemplateError

SECRET_SUFFIX: Final = "-local1"  # noqa: S105 - part of a name, not a secret
"""Secrets Manager ARNs end in `-` and six random characters; locally they are fixed."""


@dataclass(frozen=True)
class StackIdentity:
    name: str
    region: str
    account_id: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, regional: bool = True, account: bool = True) -> str:
        region = self.region if regional else ""
        account_id = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{region}:{account_id}:{resource}"


@dataclass(frozen=True)
class NetworkDefaults:
    """Where template networking points locally: the emulated account's default VPC."""

    vpc_id: str = "vpc-local"
    subnet_ids: tuple[str, ...] = ("subnet-local",)
    security_group_id: str = "sg-local"


@dataclass(frozen=True)
class Identity:
    ref: Any
    attributes: Mapping[str, Any]


def _default_name(stack: StackIdentity, logical_id: str) -> str:
    return f"{stack.name}-{logical_id}"


def bucket_name(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> str:
    explicit = properties.get("BucketName")
    if explicit:
        return str(explicit)
    name = re.sub(r"[^a-z0-9-]", "-", f"{stack.name}-{logical_id}".lower())
    return name[:63].strip("-")


def _bucket(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = bucket_name(stack, logical_id, properties)
    return Identity(
        ref=name,
        attributes={
            "Arn": stack.arn("s3", name, regional=False, account=False),
            "DomainName": f"{name}.s3.amazonaws.com",
            "RegionalDomainName": f"{name}.s3.{stack.region}.amazonaws.com",
        },
    )


def _cluster(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = str(properties.get("ClusterName") or _default_name(stack, logical_id))
    return Identity(ref=name, attributes={"Arn": stack.arn("ecs", f"cluster/{name}")})


def task_definition_family(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> str:
    return str(properties.get("Family") or _default_name(stack, logical_id))


def _task_definition(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    arn = stack.arn("ecs", f"task-definition/{task_definition_family(stack, logical_id, properties)}:1")
    return Identity(ref=arn, attributes={"TaskDefinitionArn": arn})


def _role(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = str(properties.get("RoleName") or _default_name(stack, logical_id))
    path = str(properties.get("Path") or "/")
    return Identity(
        ref=name,
        attributes={"Arn": stack.arn("iam", f"role{path}{name}", regional=False), "RoleId": f"AROA{name.upper()}"},
    )


def _managed_policy(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = str(properties.get("ManagedPolicyName") or _default_name(stack, logical_id))
    arn = stack.arn("iam", f"policy/{name}", regional=False)
    return Identity(ref=arn, attributes={"PolicyArn": arn})


def function_name(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> str:
    return str(properties.get("FunctionName") or _default_name(stack, logical_id))


def _function(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = function_name(stack, logical_id, properties)
    return Identity(ref=name, attributes={"Arn": stack.arn("lambda", f"function:{name}")})


def state_machine_name(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> str:
    return str(properties.get("Name") or properties.get("StateMachineName") or _default_name(stack, logical_id))


def _state_machine(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = state_machine_name(stack, logical_id, properties)
    arn = stack.arn("states", f"stateMachine:{name}")
    return Identity(ref=arn, attributes={"Arn": arn, "Name": name})


def _layer(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = str(properties.get("LayerName") or _default_name(stack, logical_id))
    return Identity(ref=stack.arn("lambda", f"layer:{name}:1"), attributes={})


def secret_name(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> str:
    return str(properties.get("Name") or _default_name(stack, logical_id))


def _secret(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    arn = stack.arn("secretsmanager", f"secret:{secret_name(stack, logical_id, properties)}{SECRET_SUFFIX}")
    return Identity(ref=arn, attributes={"Id": arn})


def _parameter(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = str(properties.get("Name") or _default_name(stack, logical_id))
    return Identity(ref=name, attributes={"Type": properties.get("Type", "String"), "Value": properties.get("Value")})


def _log_group(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = str(properties.get("LogGroupName") or f"/{stack.name}/{logical_id}")
    return Identity(ref=name, attributes={"Arn": stack.arn("logs", f"log-group:{name}:*")})


def _rule(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = str(properties.get("Name") or _default_name(stack, logical_id))
    return Identity(ref=name, attributes={"Arn": stack.arn("events", f"rule/{name}")})


def _topic(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = str(properties.get("TopicName") or _default_name(stack, logical_id))
    arn = stack.arn("sns", name)
    return Identity(ref=arn, attributes={"TopicArn": arn, "TopicName": name})


def _queue(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = str(properties.get("QueueName") or _default_name(stack, logical_id))
    return Identity(
        ref=f"https://sqs.{stack.region}.amazonaws.com/{stack.account_id}/{name}",
        attributes={"Arn": stack.arn("sqs", name), "QueueName": name},
    )


def _generic(stack: StackIdentity, logical_id: str, properties: Mapping[str, Any]) -> Identity:
    name = _default_name(stack, logical_id)
    return Identity(ref=name, attributes={"Arn": stack.arn("local", name)})


_Namer = Callable[[StackIdentity, str, Mapping[str, Any]], Identity]

_NAMERS: Final[dict[str, _Namer]] = {
    "AWS::S3::Bucket": _bucket,
    "AWS::ECS::Cluster": _cluster,
    "AWS::ECS::TaskDefinition": _task_definition,
    "AWS::IAM::Role": _role,
    "AWS::IAM::ManagedPolicy": _managed_policy,
    "AWS::Serverless::Function": _function,
    "AWS::Lambda::Function": _function,
    "AWS::Serverless::StateMachine": _state_machine,
    "AWS::StepFunctions::StateMachine": _state_machine,
    "AWS::Serverless::LayerVersion": _layer,
    "AWS::Lambda::LayerVersion": _layer,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::SSM::Parameter": _parameter,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::Events::Rule": _rule,
    "AWS::SNS::Topic": _topic,
    "AWS::SQS::Queue": _queue,
}

_WITH_IMPLICIT_ROLE: Final = {
    "AWS::Serverless::Function": "Role",
    "AWS::Serverless::StateMachine": "Role",
}


def _network_identity(resource_type: str, network: NetworkDefaults, index: int) -> Identity | None:
    if resource_type == "AWS::EC2::VPC":
        return Identity(ref=network.vpc_id, attributes={"VpcId": network.vpc_id})
    if resource_type == "AWS::EC2::Subnet":
        subnet = network.subnet_ids[index % len(network.subnet_ids)]
        return Identity(ref=subnet, attributes={"SubnetId": subnet, "VpcId": network.vpc_id})
    if resource_type == "AWS::EC2::SecurityGroup":
        group = network.security_group_id
        return Identity(ref=group, attributes={"GroupId": group, "VpcId": network.vpc_id})
    return None


def parameter_values(template: Template, overrides: Mapping[str, Any], network: NetworkDefaults) -> dict[str, Any]:
    """Each parameter's value: the override, else its Default, else the default VPC's ids for VPC types."""
    values: dict[str, Any] = {}
    for name, declaration in template.section("Parameters").items():
        parameter_type = str(declaration.get("Type", "String"))
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in declaration:
            value = declaration["Default"]
        elif "Subnet::Id" in parameter_type:
            value = list(network.subnet_ids)
        elif "SecurityGroup::Id" in parameter_type:
            value = [network.security_group_id]
        elif "VPC::Id" in parameter_type:
            value = network.vpc_id
        else:
            raise TemplateError(f"parameter {name} has no Default; pass a value for it")
        if parameter_type.startswith("List<") or parameter_type == "CommaDelimitedList":
            value = value.split(",") if isinstance(value, str) else list(value)
        elif isinstance(value, list) and not parameter_type.startswith("List<"):
            value = value[0]
        values[name] = value if isinstance(value, list) else str(value)
    return values


def stack_values(
    template: Template,
    stack: StackIdentity,
    parameter_overrides: Mapping[str, Any] | None = None,
    network: NetworkDefaults | None = None,
) -> tuple[StackValues, Resolver]:
    """Every name the template can refer to, and a resolver over them."""
    network = network or NetworkDefaults()
    values = StackValues(
        parameters=parameter_values(template, parameter_overrides or {}, network),
        pseudo={
            "AWS::Region": stack.region,
            "AWS::AccountId": stack.account_id,
            "AWS::Partition": stack.partition,
            "AWS::StackName": stack.name,
            "AWS::StackId": stack.arn("cloudformation", f"stack/{stack.name}/local"),
            "AWS::URLSuffix": "amazonaws.com",
        },
        mappings=template.section("Mappings"),
    )
    resolver = Resolver(values, template.section("Conditions"))
    subnet_index = 0
    for logical_id, resource in template.resources.items():
        if not is_enabled(resource, resolver):
            continue
        resource_type = str(resource.get("Type", ""))
        properties = _name_properties(resource.get("Properties") or {}, resolver)
        identity = _network_identity(resource_type, network, subnet_index)
        if resource_type == "AWS::EC2::Subnet":
            subnet_index += 1
        if identity is None:
            identity = _NAMERS.get(resource_type, _generic)(stack, logical_id, properties)
        values.refs[logical_id] = identity.ref
        for attribute, value in identity.attributes.items():
            values.attributes[(logical_id, attribute)] = value
        role_property = _WITH_IMPLICIT_ROLE.get(resource_type)
        if role_property and not properties.get(role_property):
            role = _role(stack, f"{logical_id}Role", {})
            values.refs[f"{logical_id}Role"] = role.ref
            for attribute, value in role.attributes.items():
                values.attributes[(f"{logical_id}Role", attribute)] = value
    return values, resolver


def is_enabled(resource: Mapping[str, Any], resolver: Resolver) -> bool:
    condition = resource.get("Condition")
    return condition is None or resolver.condition(str(condition))


_NAME_PROPERTIES: Final = (
    "BucketName",
    "ClusterName",
    "Family",
    "RoleName",
    "Path",
    "ManagedPolicyName",
    "FunctionName",
    "Name",
    "StateMachineName",
    "LayerName",
    "LogGroupName",
    "TopicName",
    "QueueName",
    "Type",
)


def _name_properties(properties: Mapping[str, Any], resolver: Resolver) -> dict[str, Any]:
    """The naming properties resolved, where they only refer to parameters and pseudo parameters."""
    resolved: dict[str, Any] = {}
    for name in _NAME_PROPERTIES:
        if name in properties:
            try:
                resolved[name] = resolver.resolve(properties[name])
            except TemplateError as exc:
                raise TemplateError(f"{name}: a resource name may only use parameters ({exc})") from exc
    return resolved
