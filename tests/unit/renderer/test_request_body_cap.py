"""A request body over the cap is refused without being read whole: by its declared length before any byte, or
as soon as a chunked body passes the cap."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from cloudburst.renderer.errors import ApiError, ErrorCode
from cloudburst.renderer.server import MAX_BODY_BYTES, _read_body

CHUNK = b" " * 65536


def _request(headers: dict[str, str], chunks: int) -> tuple[Request, list[int]]:
    """A request whose body is `chunks` chunks of 64 KiB; the list counts the chunks the app asked for."""
    asked = [0]

    async def receive() -> dict[str, Any]:
        asked[0] += 1
        if asked[0] > chunks:
            raise AssertionError("the app read past the end of the body")
        return {"type": "http.request", "body": CHUNK, "more_body": asked[0] < chunks}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/renders",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }
    return Request(scope, receive), asked


def test_a_declared_length_over_the_cap_is_refused_before_reading() -> None:
    request, asked = _request({"content-length": str(10**10)}, chunks=1)
    with pytest.raises(ApiError) as caught:
        asyncio.run(_read_body(request))
    assert caught.value.failure.code is ErrorCode.INVALID_REQUEST
    assert "larger than" in caught.value.failure.message
    assert asked[0] == 0


def test_a_chunked_body_is_refused_as_soon_as_it_passes_the_cap() -> None:
    request, asked = _request({"transfer-encoding": "chunked"}, chunks=100_000)  # 6.5 GB if read whole
    with pytest.raises(ApiError, match="larger than"):
        asyncio.run(_read_body(request))
    assert asked[0] == MAX_BODY_BYTES // len(CHUNK) + 1


def test_a_body_within_the_cap_is_read_whole() -> None:
    request, asked = _request({"content-length": str(3 * len(CHUNK))}, chunks=3)
    assert asyncio.run(_read_body(request)) == CHUNK * 3
    assert asked[0] == 3
