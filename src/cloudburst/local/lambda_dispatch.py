"""Lambda `Invoke` answered by our real handlers, in this process, with AWS's wire format.

moto's Lambda needs Docker to run code, and without it returns an empty success for any function, even one
that does not exist. Instead, a botocore `before-send.lambda.Invoke` handler answers every Invoke made by any
botocore client in this process (the Step Functions interpreter's and the handlers' own): it calls the
handler registered under the function's name and returns an HTTP response that goes through botocore's
normal parser, so callers see exactly what AWS sends: `StatusCode`, `FunctionError: Unhandled` with an
`{errorMessage, errorType, stackTrace}` payload, `ResourceNotFoundException` for an unknown function.

The hook is added to botocore's built-in handlers, so every client created afterwards has it (moto creates a
client per service call). Calls that miss it (a client created before the local cloud started) go to the
loopback endpoint set by `aws_env`, never to AWS.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TextIO
from urllib.parse import parse_qs, unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from cloudburst.local.aws_env import LOCAL_ACCOUNT_ID, LOCAL_REGION
from cloudburst.local.botocore_answers import answer_response, install_answer, uninstall_answer
from cloudburst.local.lambda_output import routed_to

INVOKE_EVENT: Final = "before-send.lambda.Invoke"
MAX_SYNC_PAYLOAD_BYTES: Final = 6 * 1024 * 1024

LambdaHandler = Callable[[Any, Any], Any]

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalFunction:
    """A function from the template, ready to call."""

    name: str
    logical_id: str
    handler: LambdaHandler
    timeout_seconds: float = 3.0
    memory_mb: int = 128


@dataclass
class LambdaContext:
    """The context object the Python runtime passes to a handler (the attributes Powertools reads)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    deadline: float
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class Invocation:
    function: str
    request_id: str
    started_at: float
    duration_ms: float
    error_type: str | None


@dataclass
class _Outcome:
    status: int
    payload: bytes
    headers: dict[str, str] = field(default_factory=dict)
    error_code: str | None = None


class _HandlerRun:
    """One call of a handler, run on its own thread so the caller can stop waiting at the function's Timeout."""

    def __init__(self, handler: LambdaHandler, event: Any, context: LambdaContext, output: TextIO | None) -> None:
        self._handler, self._event, self._context, self._output = handler, event, context, output
        self.result: Any = None
        self.error: BaseException | None = None

    def __call__(self) -> None:
        with routed_to(self._output):
            try:
                self.result = self._handler(self._event, self._context)
            except Exception as exc:  # noqa: BLE001 - the Lambda runtime turns any exception into an error payload
                self.error = exc


def function_name_from_url(url: str) -> str:
    """The function's name in an Invoke URL, whether it was called by name, ARN, partial ARN or with a
    qualifier: `/2015-03-31/functions/{FunctionName}/invocations`."""
    path = urlsplit(url).path
    identifier = unquote(path.split("/functions/", 1)[1].rsplit("/invocations", 1)[0])
    parts = identifier.split(":")
    if identifier.startswith("arn:"):
        return parts[6]
    if len(parts) >= 3 and parts[1] == "function":
        return parts[2]
    return parts[0]


