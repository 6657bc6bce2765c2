"""Least privilege, checked both ways: every AWS operation a Lambda's code can reach is granted to that
Lambda in template.yaml, and every action granted is needed by some operation it reaches. The same for the
state machine's role against the resources its ASL uses.

The operations are found statically: from each handler, the test follows references through the
`cloudburst` package (functions, classes, module aliases) and collects calls made on parameters annotated
with a boto3 client type (`s3: S3Client`...), which is how every adapter in `cloudburst.aws` takes its client.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

import botocore.session
import pytest
from botocore import xform_name

from tests.unit.pipeline.stack import ROOT, all_states, allowed_actions, asl, resources, template

CLIENT_TYPES = {
    "S3Client": ("s3", "s3"),
    "ECSClient": ("ecs", "ecs"),
    "SFNClient": ("stepfunctions", "states"),
    "EventBridgeClient": ("events", "events"),
    "SecretsManagerClient": ("secretsmanager", "secretsmanager"),
}
"""boto3 client type → (botocore service name, IAM action prefix)."""
NOT_OPERATIONS = {
    "get_paginator",
    "generate_presigned_url",
    "get_waiter",
    "can_paginate",
    "close",
    "exceptions",
    "meta",
}
S3_ACTIONS = {
    "HeadObject": {"s3:GetObject", "s3:ListBucket"},  # without ListBucket a missing key answers 403, not 404
    "ListObjectsV2": {"s3:ListBucket"},
    "CreateMultipartUpload": {"s3:PutObject"},
    "UploadPart": {"s3:PutObject"},
    "CompleteMultipartUpload": {"s3:PutObject"},
}
"""S3 operations whose IAM action is not named after them (the rest are s3:<Operation>)."""


@dataclass
class Module:
    name: str
    tree: ast.Module
    definitions: dict[str, ast.AST] = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)  # local alias → "module" or "module.attr"


@cache
def modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    sources = [(p, ".".join(p.relative_to(ROOT / "src").with_suffix("").parts)) for p in (ROOT / "src").rglob("*.py")]
    sources += [(p, p.stem) for p in (ROOT / "functions").glob("*.py")]
    for path, dotted in sources:
        name = dotted.removesuffix(".__init__")
        module = Module(name, ast.parse(path.read_text(encoding="utf-8")))
        for node in module.tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                module.definitions[node.name] = node
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    module.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module.imports[alias.asname or alias.name.split(".")[0]] = alias.name
        found[name] = module
    return found


def resolve(qualified: str) -> tuple[str, ast.AST] | None:
    """'pkg.mod.func' → its definition, following re-exports through imports."""
    table = modules()
    module_name, _, attr = qualified.rpartition(".")
    module = table.get(module_name)
    if module is None:
        return None
    if attr in module.definitions:
        return module.name, module.definitions[attr]
    if attr in module.imports and module.imports[attr] != qualified:
        return resolve(module.imports[attr])
    return None


def references(module: Module, node: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """The package-level definitions a piece of code names (called or passed along)."""
    table = modules()
    for child in ast.walk(node):
        target: str | None = None
        if isinstance(child, ast.Name):
            if child.id in module.definitions:
                yield module.name, module.definitions[child.id]
                continue
            target = module.imports.get(child.id)
        elif isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name):
            base = module.imports.get(child.value.id)
            if base in table:
                target = f"{base}.{child.attr}"
        if target and (found := resolve(target)):
            yield found


def client_calls(node: ast.AST) -> Iterator[tuple[str, str]]:
    """(client type, operation) for calls on parameters annotated with a boto3 client type."""
    for function in ast.walk(node):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        typed: dict[str, str] = {}
        for arg in [*function.args.args, *function.args.kwonlyargs]:
            annotation = ast.unparse(arg.annotation) if arg.annotation else ""
            for kind in CLIENT_TYPES:
                if kind in annotation:
                    typed[arg.arg] = kind
        for call in ast.walk(function):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            receiver = call.func.value
            if not (isinstance(receiver, ast.Name) and receiver.id in typed):
                continue
            method = call.func.attr
            if method in ("get_paginator", "generate_presigned_url"):
                assert isinstance(call.args[0], ast.Constant), "paginated/presigned operation must be a literal"
                yield typed[receiver.id], str(call.args[0].value)
            elif method not in NOT_OPERATIONS:
                yield typed[receiver.id], method


@cache
def api_names(service: str) -> dict[str, str]:
    """boto3 method name → API operation name, from botocore's service model (as boto3 itself derives them)."""
    model = botocore.session.get_session().get_service_model(service)
    return {xform_name(operation): operation for operation in model.operation_names}


def iam_actions(kind: str, operation: str) -> set[str]:
    service, prefix = CLIENT_TYPES[kind]
    api = api_names(service).get(operation)
    assert api is not None, f"{operation} is not an operation of {service}"
    if prefix == "s3" and api in S3_ACTIONS:
        return S3_ACTIONS[api]
    return {f"{prefix}:{api}"}


