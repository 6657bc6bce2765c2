"""Validation errors as short sentences that name the field, e.g. `scenes[2].audio: field required`.

Pydantic's own messages carry type codes and documentation links; users of the CLI, the renderer API and
the Plan Lambda should instead see where the problem is and what is wrong, the same way in all three.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

_PREFIXES = ("Value error, ", "Assertion failed, ")


def field_path(loc: Sequence[int | str]) -> str:
    """('scenes', 2, 'audio') → 'scenes[2].audio'."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(field path, message) per problem, in the order pydantic found them. Errors raised by a model
    validator carry the model's own location; their message names the fields involved."""
    found = []
    for error in exc.errors():
        message = str(error["msg"])
        for prefix in _PREFIXES:
            message = message.removeprefix(prefix)
        found.append((field_path(error["loc"]), message))
    return found


def first_problem(exc: ValidationError) -> tuple[str, str]:
    return problems(exc)[0]


def describe_validation_error(exc: ValidationError) -> list[str]:
    """One sentence per problem, field path first."""
    return [f"{path}: {message}" if path else message for path, message in problems(exc)]
