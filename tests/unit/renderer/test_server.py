"""The app's error mapping in-process (the routes themselves are exercised over real HTTP in
tests/integration/renderer_api): an unexpected failure is a JSON 500 that reveals no internals."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from cloudburst.renderer.fetch import FetchSettings
from cloudburst.renderer.lifecycle import Lifecycle
from cloudburst.renderer.media.api import RenderResult
from cloudburst.renderer.models import RenderStatus
from cloudburst.renderer.server import AppContext, create_app
from cloudburst.renderer.service import RenderService, ServiceSettings


class BrokenService(RenderService):
    def status(self, render_id: str) -> RenderStatus:
        raise KeyError(f"internal detail {render_id}")


def never_renders(*_: object, **__: object) -> RenderResult:
    raise AssertionError("no render here")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    with httpx.Client() as http:
        service = BrokenService(ServiceSettings(work_root=tmp_path), never_renders, FetchSettings(max_bytes=1), http)
        context = AppContext(service=service, lifecycle=Lifecycle(service), token="t0ken", ffmpeg_version="test")
        yield create_app(context)


def call(app: FastAPI, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """One request through the ASGI app in-process (no socket)."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://renderer") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(send())


def test_an_unexpected_failure_is_a_json_500_without_internals(app: FastAPI) -> None:
    response = call(app, "/v1/renders/abc", {"Authorization": "Bearer t0ken"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "the renderer failed unexpectedly: KeyError"}
    }
    assert "internal detail" not in response.text


def test_the_openapi_document_is_not_served(app: FastAPI) -> None:
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert call(app, path).status_code == 404
