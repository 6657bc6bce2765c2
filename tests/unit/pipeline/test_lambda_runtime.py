"""What every handler shares: compact error payloads and clients reused across invocations."""

from __future__ import annotations

import importlib
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

FUNCTIONS = Path(__file__).resolve().parents[3] / "functions"


Handler = Callable[[dict[str, Any], object], dict[str, Any]]
"""A Lambda handler as the runtime calls it (the module under test is loaded from a file, so untyped here)."""


@pytest.fixture
def lambda_runtime(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Imported as Lambda imports it: with the function's environment already set (Powertools reads it)."""
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "CloudBurst")
    monkeypatch.syspath_prepend(str(FUNCTIONS))
    return importlib.import_module("lambda_runtime")


class RenderFailed(Exception):
    """Stands for any named error the state machine catches by class name."""


def _deep(levels: int, message: str) -> None:
    if levels:
        _deep(levels - 1, message)
    raise RenderFailed(message)


def test_errors_keep_their_name_but_carry_one_frame_and_a_bounded_message(lambda_runtime: ModuleType) -> None:
    def raw(event: dict[str, Any], context: object) -> dict[str, Any]:
        _deep(30, "x" * 5000)
        return {}

    handler: Handler = lambda_runtime.compact_errors(raw)

    with pytest.raises(RenderFailed) as caught:
        handler({}, None)
    frames = traceback.extract_tb(caught.value.__traceback__)
    # the caller (here the test, on AWS the runtime, whose frames it strips) and then only the wrapper
    assert [frame.name for frame in frames][1:] == ["wrapper"]
    assert len(str(caught.value)) == lambda_runtime.MAX_ERROR_MESSAGE_CHARS
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_successful_results_pass_through(lambda_runtime: ModuleType) -> None:
    def raw(event: dict[str, Any], context: object) -> dict[str, Any]:
        return {"echo": event}

    handler: Handler = lambda_runtime.compact_errors(raw)

    assert handler({"a": 1}, None) == {"echo": {"a": 1}}


def test_clients_are_reused_until_the_endpoint_changes(
    lambda_runtime: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")
    first, again = lambda_runtime.s3_client(), lambda_runtime.s3_client()
    assert first is again
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")
    moved = lambda_runtime.s3_client()
    assert moved is not first
    assert moved.meta.endpoint_url == "http://127.0.0.1:2"
    assert lambda_runtime.ecs_client() is not lambda_runtime.s3_client()
