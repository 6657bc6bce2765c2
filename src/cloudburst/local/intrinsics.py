"""CloudFormation's intrinsic functions and conditions, resolved the way a deployed stack resolves them.

Pure: given the stack's parameters, pseudo parameters, each resource's `Ref` value and attributes, and the
template's mappings and conditions, `Resolver.resolve` turns a template value into plain data. It covers what
our template uses (Ref, GetAtt, Sub, Join, Select, Split, If, Equals, Not, And, Or, Condition, FindInMap,
Base64, ToJsonString, GetAZs) and says clearly what it cannot resolve. It is not a CloudFormation engine: there
is no dependency ordering because the local cloud knows every name and ARN before it creates anything.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cloudburst.local.template import TemplateError

NO_VALUE: Final = object()
"""`AWS::NoValue`: the property or list item it appears in is removed."""

_SUB_VARIABLE: Final = re.compile(r"\$\{([^}]+)\}")


@dataclass
class StackValues:
    """What intrinsic functions can refer to."""

    parameters: dict[str, Any] = field(default_factory=dict)
    pseudo: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[tuple[str, str], Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)


class Resolver:
    def __init__(self, values: StackValues, condition_definitions: Mapping[str, Any] | None = None) -> None:
        self.values = values
        self._condition_definitions = dict(condition_definitions or {})
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::Not": self._not,
            "Fn::And": self._and,
            "Fn::Or": self._or,
            "Condition": self._condition_value,
            "Fn::FindInMap": self._find_in_map,
            "Fn::Base64": self._base64,
            "Fn::ToJsonString": self._to_json_string,
            "Fn::GetAZs": self._get_azs,
        }

    # -- public --------------------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function replaced by its result (`AWS::NoValue` items dropped)."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((name, argument),) = value.items()
                function = self._functions.get(name)
                if function is not None:
                    return function(argument)
                if name.startswith("Fn::"):
                    raise TemplateError(f"{name} is not supported by the local cloud")
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        return value

    def condition(self, name: str) -> bool:
        """The value of a named condition from the template's Conditions section."""
        if name not in self.values.conditions:
            if name not in self._condition_definitions:
                raise TemplateError(f"condition {name!r} is not defined in Conditions")
            self.values.conditions[name] = bool(self.resolve(self._condition_definitions[name]))
        return self.values.conditions[name]

    # -- functions -----------------------------------------------------------------------------------------
    def _ref(self, name: Any) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        for source in (self.values.parameters, self.values.pseudo, self.values.refs):
            if name in source:
                return source[name]
        raise TemplateError(f"!Ref {name}: no parameter, pseudo parameter or resource has that name")

    def _get_att(self, argument: Any) -> Any:
        logical_id, attribute = (argument.split(".", 1) if isinstance(argument, str) else argument)[:2]
        attribute = self.resolve(attribute)
        key = (logical_id, attribute)
        if key not in self.values.attributes:
            raise TemplateError(f"!GetAtt {logical_id}.{attribute}: the local cloud does not provide this attribute")
        return self.values.attributes[key]

    def _sub(self, argument: Any) -> str:
        if isinstance(argument, str):
            text, variables = argument, {}
        else:
            text, variables = argument[0], {key: self.resolve(value) for key, value in argument[1].items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal} escapes a dollar-brace
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.values.refs:
                return str(self._get_att(name))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, text)

    def _join(self, argument: Any) -> str:
        delimiter, items = argument
        resolved = self.resolve(items)
        if not isinstance(resolved, list):
            raise TemplateError("Fn::Join needs a list of values")
        return str(self.resolve(delimiter)).join(str(item) for item in resolved)

    def _select(self, argument: Any) -> Any:
        index, items = (self.resolve(part) for part in argument)
        if not isinstance(items, list) or not 0 <= int(index) < len(items):
            raise TemplateError(f"Fn::Select index {index} is outside the list {items!r}")
        return items[int(index)]

    def _split(self, argument: Any) -> list[str]:
        delimiter, text = (self.resolve(part) for part in argument)
        return str(text).split(str(delimiter))

    def _if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _equals(self, argument: Any) -> bool:
        left, right = (self.resolve(part) for part in argument)
        return bool(str(left) == str(right)) if isinstance(left, str) or isinstance(right, str) else left == right

    def _not(self, argument: Any) -> bool:
        return not self._truth(argument[0])

    def _and(self, argument: Any) -> bool:
        return all(self._truth(part) for part in argument)

    def _or(self, argument: Any) -> bool:
        return any(self._truth(part) for part in argument)

    def _truth(self, value: Any) -> bool:
        return bool(self.resolve(value))

    def _condition_value(self, name: Any) -> bool:
        return self.condition(str(name))

    def _find_in_map(self, argument: Any) -> Any:
        map_name, top, second = (self.resolve(part) for part in argument[:3])
        try:
            return self.values.mappings[map_name][top][second]
        except KeyError:
            raise TemplateError(f"Fn::FindInMap: {map_name}.{top}.{second} is not in Mappings") from None

    def _base64(self, argument: Any) -> str:
        return base64.b64encode(str(self.resolve(argument)).encode()).decode()

    def _to_json_string(self, argument: Any) -> str:
        return json.dumps(self.resolve(argument), separators=(",", ":"))

    def _get_azs(self, argument: Any) -> list[str]:
        region = self.resolve(argument) or self.values.pseudo.get("AWS::Region", "us-east-1")
        return [f"{region}{zone}" for zone in "abc"]
