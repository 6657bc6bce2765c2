"""Creating the template's resources in the emulated AWS, as `sam deploy` would create them on AWS.

Names and ARNs come from `stack_names` (all known up front); this module creates what the state machine and
the handlers use: secrets and parameters, buckets (with the S3 notifications of functions' `S3` events),
ECS clusters and task definitions, the functions (registered with the Lambda dispatcher) and the state
machines with their `DefinitionSubstitutions` resolved. Resources the local cloud has no use for (log groups,
alarms, IAM policies, schedules) are named but not created; `DeployedStack.skipped` lists them.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import boto3

from cloudburst.local.boto_shapes import to_api_members
from cloudburst.local.function_loader import forget_modules_from, load_handler
from cloudburst.local.intrinsics import Resolver, StackValues
from cloudburst.local.lambda_dispatch import LambdaDispatcher, LocalFunction
from cloudburst.local.s3_event_rules import EventRoute
from cloudburst.local.stack_names import (
    NetworkDefaults,
    StackIdentity,
    bucket_name,
    function_name,
    is_enabled,
    secret_name,
    stack_values,
    state_machine_name,
    task_definition_family,
)
from cloudburst.local.template import Template, TemplateError

_LOG = logging.getLogger(__name__)
_PLACEHOLDER: Final = re.compile(r"\$\{([A-Za-z0-9_.:-]+)\}")
_FUNCTION_TYPES: Final = ("AWS::Serverless::Function", "AWS::Lambda::Function")
_STATE_MACHINE_TYPES: Final = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
_CREATED_TYPES: Final = (
    "AWS::SecretsManager::Secret",
    "AWS::SSM::Parameter",
    "AWS::S3::Bucket",
    "AWS::ECS::Cluster",
    "AWS::ECS::ClusterCapacityProviderAssociations",
    "AWS::ECS::TaskDefinition",
    *_FUNCTION_TYPES,
    *_STATE_MACHINE_TYPES,
)
_NAMED_ONLY_TYPES: Final = ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::IAM::Role")


@dataclass
class DeployedStack:
    """The stack as a deployed one looks from outside: its outputs, and its resources by logical id."""

    name: str
    outputs: dict[str, Any]
    values: StackValues
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    task_families: dict[str, str] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, str] = field(default_factory=dict)
    function_environment: dict[str, str] = field(default_factory=dict)
    event_routes: list[EventRoute] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def physical_id(self, logical_id: str) -> Any:
        return self.values.refs[logical_id]


def default_network(region: str) -> NetworkDefaults:
    """The emulated account's default VPC, subnets and security group."""
    ec2 = boto3.client("ec2", region_name=region)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    group = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    return NetworkDefaults(vpc, tuple(sorted(subnet["SubnetId"] for subnet in subnets)), group)


