"""Reading `template.yaml` (CloudFormation YAML with SAM's transform) into plain data.

CloudFormation's short forms (`!Ref X`, `!GetAtt X.Arn`, `!Sub ...`) become their long forms (`{"Ref": "X"}`,
`{"Fn::GetAtt": ["X", "Arn"]}`), which is what `intrinsics` resolves.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

_SHORT_FUNCTIONS: Final = (
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAtt",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "Transform",
    "ToJsonString",
    "Length",
    # Rules-section functions: read so the template loads; the local cloud does not evaluate Rules.
    "Contains",
    "EachMemberEquals",
    "EachMemberIn",
    "RefAll",
    "ValueOf",
    "ValueOfAll",
)


class TemplateError(ValueError):
    """The template cannot be run locally; the message names the resource or property."""


class _CloudFormationLoader(yaml.SafeLoader):
    """A YAML loader that knows CloudFormation's `!Tag` short forms."""


def _construct(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        value: Any
        if isinstance(node, yaml.ScalarNode):
            value = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


_CloudFormationLoader.add_constructor("!Ref", _construct("Ref"))
_CloudFormationLoader.add_constructor("!Condition", _construct("Condition"))
for _function in _SHORT_FUNCTIONS:
    _CloudFormationLoader.add_constructor(f"!{_function}", _construct(f"Fn::{_function}"))


@dataclass(frozen=True)
class Template:
    """A parsed template and the folder its relative paths (CodeUri, DefinitionUri) start from."""

    path: Path
    body: dict[str, Any]

    @property
    def root(self) -> Path:
        return self.path.parent

    def section(self, name: str) -> dict[str, Any]:
        section = self.body.get(name) or {}
        if not isinstance(section, dict):
            raise TemplateError(f"{self.path.name}: section {name} is not a mapping")
        return section

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.section("Resources")

    def function_globals(self) -> dict[str, Any]:
        globals_ = self.section("Globals").get("Function") or {}
        return dict(globals_)

    def state_machine_globals(self) -> dict[str, Any]:
        globals_ = self.section("Globals").get("StateMachine") or {}
        return dict(globals_)


def load_template(path: Path) -> Template:
    try:
        body = yaml.load(path.read_text(encoding="utf-8"), Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("Resources"), dict):
        raise TemplateError(f"{path.name}: a template needs a Resources mapping")
    return Template(path=path.resolve(), body=body)
