"""The stack's settings as the Lambdas receive them (environment variables set by template.yaml).

Read once per cold start by the handlers; a missing variable is a deployment error, reported by its name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


class MissingSetting(RuntimeError):
    """An environment variable the template should have set is absent."""


def setting(name: str, environ: Mapping[str, str] | None = None) -> str:
    value = (os.environ if environ is None else environ).get(name, "")
    if not value:
        raise MissingSetting(f"environment variable {name} is not set (it comes from template.yaml)")
    return value


def int_setting(name: str, environ: Mapping[str, str] | None = None) -> int:
    raw = setting(name, environ)
    try:
        return int(raw)
    except ValueError:
        raise MissingSetting(f"environment variable {name} must be an integer, got {raw!r}") from None