def reachable_actions(handler_module: str) -> set[str]:
    module = modules()[handler_module]
    seen: set[int] = set()
    todo: list[tuple[str, ast.AST]] = [(module.name, module.definitions["handler"])]
    actions: set[str] = set()
    while todo:
        owner, node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        actions |= {action for kind, op in client_calls(node) for action in iam_actions(kind, op)}
        todo.extend(references(modules()[owner], node))
    return actions


FUNCTIONS = resources("AWS::Serverless::Function")


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_each_function_is_granted_exactly_what_its_code_calls(logical_id: str) -> None:
    properties = FUNCTIONS[logical_id]["Properties"]
    handler_module = properties["Handler"].removesuffix(".handler")
    needed = reachable_actions(handler_module)
    granted = allowed_actions(properties.get("Policies", []))
    assert needed - granted == set(), f"{logical_id} calls AWS without permission"
    assert granted - needed == set(), f"{logical_id} is granted actions no code path uses"


def test_the_analysis_sees_the_calls_it_must_see() -> None:
    """Guards the analysis itself: known paths through helpers, classes and module aliases are followed."""
    assert reachable_actions("plan_job") == {"s3:GetObject", "s3:ListBucket", "s3:PutObject"}
    assert {"s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"} <= reachable_actions("copy_output")
    assert reachable_actions("poll_render") == set()
    assert "states:StartExecution" in reachable_actions("start_job_from_upload")


def runtask_sync_actions(state: dict[str, object]) -> set[str]:
    actions = {"ecs:RunTask", "ecs:StopTask", "ecs:DescribeTasks", "events:PutTargets", "events:PutRule"}
    actions |= {"events:DescribeRule", "iam:PassRole"}
    parameters = state.get("Parameters", {})
    assert isinstance(parameters, dict)
    if "Tags" in parameters or "PropagateTags" in parameters:
        actions.add("ecs:TagResource")
    return actions


def test_the_state_machine_role_matches_its_definition() -> None:
    machine = resources("AWS::Serverless::StateMachine")["StateMachine"]["Properties"]
    needed: set[str] = set()
    invoked: set[str] = set()
    for state in all_states(asl()["States"]).values():
        resource = str(state.get("Resource", ""))
        if resource.startswith("${") and resource.endswith("FunctionArn}"):
            needed.add("lambda:InvokeFunction")
            invoked.add(resource[2:-1].removesuffix("Arn"))
        elif resource == "arn:aws:states:::ecs:runTask.sync":
            needed |= runtask_sync_actions(state)
        elif resource == "arn:aws:states:::aws-sdk:s3:putObject":
            needed.add("s3:PutObject")
        elif resource:
            pytest.fail(f"unexpected resource {resource}: add its permissions to this test and to the template")
        if state.get("ItemProcessor", {}).get("ProcessorConfig", {}).get("Mode") == "DISTRIBUTED":
            needed |= {"states:StartExecution", "states:DescribeExecution", "states:StopExecution"}
        if state.get("ItemReader", {}).get("Resource") == "arn:aws:states:::s3:getObject":
            needed.add("s3:GetObject")
        if state.get("ResultWriter", {}).get("Resource") == "arn:aws:states:::s3:putObject":
            needed |= {"s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"}
    if machine.get("Logging"):
        needed |= {
            f"logs:{a}" for a in ("CreateLogDelivery", "GetLogDelivery", "UpdateLogDelivery", "DeleteLogDelivery")
        }
        needed |= {f"logs:{a}" for a in ("ListLogDeliveries", "PutResourcePolicy", "DescribeResourcePolicies")}
        needed.add("logs:DescribeLogGroups")
    if machine.get("Tracing", {}).get("Enabled"):
        needed |= {
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
        }
    assert allowed_actions(machine["Policies"]) == needed

    invoke = next(s for p in machine["Policies"] for s in p["Statement"] if s["Action"] == ["lambda:InvokeFunction"])
    assert sorted(r["Fn::GetAtt"][0] for r in invoke["Resource"]) == sorted(invoked)
    assert {f"{name}Arn" for name in invoked} <= set(machine["DefinitionSubstitutions"])


def test_no_wildcard_actions_and_passrole_is_scoped_to_ecs_tasks() -> None:
    for name, resource in template()["Resources"].items():
        policies = resource.get("Properties", {}).get("Policies", [])
        for policy in policies:
            document = policy.get("PolicyDocument", policy)
            for statement in document.get("Statement", []):
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert not any("*" in action for action in actions), f"{name} grants a wildcard action"
                if "iam:PassRole" in actions:
                    condition = statement["Condition"]["StringEquals"]["iam:PassedToService"]
                    assert condition == "ecs-tasks.amazonaws.com"
