"""Importing a Lambda handler from the template's `CodeUri` and `Handler`, as the Python runtime does.

The runtime puts the function's code folder first on `sys.path` and imports `Handler`'s module; so do we.
Module-level code runs with the function's own environment, so a handler that reads its configuration at import
(a Powertools `Logger()` reading `POWERTOOLS_SERVICE_NAME`, a bucket name) sees its own values.

Each local cloud is a new deployment, so its functions start cold: the modules a previous cloud in this process
imported from the same code folder are forgotten first (`forget_modules_from`). Otherwise what they kept at
module level would outlive their cloud; a cached boto3 client, for one, keeps the botocore handlers of the
session it was made in, so the new cloud's injected faults would never reach it (and a client keyed on the
endpoint is reused when the new cloud happens to get the old one's port).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from cloudburst.local.aws_env import overlay
from cloudburst.local.lambda_dispatch import LambdaHandler
from cloudburst.local.lambda_output import routed_to
from cloudburst.local.template import TemplateError


def forget_modules_from(code_dir: Path) -> list[str]:
    """Drop from `sys.modules` every module loaded from a file under `code_dir` (a cold start for the functions
    whose code is there); the names dropped, for logs and tests."""
    root = code_dir.resolve()
    forgotten = []
    for name, module in list(sys.modules.items()):
        location = getattr(module, "__file__", None)
        if location is not None and Path(location).resolve().is_relative_to(root):
            del sys.modules[name]
            forgotten.append(name)
    return forgotten


def load_handler(
    code_dir: Path, handler: str, environment: Mapping[str, str], function: str, output: TextIO | None = None
) -> LambdaHandler:
    """The callable named by `handler` (`module.function` or `package.module.function`) under `code_dir`."""
    module_name, _, attribute = handler.rpartition(".")
    if not module_name or not attribute:
        raise TemplateError(f"{function}: Handler {handler!r} must look like module.function")
    if not code_dir.is_dir():
        raise TemplateError(f"{function}: CodeUri {code_dir} is not a folder")
    if str(code_dir) not in sys.path:
        sys.path.insert(0, str(code_dir))
    with overlay(dict(environment)), routed_to(output):
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise TemplateError(f"{function}: cannot import {module_name} from {code_dir}: {exc}") from exc
    target: Any = getattr(module, attribute, None)
    if not callable(target):
        raise TemplateError(f"{function}: {module_name} has no function {attribute!r}")
    handler_function: LambdaHandler = target
    return handler_function
