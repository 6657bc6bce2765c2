"""Where the in-process Lambdas' output goes: to the run directory, as on AWS it goes to CloudWatch Logs.

Handlers print (Powertools' logger writes JSON lines to stdout, its metrics print EMF documents, warnings go to
stderr). In-process, that would land in the middle of the terminal of whoever runs the local cloud. While the
cloud runs, `sys.stdout` and `sys.stderr` are wrapped by a stream that sends what a Lambda thread writes to the
Lambda log and everything else where it always went. A handler's module is imported with the routing on, so a
logger created at import (which keeps the stream it was given) writes through the router too. Log records a
Lambda thread sends up to the root logger (Powertools' tracer logs every handler exception there) are diverted
the same way, by a filter on the root logger's handlers.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_routing = threading.local()


class RoutedStream(io.TextIOBase):
    """Writes to the current thread's Lambda log if it has one, else to the stream it wraps."""

    def __init__(self, fallback: TextIO) -> None:
        super().__init__()
        self.fallback = fallback

    def _target(self) -> TextIO:
        target: TextIO | None = getattr(_routing, "target", None)
        return target if target is not None else self.fallback

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return self.fallback.isatty()

    def fileno(self) -> int:
        return self.fallback.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.fallback, "encoding", "utf-8") or "utf-8"


@contextmanager
def routed_to(target: TextIO | None) -> Iterator[None]:
    """Within this block, this thread's writes to stdout/stderr go to `target` (when routing is installed)."""
    previous = getattr(_routing, "target", None)
    _routing.target = target
    try:
        yield
    finally:
        _routing.target = previous


class LambdaRecordDiverter(logging.Filter):
    """On a root handler: a record logged by a Lambda thread goes to that thread's Lambda log instead."""

    _format = logging.Formatter("%(levelname)s %(name)s: %(message)s")

    def filter(self, record: logging.LogRecord) -> bool:
        target: TextIO | None = getattr(_routing, "target", None)
        if target is None:
            return True
        target.write(self._format.format(record) + "\n")
        return False


@contextmanager
def routing_installed() -> Iterator[None]:
    """Wrap `sys.stdout` and `sys.stderr`, and filter the root logger's handlers, for the duration."""
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, RoutedStream):
        sys.stdout = RoutedStream(sys.stdout)
    if not isinstance(sys.stderr, RoutedStream):
        sys.stderr = RoutedStream(sys.stderr)
    diverter = LambdaRecordDiverter()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(diverter)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(diverter)
        sys.stdout, sys.stderr = saved
