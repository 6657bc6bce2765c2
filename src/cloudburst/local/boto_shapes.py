"""CloudFormation and ASL write API parameters in PascalCase (`ContainerDefinitions`, `PortMappings`); boto3
takes the API's own member names (`containerDefinitions`, `portMappings`). The botocore operation model says
which is which, including where a dict is user data (environment maps, Docker labels) and must not be touched.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from botocore import xform_name
from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape
from botocore.session import Session, get_session

_models: dict[tuple[str, str], OperationModel] = {}
_lock = threading.Lock()


@cache
def _botocore_session() -> Session:
    return get_session()


def operation_model(service: str, snake_action: str) -> OperationModel:
    """The botocore model of `service`'s operation named `snake_action` in snake_case (cached)."""
    key = (service, snake_action)
    with _lock:
        if key not in _models:
            service_model = _botocore_session().get_service_model(service)
            by_snake = {xform_name(name): name for name in service_model.operation_names}
            _models[key] = service_model.operation_model(by_snake[snake_action])
        return _models[key]


def to_api_members(service: str, snake_action: str, parameters: dict[str, Any]) -> dict[str, Any]:
    """`parameters` renamed to the operation's member names. Keys the operation does not know are dropped
    (CloudFormation-only properties such as `Tags` formats or `UpdateReplacePolicy` have no API member)."""
    shape = operation_model(service, snake_action).input_shape
    if shape is None:
        return {}
    converted = _convert(parameters, shape)
    return converted if isinstance(converted, dict) else {}


def _convert(value: Any, shape: Shape) -> Any:
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        members = {name.lower(): (name, member) for name, member in shape.members.items()}
        converted: dict[str, Any] = {}
        for key, item in value.items():
            match = members.get(key.lower())
            if match is not None:
                name, member = match
                converted[name] = _convert(item, member)
        return converted
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [_convert(item, shape.member) for item in value]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return {key: _convert(item, shape.value) for key, item in value.items()}
    if shape.type_name == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if shape.type_name in ("integer", "long") and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if shape.type_name == "boolean" and isinstance(value, str):
        return value.lower() == "true"
    return value
