"""Validation errors as short sentences that name the field, e.g. `scenes[2].audio: field required`.

Pydantic's own messages carry type codes and documentation links; users of the CLI, the renderer API and
the Plan Lambda should instead see where the problem is and what is wrong, the same way in all three. Given
the model that was validated, a misspelt field also gets the nearest real one (`render.efect: unknown field;
did you mean 'effect'?`): pydantic says only that extra inputs are not permitted.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

_PREFIXES = ("Value error, ", "Assertion failed, ")
_CLOSE_ENOUGH = 0.75
"""difflib's similarity above which a field is suggested: 'efect' → 'effect' (0.91), 'imgae' → 'image' (0.8),
but not 'video_url' → 'image_url' (0.67), a different field rather than a slip."""
_LISTED_FIELDS = 12
"""Without a close match, an unknown field's message lists the valid ones when there are at most this many."""


@dataclass(frozen=True)
class FieldProblem:
    """One problem: where (`loc` as pydantic gives it, `path` as users read it), pydantic's error type, and
    the message."""

    loc: tuple[int | str, ...]
    path: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def field_path(loc: Sequence[int | str]) -> str:
    """('scenes', 2, 'audio') → 'scenes[2].audio'."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def field_problems(exc: ValidationError, model: type[BaseModel] | None = None) -> list[FieldProblem]:
    """Every problem, in the order pydantic found them. Errors raised by a model validator carry the model's
    own location; their message names the fields involved. `model` (the class validated) lets an unknown
    field's message suggest the field that was meant."""
    found = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = str(error["msg"])
        for prefix in _PREFIXES:
            message = message.removeprefix(prefix)
        if error["type"] == "extra_forbidden":
            message = _unknown_field(loc, model)
        found.append(FieldProblem(loc, field_path(loc), error["type"], message))
    return found


def problems(exc: ValidationError, model: type[BaseModel] | None = None) -> list[tuple[str, str]]:
    """(field path, message) per problem (see `field_problems`)."""
    return [(problem.path, problem.message) for problem in field_problems(exc, model)]


def first_problem(exc: ValidationError, model: type[BaseModel] | None = None) -> tuple[str, str]:
    return problems(exc, model)[0]


def describe_validation_error(exc: ValidationError, model: type[BaseModel] | None = None) -> list[str]:
    """One sentence per problem, field path first."""
    return [str(problem) for problem in field_problems(exc, model)]


def _unknown_field(loc: tuple[int | str, ...], model: type[BaseModel] | None) -> str:
    fields = _field_names(model, loc[:-1]) if model is not None and loc else None
    if not fields:
        return "unknown field"
    close = difflib.get_close_matches(str(loc[-1]), fields, n=1, cutoff=_CLOSE_ENOUGH)
    if close:
        return f"unknown field; did you mean {close[0]!r}?"
    if len(fields) <= _LISTED_FIELDS:
        return f"unknown field; expected one of {', '.join(sorted(fields))}"
    return "unknown field"


def _field_names(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The field names (as written in documents: aliases where set) of the model found at `loc`."""
    found = _model_at(model, loc)
    if found is None:
        return []
    return [field.alias or name for name, field in found.model_fields.items()]


def _model_at(annotation: Any, loc: Sequence[int | str]) -> type[BaseModel] | None:
    """Follow `loc` down the annotations: fields of models, items of lists, values of mappings."""
    current = annotation
    for part in loc:
        model = _as_model(current)
        if model is not None:
            field = _field_named(model, part)
            if field is None:
                return None
            current = field
        else:
            current = _item_type(current)
            if current is None:
                return None
    return _as_model(current)


def _field_named(model: type[BaseModel], part: int | str) -> Any:
    for name, field in model.model_fields.items():
        if part in (name, field.alias):
            return field.annotation
    return None


def _unwrapped(annotation: Any) -> list[Any]:
    """The types an annotation stands for: Annotated's type, each member of a union."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrapped(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [inner for member in get_args(annotation) for inner in _unwrapped(member)]
    return [annotation]


def _as_model(annotation: Any) -> type[BaseModel] | None:
    models = [t for t in _unwrapped(annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
    return models[0] if len(models) == 1 else None


def _item_type(annotation: Any) -> Any:
    for candidate in _unwrapped(annotation):
        origin = get_origin(candidate)
        args = [arg for arg in get_args(candidate) if arg is not Ellipsis]
        if isinstance(origin, type) and issubclass(origin, Sequence | Mapping) and args:
            return args[-1]
    return None
