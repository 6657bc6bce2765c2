"""template.yaml and the state machine file as the tests read them (CloudFormation's YAML tags kept as
`{"Ref": ...}`/`{"Fn::...": ...}`, the way CloudFormation itself sees them)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "template.yaml"
STATE_MACHINE = ROOT / "statemachine" / "cloudburst.asl.json"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _short in ("Ref", "Condition"):
    _CfnLoader.add_constructor(f"!{_short}", _tag(_short))
for _short in ("GetAtt", "Sub", "Select", "Join", "If", "Equals", "Not", "And", "Or", "GetAZs", "Cidr", "Contains"):
    _CfnLoader.add_constructor(f"!{_short}", _tag(f"Fn::{_short}"))


@cache
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)
    return loaded


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template()["Resources"].items() if r["Type"] == kind}


def asl_text() -> str:
    return STATE_MACHINE.read_text(encoding="utf-8")


def asl() -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(asl_text())
    return definition


def substituted_asl(values: dict[str, str]) -> str:
    """The definition with every ${Placeholder} replaced, as CloudFormation does with DefinitionSubstitutions."""
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], asl_text())


def all_states(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every state, however deeply nested in Map and Parallel states, by name."""
    found: dict[str, dict[str, Any]] = {}
    for name, state in states.items():
        found[name] = state
        for branch in state.get("Branches", []):
            found |= all_states(branch["States"])
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                found |= all_states(state[key]["States"])
    return found


def allowed_actions(policies: list[Any]) -> set[str]:
    """The actions of every Allow statement in SAM `Policies` written as inline statements."""
    actions: set[str] = set()
    for policy in policies:
        for statement in policy.get("Statement", []):
            if statement.get("Effect") == "Allow":
                listed = statement["Action"]
                actions |= {listed} if isinstance(listed, str) else set(listed)
    return actions
