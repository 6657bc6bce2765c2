"""The renderer's HTTP API (v1) as a FastAPI app: routes are thin; the queue lives in `service`, the exit
decisions in `lifecycle`.

Request bodies are parsed by hand with the shared pydantic models so that every refusal is a 400
`{"error": {"code": "invalid_request", "message", "field"}}` built by `cloudburst.models.errors` (the same
sentences the CLI and the Plan Lambda print), instead of FastAPI's default 422 list.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from cloudburst.models.errors import field_path, first_problem
from cloudburst.renderer.auth import check_authorization
from cloudburst.renderer.errors import HTTP_STATUS, ApiError, ErrorCode
from cloudburst.renderer.lifecycle import Lifecycle
from cloudburst.renderer.logs import log_event
from cloudburst.renderer.models import (
    ErrorResponse,
    Health,
    RenderAccepted,
    RenderRequest,
    RenderStatus,
    ShutdownAccepted,
    ShutdownRequest,
)
from cloudburst.renderer.service import RenderService
from cloudburst.version import __version__

API_TITLE = "CloudBurst renderer API"
MAX_BODY_BYTES = 1024 * 1024
UNPROTECTED_PATHS = frozenset({"/healthz"})
Body = TypeVar("Body", bound=BaseModel)


@dataclass(frozen=True)
class AppContext:
    service: RenderService
    lifecycle: Lifecycle
    token: str | None
    ffmpeg_version: str


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorResponse} for code in codes}


def create_app(context: AppContext) -> FastAPI:
    """The app for one renderer process; `context` carries the queue, the lifecycle and the token."""
    app = FastAPI(
        title=API_TITLE,
        version=__version__,
        summary="Renders one scene (image + narration + subtitles) to one MP4 per request.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # not served: schemas/renderer-openapi.json is the published document
    )
    service, lifecycle = context.service, context.lifecycle

    def authorize(request: Request) -> None:
        check_authorization(context.token, request.headers.get("authorization"))
        # Only authenticated calls prove a driver is alive: health checks and strangers must not keep an
        # orphaned task (and its bill) running past IDLE_TIMEOUT.
        service.touch()

    @app.middleware("http")
    async def access_log(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.monotonic()
        response = await call_next(request)
        log_event(
            "request",
            level=logging.DEBUG if request.url.path in UNPROTECTED_PATHS else logging.INFO,
            method=request.method,
            path=request.url.path,
            status=response.status_code,
            ms=round((time.monotonic() - started) * 1000, 1),
        )
        return response

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.failure.code is ErrorCode.UNAUTHORIZED else None
        return JSONResponse({"error": exc.failure.as_json()}, status_code=exc.failure.http_status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def request_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        loc = [part for part in first["loc"] if part not in ("body", "path", "query")]
        return _error(ErrorCode.INVALID_REQUEST, str(first["msg"]), field_path(loc) or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return _error(ErrorCode.NOT_FOUND, f"no route {request.url.path}")
        if exc.status_code == 405:
            return _error(
                ErrorCode.INVALID_REQUEST, f"{request.method} is not allowed on {request.url.path}", status=405
            )
        return _error(ErrorCode.INVALID_REQUEST, str(exc.detail), status=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log_event("request crashed", level=logging.ERROR, path=request.url.path, error=repr(exc))
        body = {"code": "internal_error", "message": f"the renderer failed unexpectedly: {type(exc).__name__}"}
        return JSONResponse({"error": body}, status_code=500)

    @app.get("/healthz", response_model=Health, tags=["health"], summary="Liveness; no authentication.")
    def healthz() -> Health:
        queued, running = service.counts()
        return Health(
            status="shutting_down" if lifecycle.exiting else "ok",
            version=__version__,
            ffmpeg=context.ffmpeg_version,
            busy=bool(queued or running),
            queued=queued,
            running=running,
            uptime_s=round(lifecycle.uptime_s, 3),
        )

    v1 = APIRouter(prefix="/v1", dependencies=[Depends(authorize)], responses=_errors(401), tags=["renders"])

    @v1.post(
        "/renders",
        status_code=202,
        response_model=RenderAccepted,
        summary="Queue a render (202); an existing idempotency_key answers its render (200).",
        responses={200: {"model": RenderAccepted}, **_errors(400, 503)},
        openapi_extra=_body_schema("RenderRequest"),
    )
    async def create_render(request: Request, response: Response) -> RenderAccepted:
        body = await _parse(request, RenderRequest)
        status, created = service.submit(body)
        if not created:
            response.status_code = 200
        return RenderAccepted(render_id=status.render_id, status=status.status)

    @v1.get("/renders/{render_id}", response_model=RenderStatus, responses=_errors(404), summary="A render's status.")
    def get_render(render_id: str) -> RenderStatus:
        return service.status(render_id)

    @v1.get(
        "/renders/{render_id}/output",
        response_class=FileResponse,
        summary="The MP4 (Content-Length, Range); 409 until succeeded, the render's own error once failed.",
        responses={
            200: {"content": {"video/mp4": {}}},
            206: {"content": {"video/mp4": {}}},
            **_errors(400, 404, 409, 413, 422),
        },
    )
    def get_output(render_id: str) -> FileResponse:
        path, scene = service.output(render_id)
        if not path.is_file():
            raise ApiError(ErrorCode.NOT_FOUND, f"render {render_id}'s output was removed (deleted or expired)")
        return FileResponse(path, media_type="video/mp4", filename=f"{scene or render_id}.mp4")

    @v1.delete(
        "/renders/{render_id}",
        status_code=204,
        response_class=Response,
        responses=_errors(404),
        summary="Cancel the render if queued or running and remove its files.",
    )
    def delete_render(render_id: str) -> Response:
        service.delete(render_id)
        return Response(status_code=204)

    @v1.post(
        "/shutdown",
        status_code=202,
        response_model=ShutdownAccepted,
        responses=_errors(400),
        summary="Drain or cancel, clean up, then exit 0.",
        openapi_extra=_body_schema("ShutdownRequest", required=False),
    )
    async def shutdown(request: Request) -> ShutdownAccepted:
        body = await _parse(request, ShutdownRequest, empty_ok=True)
        queued, running = service.counts()
        lifecycle.request_exit(body.mode, f"POST /v1/shutdown (mode {body.mode.value})")
        return ShutdownAccepted(mode=body.mode, queued=queued, running=running)

    app.include_router(v1)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _error(code: ErrorCode, message: str, field: str | None = None, *, status: int | None = None) -> JSONResponse:
    body: dict[str, str] = {"code": code.value, "message": message}
    if field:
        body["field"] = field
    return JSONResponse({"error": body}, status_code=status or HTTP_STATUS[code])


async def _parse(request: Request, model: type[Body], *, empty_ok: bool = False) -> Body:
    """The request body as `model`, or a 400 naming the first wrong field."""
    raw = await _read_body(request)
    if not raw.strip():
        if empty_ok:
            return model()
        raise ApiError(ErrorCode.INVALID_REQUEST, "the body is empty; send a JSON object")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        path, message = first_problem(exc, model)
        raise ApiError(ErrorCode.INVALID_REQUEST, f"{path}: {message}" if path else message, path or None) from None


async def _read_body(request: Request) -> bytes:
    """The body, refused as soon as it is known to exceed `MAX_BODY_BYTES`: from its declared length, or
    while it streams in (chunked). Reading it whole first would let one request hold gigabytes in memory."""
    too_large = ApiError(ErrorCode.INVALID_REQUEST, f"the body is larger than {MAX_BODY_BYTES} bytes")
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    return bytes(body)


def _body_schema(model_name: str, *, required: bool = True) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{model_name}"}
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": ref}}}}


_ERROR_400 = {
    "description": "Bad Request",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document plus the two hand-parsed request bodies, whose schemas it cannot see."""
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        for model in (RenderRequest, ShutdownRequest):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
        # Invalid paths and bodies answer 400 ErrorResponse here, never FastAPI's default 422 list.
        for operation in (op for path in document["paths"].values() for op in path.values()):
            default_422 = operation.get("responses", {}).get("422", {})
            if "HTTPValidationError" in json.dumps(default_422):
                operation["responses"].pop("422")
                operation["responses"].setdefault("400", _ERROR_400)
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        document["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        document["security"] = [{"bearer": []}]
        document["paths"]["/healthz"]["get"]["security"] = []
        app.openapi_schema = document
    return app.openapi_schema
