"""`python -m cloudburst.renderer` / `cloudburst-renderer`: the container's entry point.

Reads the settings (environment + flags), refuses to start without a token, then serves the API with uvicorn
until one of the planned ways out (see `lifecycle`), and exits 0 after cleaning up. A wrong setting (exit 2)
or a port that cannot be bound (exit 3) are the only non-zero exits: real failures for ECS to report.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Generator
from pathlib import Path

import uvicorn

from cloudburst.renderer.config import ConfigError, RendererConfig, load_config
from cloudburst.renderer.fetch import FetchSettings, make_client
from cloudburst.renderer.lifecycle import Lifecycle
from cloudburst.renderer.logs import configure_logging, log_event
from cloudburst.renderer.models import ShutdownMode
from cloudburst.renderer.pipeline import ffmpeg_version, frame_resampler, select_render_function, video_encoder
from cloudburst.renderer.server import AppContext, create_app
from cloudburst.renderer.service import RenderService, ServiceSettings
from cloudburst.version import __version__

EXIT_CONFIG = 2
HTTP_GRACE_S = 5


class _Server(uvicorn.Server):
    """uvicorn, except that SIGTERM/SIGINT go to our lifecycle instead of uvicorn's own handling, which would
    re-raise the signal after shutdown and so end the process with a non-zero status."""

    def __init__(self, config: uvicorn.Config, on_signal: Callable[[signal.Signals], object]) -> None:
        super().__init__(config)
        self._on_signal = on_signal

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        loop = asyncio.get_running_loop()
        for sig in HANDLED_SIGNALS:
            loop.add_signal_handler(sig, self._on_signal, sig)
        for sig in _early_signals:  # arrived while starting up: act on them now
            self._on_signal(sig)
        try:
            yield
        finally:
            for sig in HANDLED_SIGNALS:
                loop.remove_signal_handler(sig)
                signal.signal(sig, _remember_signal)  # the exit is already under way; a late signal changes nothing


HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGINT)
_early_signals: list[signal.Signals] = []


def _remember_signal(signum: int, _frame: object) -> None:
    """Before the server runs (and after it stopped), a SIGTERM must not kill the process with a non-zero
    status: remember it, and let the server act on it as soon as its loop runs."""
    _early_signals.append(signal.Signals(signum))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="cloudburst-renderer",
        description="Serve the CloudBurst renderer API (settings come from the environment; see docs/renderer-api.md).",
    )
    parser.add_argument("--host", help="Address to listen on (default: $HOST or 0.0.0.0).")
    parser.add_argument("--port", type=int, help="Port to listen on (default: $PORT or 8080).")
    parser.add_argument(
        "--insecure-local-dev",
        action="store_true",
        help="Allow starting without RENDERER_TOKEN (no authentication). Never in a deployed container.",
    )
    parser.add_argument("--export-openapi", metavar="PATH", help="Write the OpenAPI document to PATH and exit.")
    parser.add_argument("--version", action="version", version=f"cloudburst-renderer {__version__}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    for sig in HANDLED_SIGNALS:
        signal.signal(sig, _remember_signal)
    args = parse_args(argv)
    if args.export_openapi:
        from cloudburst.renderer.openapi import openapi_json  # noqa: PLC0415 - only this path needs it

        Path(args.export_openapi).write_text(openapi_json(), encoding="utf-8")
        return 0
    try:
        config = load_config(
            os.environ,
            host=args.host,
            port=args.port,
            insecure_local_dev=True if args.insecure_local_dev else None,
        )
    except ConfigError as exc:
        print(f"cloudburst-renderer: refusing to start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(config.log_level)
    return serve(config)


def serve(config: RendererConfig) -> int:
    """Run until shut down; 0 after every planned exit."""
    owned_root = config.work_dir is None
    work_root = Path(tempfile.mkdtemp(prefix="cloudburst-renderer-")) if config.work_dir is None else config.work_dir
    fetch_settings = FetchSettings(
        max_bytes=config.max_input_bytes,
        connect_timeout_s=config.fetch_connect_timeout_s,
        read_timeout_s=config.fetch_read_timeout_s,
        total_timeout_s=config.fetch_total_timeout_s,
        attempts=config.fetch_attempts,
        backoff_s=config.fetch_backoff_s,
        max_redirects=config.fetch_max_redirects,
    )
    client = make_client(fetch_settings)
    service = RenderService(
        ServiceSettings(
            work_root=work_root,
            concurrency=config.concurrency,
            prefetch_depth=config.prefetch_depth,
            max_queued=config.max_queued,
            retention_s=config.retention_s,
            stop_wait_s=config.shutdown_grace_s,
        ),
        select_render_function(stub=config.stub_render),
        fetch_settings,
        client,
    )
    lifecycle = Lifecycle(
        service,
        idle_timeout_s=config.idle_timeout_s,
        max_lifetime_s=config.max_lifetime_s,
        grace_s=config.shutdown_grace_s,
    )
    ffmpeg = ffmpeg_version()
    app = create_app(AppContext(service=service, lifecycle=lifecycle, token=config.token, ffmpeg_version=ffmpeg))
    server = _Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=config.port,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=HTTP_GRACE_S,
        ),
        on_signal=lambda sig: lifecycle.request_exit(ShutdownMode.CANCEL, f"received {sig.name}"),
    )

    def stop_server() -> None:
        server.should_exit = True

    service.start()
    lifecycle.start(stop_server)
    if not config.auth_required:
        log_event("authentication is OFF (--insecure-local-dev): never run like this outside a developer machine")
    log_event(
        "renderer starting",
        version=__version__,
        host=config.host,
        port=config.port,
        concurrency=config.concurrency,
        stub_render=config.stub_render,
        idle_timeout_s=config.idle_timeout_s,
        max_lifetime_s=config.max_lifetime_s,
        ffmpeg=ffmpeg,
        resampler=frame_resampler(),
        encoder=video_encoder(),
        pid=os.getpid(),
    )
    exit_code = 0
    try:
        server.run()
    except SystemExit as exc:  # uvicorn could not start (the port is taken, say): a real failure for ECS
        exit_code = exc.code if isinstance(exc.code, int) else 1
        log_event("the HTTP server could not start", level=logging.ERROR, exit_code=exit_code)
        service.dispose(timeout_s=1.0)
    finally:
        if exit_code == 0 and not lifecycle.wait(0):
            lifecycle.request_exit(ShutdownMode.CANCEL, "the HTTP server stopped")
            lifecycle.wait(config.shutdown_grace_s + 5)
        client.close()
        if owned_root:
            shutil.rmtree(work_root, ignore_errors=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
