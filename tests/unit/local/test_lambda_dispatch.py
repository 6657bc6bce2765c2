"""Lambda Invoke answered by in-process handlers, in AWS's wire format, through a real botocore client."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from cloudburst.local.lambda_dispatch import LambdaDispatcher, LocalFunction, function_name_from_url


class RenderFailed(Exception):
    pass


def _echo(event: Any, context: Any) -> Any:
    return {"event": event, "function": context.function_name, "remaining_ms": context.get_remaining_time_in_millis()}


def _fail(event: Any, context: Any) -> Any:
    raise RenderFailed("scene_3: audio unreadable")


def _slow(event: Any, context: Any) -> Any:
    time.sleep(0.5)
    return {}


def _unserialisable(event: Any, context: Any) -> Any:
    return {"when": object()}


called = threading.Event()


def _record(event: Any, context: Any) -> Any:
    called.set()
    return None


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Nothing listens on port 9: any call that missed the dispatcher would fail here, never reach AWS.
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9")
    dispatcher = LambdaDispatcher()
    for name, handler, timeout in [
        ("echo", _echo, 3.0),
        ("fail", _fail, 3.0),
        ("slow", _slow, 0.1),
        ("unserialisable", _unserialisable, 3.0),
        ("record", _record, 3.0),
    ]:
        dispatcher.register(LocalFunction(name=name, logical_id=name, handler=handler, timeout_seconds=timeout))
    dispatcher.install()
    try:
        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name="us-east-1")
        yield session.client("lambda")
    finally:
        dispatcher.uninstall()


def _payload(response: dict[str, Any]) -> Any:
    return json.loads(response["Payload"].read())


def test_a_handler_result_is_the_payload(client: Any) -> None:
    response = client.invoke(FunctionName="echo", Payload=json.dumps({"scene": "a"}))
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    payload = _payload(response)
    assert payload["event"] == {"scene": "a"}
    assert payload["function"] == "echo"
    assert 0 < payload["remaining_ms"] <= 3000


def test_a_handler_exception_is_an_unhandled_function_error_named_by_its_class(client: Any) -> None:
    response = client.invoke(FunctionName="fail", Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    payload = _payload(response)
    assert payload["errorType"] == "RenderFailed"
    assert payload["errorMessage"] == "scene_3: audio unreadable"
    assert payload["stackTrace"]


def test_a_timeout_is_a_function_error_without_error_type(client: Any) -> None:
    response = client.invoke(FunctionName="slow", Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    payload = _payload(response)
    assert "errorType" not in payload
    assert "Task timed out after 0.10 seconds" in payload["errorMessage"]


def test_an_unserialisable_result_is_a_marshal_error(client: Any) -> None:
    payload = _payload(client.invoke(FunctionName="unserialisable", Payload=b"{}"))
    assert payload["errorType"] == "Runtime.MarshalError"


@pytest.mark.parametrize("name", ["missing", "arn:aws:lambda:us-east-1:123456789012:function:missing"])
def test_an_unknown_function_is_an_error_never_a_silent_success(client: Any, name: str) -> None:
    with pytest.raises(ClientError) as raised:
        client.invoke(FunctionName=name, Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert "function:missing" in raised.value.response["Error"]["Message"]


def test_only_latest_exists(client: Any) -> None:
    with pytest.raises(ClientError, match="only \\$LATEST"):
        client.invoke(FunctionName="echo", Qualifier="prod", Payload=b"{}")


def test_an_event_invocation_is_accepted_and_runs_in_the_background(client: Any) -> None:
    called.clear()
    response = client.invoke(FunctionName="record", InvocationType="Event", Payload=b"{}")
    assert response["StatusCode"] == 202
    assert called.wait(5)


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://lambda/2015-03-31/functions/plan/invocations", "plan"),
        ("https://lambda/2015-03-31/functions/plan%3Aprod/invocations", "plan"),
        (
            "https://lambda/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Aplan/invocations",
            "plan",
        ),
        ("https://lambda/2015-03-31/functions/123456789012%3Afunction%3Aplan/invocations", "plan"),
    ],
)
def test_function_names_are_read_from_names_arns_and_partial_arns(url: str, name: str) -> None:
    assert function_name_from_url(url) == name