class StackDeployer:
    def __init__(
        self,
        template: Template,
        stack: StackIdentity,
        dispatcher: LambdaDispatcher,
        parameter_overrides: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.stack = stack
        self.dispatcher = dispatcher
        self.parameter_overrides = dict(parameter_overrides or {})
        self._cold_code_dirs: set[Path] = set()

    def deploy(self) -> DeployedStack:
        values, resolver = stack_values(
            self.template, self.stack, self.parameter_overrides, default_network(self.stack.region)
        )
        deployed = DeployedStack(name=self.stack.name, outputs={}, values=values)
        enabled = {
            logical_id: resource
            for logical_id, resource in self.template.resources.items()
            if is_enabled(resource, resolver)
        }
        for resource_type in _CREATED_TYPES:
            for logical_id, resource in enabled.items():
                if resource.get("Type") == resource_type:
                    self._create(logical_id, resource, resolver, deployed)
        for logical_id, resource in enabled.items():
            resource_type = str(resource.get("Type"))
            if resource_type not in _CREATED_TYPES and resource_type not in _NAMED_ONLY_TYPES:
                deployed.skipped[logical_id] = resource_type
        self._connect_bucket_notifications(enabled, resolver)
        deployed.event_routes = self._event_routes(enabled, resolver)
        for logical_id, resource in enabled.items():
            for event_name, event in _function_events(resource):
                if event.get("Type") not in ("S3", "EventBridgeRule"):
                    deployed.skipped[f"{logical_id}.{event_name}"] = f"event {event.get('Type')} (not run locally)"
        deployed.outputs = self._outputs(resolver)
        return deployed

    # -- resources -----------------------------------------------------------------------------------------
    def _create(self, logical_id: str, resource: Mapping[str, Any], resolver: Resolver, stack: DeployedStack) -> None:
        resource_type = resource["Type"]
        try:
            raw = dict(resource.get("Properties") or {})
            if resource_type == "AWS::Serverless::Function":
                raw = merge_globals(self.template.function_globals(), raw)
            properties = resolver.resolve(raw)
            if resource_type == "AWS::SecretsManager::Secret":
                self._secret(logical_id, properties)
            elif resource_type == "AWS::SSM::Parameter":
                boto3.client("ssm", region_name=self.stack.region).put_parameter(
                    Name=str(stack.physical_id(logical_id)), Value=str(properties["Value"]), Type="String"
                )
            elif resource_type == "AWS::S3::Bucket":
                name = bucket_name(self.stack, logical_id, properties)
                boto3.client("s3", region_name=self.stack.region).create_bucket(Bucket=name)
                stack.buckets[logical_id] = name
            elif resource_type == "AWS::ECS::Cluster":
                self._cluster(str(stack.physical_id(logical_id)), properties)
            elif resource_type == "AWS::ECS::ClusterCapacityProviderAssociations":
                request = to_api_members("ecs", "put_cluster_capacity_providers", dict(properties))
                boto3.client("ecs", region_name=self.stack.region).put_cluster_capacity_providers(**request)
            elif resource_type == "AWS::ECS::TaskDefinition":
                stack.task_families[logical_id] = self._task_definition(logical_id, properties)
            elif resource_type in _FUNCTION_TYPES:
                self._function(logical_id, properties, stack)
            elif resource_type in _STATE_MACHINE_TYPES:
                stack.state_machines[logical_id] = self._state_machine(logical_id, properties, resolver, stack)
        except TemplateError as exc:
            raise TemplateError(f"{logical_id} ({resource_type}): {exc}") from exc

    def _secret(self, logical_id: str, properties: Mapping[str, Any]) -> None:
        value = properties.get("SecretString")
        generate = properties.get("GenerateSecretString")
        if value is None:
            generated = secrets.token_urlsafe(int((generate or {}).get("PasswordLength", 32)))
            template_text = (generate or {}).get("SecretStringTemplate")
            key = (generate or {}).get("GenerateStringKey")
            if template_text and key:
                document = json.loads(template_text)
                document[key] = generated
                value = json.dumps(document)
            else:
                value = generated
        boto3.client("secretsmanager", region_name=self.stack.region).create_secret(
            Name=secret_name(self.stack, logical_id, properties), SecretString=str(value)
        )

    def _cluster(self, name: str, properties: Mapping[str, Any]) -> None:
        ecs = boto3.client("ecs", region_name=self.stack.region)
        ecs.create_cluster(**{**to_api_members("ecs", "create_cluster", dict(properties)), "clusterName": name})

    def _task_definition(self, logical_id: str, properties: Mapping[str, Any]) -> str:
        family = task_definition_family(self.stack, logical_id, properties)
        request = to_api_members("ecs", "register_task_definition", {**properties, "Family": family})
        task_memory = request.get("memory")
        for container in request.get("containerDefinitions", []):
            # moto needs each container's memory even when only the task's is set (as Fargate allows)
            if container.get("memory") is None and container.get("memoryReservation") is None:
                container["memory"] = int(task_memory or 512)
        boto3.client("ecs", region_name=self.stack.region).register_task_definition(**request)
        return family

    def _function(self, logical_id: str, properties: Mapping[str, Any], stack: DeployedStack) -> None:
        name = function_name(self.stack, logical_id, properties)
        environment = {
            key: str(value) for key, value in ((properties.get("Environment") or {}).get("Variables") or {}).items()
        }
        code_uri = properties.get("CodeUri")
        handler_name = properties.get("Handler")
        if not isinstance(code_uri, str) or not isinstance(handler_name, str):
            raise TemplateError("a function needs a local CodeUri folder and a Handler to run locally")
        code_dir = (self.template.root / code_uri).resolve()
        if code_dir not in self._cold_code_dirs:  # the first function from this folder in this deployment
            forget_modules_from(code_dir)
            self._cold_code_dirs.add(code_dir)
        handler = load_handler(code_dir, handler_name, environment, logical_id, self.dispatcher.output)
        function = LocalFunction(
            name=name,
            logical_id=logical_id,
            handler=handler,
            timeout_seconds=float(properties.get("Timeout", 3)),
            memory_mb=int(properties.get("MemorySize", 128)),
        )
        self.dispatcher.register(function)
        stack.functions[logical_id] = function
        for key, value in environment.items():
            previous = stack.function_environment.get(key)
            if previous is not None and previous != value:
                _LOG.warning(
                    "functions disagree on %s (%r, %r): in-process they share one environment; %s's value wins",
                    key,
                    previous,
                    value,
                    logical_id,
                )
            stack.function_environment[key] = value

    def _state_machine(
        self, logical_id: str, properties: Mapping[str, Any], resolver: Resolver, stack: DeployedStack
    ) -> str:
        definition = self._definition_text(properties)
        substitutions = {key: value for key, value in (properties.get("DefinitionSubstitutions") or {}).items()}
        text = substitute_definition(definition, substitutions)
        role = properties.get("Role") or stack.values.attributes.get((f"{logical_id}Role", "Arn"))
        sfn: Any = boto3.client("stepfunctions", region_name=self.stack.region)
        response = sfn.create_state_machine(
            name=state_machine_name(self.stack, logical_id, properties),
            definition=text,
            roleArn=str(role or self.stack.arn("iam", "role/local-state-machine", regional=False)),
            type=str(properties.get("Type", "STANDARD")),
        )
        arn: str = response["stateMachineArn"]
        return arn

    def _definition_text(self, properties: Mapping[str, Any]) -> str:
        if "DefinitionUri" in properties:
            location = properties["DefinitionUri"]
            if not isinstance(location, str):
                raise TemplateError("DefinitionUri must be a local file to run locally")
            path = (self.template.root / location).resolve()
            if not path.is_file():
                raise TemplateError(f"DefinitionUri {location} does not exist")
            return path.read_text(encoding="utf-8")
        if "Definition" in properties:
            return json.dumps(properties["Definition"])
        if "DefinitionString" in properties:
            return str(properties["DefinitionString"])
        raise TemplateError("a state machine needs DefinitionUri, Definition or DefinitionString")

    # -- wiring between resources --------------------------------------------------------------------------
    def _connect_bucket_notifications(self, resources: Mapping[str, Mapping[str, Any]], resolver: Resolver) -> None:
        """Bucket notifications as SAM deploys them: a function's `Events: {Type: S3}` becomes a Lambda
        notification of its bucket, and `EventBridgeConfiguration` turns on the bucket's EventBridge events."""
        configurations: dict[str, dict[str, Any]] = {}
        for logical_id, resource in resources.items():
            if resource.get("Type") != "AWS::S3::Bucket":
                continue
            notification = resolver.resolve((resource.get("Properties") or {}).get("NotificationConfiguration") or {})
            if (notification.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled") in (True, "true"):
                bucket = str(resolver.values.refs[logical_id])
                configurations.setdefault(bucket, {})["EventBridgeConfiguration"] = {}
        for logical_id, resource in resources.items():
            for event_name, event in _function_events(resource):
                if event.get("Type") != "S3":
                    continue
                properties = resolver.resolve(event.get("Properties") or {})
                events = properties.get("Events")
                lambda_configuration: dict[str, Any] = {
                    "Id": f"{logical_id}{event_name}",
                    "LambdaFunctionArn": resolver.values.attributes[(logical_id, "Arn")],
                    "Events": events if isinstance(events, list) else [events],
                }
                if "Filter" in properties:
                    rules = properties["Filter"].get("S3Key", {}).get("Rules", [])
                    lambda_configuration["Filter"] = {"Key": {"FilterRules": rules}}
                bucket_configuration = configurations.setdefault(str(properties["Bucket"]), {})
                bucket_configuration.setdefault("LambdaFunctionConfigurations", []).append(lambda_configuration)
        s3: Any = boto3.client("s3", region_name=self.stack.region)
        for bucket, configuration in configurations.items():
            s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration)

    def _event_routes(self, resources: Mapping[str, Mapping[str, Any]], resolver: Resolver) -> list[EventRoute]:
        """EventBridge rules whose targets are functions: SAM `EventBridgeRule` events and `AWS::Events::Rule`."""
        routes: list[EventRoute] = []
        for logical_id, resource in resources.items():
            for event_name, event in _function_events(resource):
                if event.get("Type") == "EventBridgeRule":
                    properties = resolver.resolve(event.get("Properties") or {})
                    name = str(resolver.values.refs[logical_id])
                    routes.append(EventRoute(f"{logical_id}.{event_name}", properties.get("Pattern") or {}, name))
            if resource.get("Type") == "AWS::Events::Rule":
                properties = resolver.resolve(resource.get("Properties") or {})
                for target in properties.get("Targets") or []:
                    arn = str(target.get("Arn", ""))
                    if ":lambda:" in arn and properties.get("EventPattern"):
                        routes.append(EventRoute(logical_id, properties["EventPattern"], arn.split(":")[6]))
        return routes

    def _outputs(self, resolver: Resolver) -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        for name, output in self.template.section("Outputs").items():
            if output.get("Condition") and not resolver.condition(str(output["Condition"])):
                continue
            try:
                outputs[name] = resolver.resolve(output.get("Value"))
            except TemplateError as exc:
                raise TemplateError(f"output {name}: {exc}") from exc
        return outputs


def substitute_definition(definition: str, substitutions: Mapping[str, Any]) -> str:
    """SAM's `DefinitionSubstitutions`: each `${Name}` in the definition replaced by its value. A placeholder
    without a value is an error here (CloudFormation would deploy a definition that fails later)."""
    missing = sorted({name for name in _PLACEHOLDER.findall(definition) if name not in substitutions})
    if missing:
        raise TemplateError(f"the definition uses ${{{missing[0]}}} but DefinitionSubstitutions does not set it")

    def replace(match: re.Match[str]) -> str:
        value = substitutions[match.group(1)]
        return value if isinstance(value, str) else json.dumps(value)

    return _PLACEHOLDER.sub(replace, definition)


def merge_globals(globals_: Mapping[str, Any], properties: Mapping[str, Any]) -> dict[str, Any]:
    """SAM's Globals rules: maps merge (the resource wins key by key), lists add up, other values are replaced."""
    merged = dict(globals_)
    for key, value in properties.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping) and not _is_intrinsic(value):
            merged[key] = merge_globals(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            merged[key] = [*current, *value]
        else:
            merged[key] = value
    return merged


def _is_intrinsic(value: Mapping[str, Any]) -> bool:
    return (len(value) == 1 and next(iter(value)) in ("Ref", "Condition")) or next(iter(value), "").startswith("Fn::")


def _function_events(resource: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    if resource.get("Type") != "AWS::Serverless::Function":
        return []
    return list(((resource.get("Properties") or {}).get("Events") or {}).items())
