"""The renderer's OpenAPI document, generated from the app (`schemas/renderer-openapi.json` is this output).

Built from an app whose queue never starts, so exporting needs no token, no ffmpeg and no network.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from cloudburst.renderer.fetch import FetchSettings, make_client
from cloudburst.renderer.lifecycle import Lifecycle
from cloudburst.renderer.media.api import RenderResult
from cloudburst.renderer.server import AppContext, create_app
from cloudburst.renderer.service import RenderService, ServiceSettings


def _never_called(*_: object, **__: object) -> RenderResult:
    raise AssertionError("the OpenAPI export renders nothing")


def openapi_document() -> dict[str, Any]:
    settings = FetchSettings(max_bytes=1)
    with make_client(settings) as client:
        service = RenderService(
            ServiceSettings(work_root=Path(tempfile.gettempdir()) / "unused"), _never_called, settings, client
        )
        context = AppContext(
            service=service,
            lifecycle=Lifecycle(service),
            token="unused-in-export",  # noqa: S106 - no server runs
            ffmpeg_version="n/a",
        )
        app = create_app(context)
        return app.openapi()


def openapi_json() -> str:
    """The document as committed: two-space indented, key order as generated, trailing newline."""
    return json.dumps(openapi_document(), indent=2, ensure_ascii=False) + "\n"