def _qualifier(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("Qualifier")
    return values[0] if values else None


def _header(request: AWSPreparedRequest, name: str, default: str) -> str:
    value: Any = request.headers.get(name, default)
    return value.decode() if isinstance(value, bytes) else str(value)


def _body_bytes(request: AWSPreparedRequest) -> bytes:
    body = request.body or b""
    if hasattr(body, "read"):
        body = body.read()
    return body.encode() if isinstance(body, str) else bytes(body)


class LambdaDispatcher:
    """Maps function names to handlers and answers Invoke calls for them."""

    def __init__(self, region: str = LOCAL_REGION, account_id: str = LOCAL_ACCOUNT_ID) -> None:
        self.region = region
        self.account_id = account_id
        self._functions: dict[str, LocalFunction] = {}
        self._invocations: list[Invocation] = []
        self._lock = threading.Lock()
        self._async_threads: list[threading.Thread] = []
        self.output: TextIO | None = None
        """Where handlers' stdout and stderr go (the run's Lambda log); None leaves them alone."""
        self.throttled: Callable[[str, str], bool] = lambda name, logical_id: False
        """Whether Lambda throttles this Invoke (by function name and logical id): a fault a test injects."""

    # -- registry ------------------------------------------------------------------------------------------
    def register(self, function: LocalFunction) -> None:
        self._functions[function.name] = function

    def functions(self) -> Mapping[str, LocalFunction]:
        return dict(self._functions)

    def invocations(self) -> list[Invocation]:
        with self._lock:
            return list(self._invocations)

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    # -- installation --------------------------------------------------------------------------------------
    def install(self) -> None:
        """Answer Invoke on every botocore session created from now on."""
        install_answer(INVOKE_EVENT, self)

    def uninstall(self) -> None:
        uninstall_answer(INVOKE_EVENT, self)
        for thread in self._async_threads:
            thread.join(timeout=30)

    # -- the botocore hook ---------------------------------------------------------------------------------
    def __call__(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        name = function_name_from_url(request.url)
        function = self._functions.get(name)
        if function is None:
            message = f"Function not found: {self.function_arn(name)}"
            return self._error_response(request, 404, "ResourceNotFoundException", message)
        qualifier = _qualifier(request.url)
        if qualifier not in (None, "$LATEST"):
            message = f"Function not found: {self.function_arn(name)}:{qualifier} (only $LATEST exists locally)"
            return self._error_response(request, 404, "ResourceNotFoundException", message)
        if self.throttled(function.name, function.logical_id):
            return self._error_response(request, 429, "TooManyRequestsException", "Rate Exceeded.")
        body = _body_bytes(request)
        if len(body) > MAX_SYNC_PAYLOAD_BYTES:
            message = f"Request must be smaller than {MAX_SYNC_PAYLOAD_BYTES} bytes for the InvokeFunction operation"
            return self._error_response(request, 413, "RequestTooLargeException", message)
        try:
            event = json.loads(body) if body.strip() else {}
        except ValueError:
            return self._error_response(request, 400, "InvalidRequestContentException", "Could not parse request body")
        invocation_type = _header(request, "X-Amz-Invocation-Type", "RequestResponse")
        if invocation_type == "DryRun":
            return self._response(request, _Outcome(204, b""))
        if invocation_type == "Event":
            thread = threading.Thread(target=self.invoke, args=(function, event), name=f"lambda-{name}", daemon=True)
            self._async_threads = [t for t in self._async_threads if t.is_alive()] + [thread]
            thread.start()
            return self._response(request, _Outcome(202, b""))
        return self._response(request, self.invoke(function, event))

    # -- running a handler ---------------------------------------------------------------------------------
    def invoke(self, function: LocalFunction, event: Any) -> _Outcome:
        """Run the handler as the Python runtime does: its return value JSON-encoded, its exception as an
        `Unhandled` function error, and a run past the function's Timeout as the runtime's timeout error (whose
        payload has no `errorType`, which Step Functions names `Lambda.Unknown`)."""
        request_id = str(uuid.uuid4())
        context = LambdaContext(
            function_name=function.name,
            invoked_function_arn=self.function_arn(function.name),
            memory_limit_in_mb=function.memory_mb,
            aws_request_id=request_id,
            deadline=time.monotonic() + function.timeout_seconds,
            log_group_name=f"/aws/lambda/{function.name}",
        )
        started, clock = time.time(), time.perf_counter()
        run = _HandlerRun(function.handler, event, context, self.output)
        runner = threading.Thread(target=run, name=f"lambda-{function.name}", daemon=True)
        runner.start()
        runner.join(function.timeout_seconds)
        if runner.is_alive():
            error_type = "Task timed out"
            message = f"{request_id} Task timed out after {function.timeout_seconds:.2f} seconds"
            _LOG.warning(
                "%s timed out after %.2f s; its thread runs on but its result is dropped",
                function.name,
                function.timeout_seconds,
            )
            outcome = _Outcome(
                200, json.dumps({"errorMessage": message}).encode(), {"X-Amz-Function-Error": "Unhandled"}
            )
        elif run.error is not None:
            error_type = type(run.error).__name__
            stack = traceback.format_exception(run.error)[-8:]
            outcome = self._unhandled(error_type, str(run.error), request_id, stack)
        else:
            error_type = None
            try:
                outcome = _Outcome(200, json.dumps(run.result).encode())
            except (TypeError, ValueError) as exc:
                error_type = "Runtime.MarshalError"
                outcome = self._unhandled(error_type, f"Unable to marshal response: {exc}", request_id, [])
        with self._lock:
            self._invocations.append(
                Invocation(function.name, request_id, started, (time.perf_counter() - clock) * 1000, error_type)
            )
        if error_type:
            _LOG.info("%s failed with %s (request %s)", function.name, error_type, request_id)
        return outcome

    @staticmethod
    def _unhandled(error_type: str, message: str, request_id: str, stack: list[str]) -> _Outcome:
        payload = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
        return _Outcome(200, json.dumps(payload).encode(), {"X-Amz-Function-Error": "Unhandled"})

    # -- HTTP responses ------------------------------------------------------------------------------------
    @staticmethod
    def _response(request: AWSPreparedRequest, outcome: _Outcome) -> AWSResponse:
        headers = {
            "Content-Type": "application/json",
            "X-Amz-Executed-Version": "$LATEST",
            "x-amzn-RequestId": str(uuid.uuid4()),
            **outcome.headers,
        }
        return answer_response(request, outcome.status, outcome.payload, headers)

    @staticmethod
    def _error_response(request: AWSPreparedRequest, status: int, code: str, message: str) -> AWSResponse:
        body = json.dumps({"Type": "User" if status < 500 else "Service", "message": message}).encode()
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code, "x-amzn-RequestId": str(uuid.uuid4())}
        return answer_response(request, status, body, headers)
