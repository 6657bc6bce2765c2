"""The renderer's HTTP API (v1, see docs/architecture.md) as the driver Lambdas call it.

`RendererClient` is the port: the pipeline is written against it and tested with an in-memory fake that
implements the same protocol. `HttpRendererClient` is the real one, over urllib3 (it ships with botocore, so
the Lambda layer needs nothing more). Every transport failure and every 503 but `shutting_down` becomes
`RendererUnavailable` (the state machine retries it); a refusal of the request itself, or a renderer that is
exiting, becomes `RenderRejected` (not retried).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import urllib3

from cloudburst.pipeline.errors import RendererUnavailable, RenderRejected

RENDERER_PORT = 8080
"""The container port in the task definition; Fargate (awsvpc) and the local cloud (127.0.0.N) both use it."""
STREAM_CHUNK_BYTES = 1024 * 1024
FINAL_UNAVAILABLE_CODES = frozenset({"shutting_down"})
"""503s that no retry can fix: a renderer that is exiting (released, SIGTERM, MAX_LIFETIME) takes no more
renders, so the scene fails at once with that reason instead of after minutes of backoff."""


def endpoint_for(address: str, port: int = RENDERER_PORT) -> str:
    return f"http://{address}:{port}"


@dataclass(frozen=True)
class OutputStream:
    """A finished render's video as it comes off the wire."""

    content_length: int | None
    chunks: Iterator[bytes]


class RendererClient(Protocol):
    """What the driver Lambdas need from one renderer task."""

    def health(self) -> dict[str, Any]: ...

    def submit(self, request: dict[str, Any]) -> dict[str, Any]: ...

    def status(self, render_id: str) -> dict[str, Any]: ...

    def output(self, render_id: str) -> AbstractContextManager[OutputStream]: ...

    def delete(self, render_id: str) -> None: ...

    def shutdown(self, mode: Literal["drain", "cancel"]) -> None: ...


class HttpRendererClient:
    """A renderer task's API at `endpoint` (http://ip:8080), authenticated with the batch's token."""

    def __init__(
        self,
        endpoint: str,
        token: str,
        *,
        pool: urllib3.PoolManager | None = None,
        connect_timeout_s: float = 3.0,
        read_timeout_s: float = 20.0,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._token = token
        self._pool = pool or urllib3.PoolManager(retries=False)
        self._timeout = urllib3.Timeout(connect=connect_timeout_s, read=read_timeout_s)

    def health(self) -> dict[str, Any]:
        return self._json("GET", "/healthz", authenticated=False)

    def submit(self, request: dict[str, Any]) -> dict[str, Any]:
        return self._json("POST", "/v1/renders", body=request)

    def status(self, render_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/renders/{render_id}")

    @contextmanager
    def output(self, render_id: str) -> Iterator[OutputStream]:
        response = self._request("GET", f"/v1/renders/{render_id}/output", stream=True)
        try:
            length = response.headers.get("Content-Length")

            def chunks() -> Iterator[bytes]:
                try:
                    yield from response.stream(STREAM_CHUNK_BYTES)
                except (urllib3.exceptions.HTTPError, OSError) as exc:
                    raise RendererUnavailable(f"the video stream of render {render_id} broke: {exc}") from None

            yield OutputStream(content_length=int(length) if length is not None else None, chunks=chunks())
        finally:
            response.release_conn()

    def delete(self, render_id: str) -> None:
        self._request("DELETE", f"/v1/renders/{render_id}", allow_not_found=True)

    def shutdown(self, mode: Literal["drain", "cancel"]) -> None:
        self._request("POST", "/v1/shutdown", body={"mode": mode})

    def _json(self, method: str, path: str, *, body: Any = None, authenticated: bool = True) -> dict[str, Any]:
        response = self._request(method, path, body=body, authenticated=authenticated)
        try:
            value = json.loads(response.data or b"{}")
        except ValueError:
            raise RendererUnavailable(f"{method} {path}: the renderer answered with invalid JSON") from None
        if not isinstance(value, dict):
            raise RendererUnavailable(f"{method} {path}: the renderer answered with a non-object")
        return value

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        authenticated: bool = True,
        stream: bool = False,
        allow_not_found: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        headers = {"Accept": "application/json"}
        if authenticated:
            headers["Authorization"] = f"Bearer {self._token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = self._pool.request(
                method,
                self._endpoint + path,
                body=payload,
                headers=headers,
                timeout=self._timeout,
                preload_content=not stream,
                redirect=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise RendererUnavailable(
                f"{method} {path}: the renderer at {self._endpoint} did not answer: {exc}"
            ) from None
        if response.status < 400 or (allow_not_found and response.status == 404):
            return response
        if stream:
            response.read()
            response.release_conn()
        code, message = _error_of(response)
        if code in FINAL_UNAVAILABLE_CODES:
            raise RenderRejected(f"{method} {path}: {response.status} {code}: {message}", code=code)
        if response.status in (409, 429) or response.status >= 500:
            raise RendererUnavailable(f"{method} {path}: {response.status} {code}: {message}")
        raise RenderRejected(f"{method} {path}: {response.status} {code}: {message}", code=code)


def _error_of(response: urllib3.BaseHTTPResponse) -> tuple[str, str]:
    """The API's `{"error": {"code", "message", "field"?}}`, or what can be said without it."""
    try:
        error = json.loads(response.data or b"{}").get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code = str(error.get("code") or f"http_{response.status}")
    message = str(error.get("message") or response.reason or "no message")
    if error.get("field"):
        message = f"{error['field']}: {message}"
    return code, message
