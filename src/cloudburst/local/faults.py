"""Faults a test injects into the local cloud, each answered the way the AWS service answers it.

    cloud.faults.fail_run_task(times=2)                        # RunTask: "Capacity is unavailable"
    cloud.faults.throttle_lambda("RenderSceneFunction", times=3) # Invoke: 429 TooManyRequestsException
    cloud.faults.fail_s3("PutObject", key_contains="/intro.mp4", times=2)  # S3: 500 InternalError

The state machine's Retry and Catch see exactly what they would see on AWS (`AmazonECS.Unknown`,
`Lambda.TooManyRequestsException`, a Lambda that failed on an S3 `ClientError` after botocore's own retries),
so these faults test the product's error handling, not a local shortcut. Each fault is consumed by the call it
fails; `injected` lists every fault that fired, in order of kind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSPreparedRequest, AWSResponse

from cloudburst.local.botocore_answers import answer_response, install_answer, uninstall_answer
from cloudburst.local.ecs_runtime import EcsFaults

LAMBDA_THROTTLED: Final = "Rate Exceeded."
S3_SEND_EVENT: Final = "before-send.s3"


@dataclass
class _Countdown:
    """How many more calls matching a rule fail."""

    remaining: int
    description: str


@dataclass
class LambdaFaults:
    """Invoke calls that Lambda throttles, by function (its name or its logical id in the template)."""

    injected: list[str] = field(default_factory=list)
    _throttles: dict[str, _Countdown] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def throttle(self, function: str, times: int = 1) -> None:
        with self._lock:
            rule = self._throttles.setdefault(function, _Countdown(0, f"Lambda.TooManyRequestsException: {function}"))
            rule.remaining += times

    def take_throttle(self, *names: str) -> bool:
        """Whether this Invoke of the function known by `names` is throttled (consuming one fault)."""
        with self._lock:
            for name in names:
                rule = self._throttles.get(name)
                if rule is not None and rule.remaining > 0:
                    rule.remaining -= 1
                    self.injected.append(rule.description)
                    return True
        return False


@dataclass(frozen=True)
class _S3Rule:
    operation: str
    key_contains: str
    status: int
    code: str


class S3Faults:
    """S3 calls made from this process (the Lambdas, the interpreter) that fail, by operation and key.

    Installed as a botocore `before-send` handler ahead of moto's, like the Lambda dispatcher: a matching call
    gets S3's XML error response, which botocore parses and retries as it would on AWS. Calls from other
    processes (the renderer's presigned GETs, the CLI) reach S3 over HTTP and are not affected.
    """

    def __init__(self) -> None:
        self.injected: list[str] = []
        self._rules: dict[_S3Rule, int] = {}
        self._lock = threading.Lock()

    def fail(
        self, operation: str, *, key_contains: str = "", times: int = 1, status: int = 500, code: str = ""
    ) -> None:
        rule = _S3Rule(operation, key_contains, status, code or ("InternalError" if status >= 500 else "AccessDenied"))
        with self._lock:
            self._rules[rule] = self._rules.get(rule, 0) + times

    def install(self) -> None:
        install_answer(S3_SEND_EVENT, self)

    def uninstall(self) -> None:
        uninstall_answer(S3_SEND_EVENT, self)

    def __call__(self, request: AWSPreparedRequest, event_name: str = "", **_: Any) -> AWSResponse | None:
        if not self._rules:  # every S3 call of the run passes here; almost none has a fault waiting
            return None
        operation = event_name.rsplit(".", 1)[-1]
        path = unquote(urlsplit(request.url).path)
        with self._lock:
            for rule, remaining in self._rules.items():
                if remaining > 0 and rule.operation == operation and rule.key_contains in path:
                    self._rules[rule] = remaining - 1
                    self.injected.append(f"S3 {rule.code}: {operation} {path}")
                    return _s3_error(request, rule)
        return None


def _s3_error(request: AWSPreparedRequest, rule: _S3Rule) -> AWSResponse:
    body = (
        f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{escape(rule.code)}</Code>"
        f"<Message>injected by the local cloud: {escape(rule.code)}</Message><RequestId>local</RequestId></Error>"
    ).encode()
    return answer_response(request, rule.status, body, {"Content-Type": "application/xml"})


class LocalFaults:
    """Every fault the local cloud can inject (see the module docstring)."""

    def __init__(self, ecs: EcsFaults, lambdas: LambdaFaults, s3: S3Faults) -> None:
        self.ecs, self.lambdas, self.s3 = ecs, lambdas, s3

    def fail_run_task(self, times: int = 1) -> None:
        """The next `times` RunTask calls answer with a capacity failure instead of starting a task."""
        self.ecs.fail_run_task(times)

    def throttle_lambda(self, function: str, times: int = 1) -> None:
        """The next `times` Invoke calls of `function` (name or logical id) answer 429 TooManyRequestsException."""
        self.lambdas.throttle(function, times)

    def fail_s3(
        self, operation: str, *, key_contains: str = "", times: int = 1, status: int = 500, code: str = ""
    ) -> None:
        """The next `times` in-process S3 `operation` calls whose bucket/key path contains `key_contains` fail
        with `status` and `code` (500 InternalError by default; botocore retries those, as on AWS)."""
        self.s3.fail(operation, key_contains=key_contains, times=times, status=status, code=code)

    @property
    def injected(self) -> list[str]:
        """Every fault that fired so far: capacity failures, then throttles, then S3 errors."""
        return [*self.ecs.injected, *self.lambdas.injected, *self.s3.injected]
