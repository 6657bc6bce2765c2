"""Answering botocore requests in this process: the hook that sees them and the response it hands back.

A `before-send` handler that returns a response stops botocore from sending the request, and botocore then
parses that response exactly like one from the wire (status, headers, error shapes, retries). Registered in
botocore's built-in handlers, it applies to every session created from then on, including those that
moto's interpreter and the Lambda handlers create themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from io import BytesIO
from typing import Any

import botocore.handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

Answer = Callable[..., AWSResponse | None]


def install_answer(event: str, answer: Answer) -> None:
    """Let `answer` see (and, by returning a response, answer) `event` in every botocore session from now on."""
    entry = (event, answer)
    if entry not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.insert(0, entry)


def uninstall_answer(event: str, answer: Answer) -> None:
    while (event, answer) in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.remove((event, answer))


class _Body(BytesIO):
    """The raw body botocore reads a response from (it calls `stream()` or `read()`)."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        chunk = self.read()
        while chunk:
            yield chunk
            chunk = self.read()


def answer_response(request: AWSPreparedRequest, status: int, body: bytes, headers: Mapping[str, str]) -> AWSResponse:
    """The response to `request`, as botocore would have received it (Content-Length set from `body`)."""
    http_headers = HTTPHeaders()
    for name, value in headers.items():
        http_headers[name] = value
    http_headers["Content-Length"] = str(len(body))
    return AWSResponse(request.url, status, http_headers, _Body(body))
