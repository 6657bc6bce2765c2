"""One JSON object per line on stdout: what CloudWatch Logs (awslogs driver) and the local cloud both collect.

Structured fields (render id, scene, timings) make a render's story searchable with Logs Insights. Nothing
secret is ever passed in: URLs go through `redact_url` first and the token is never a field.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

LOGGER_NAME = "cloudburst.renderer"


class JsonFormatter(logging.Formatter):
    """`{"ts", "level", "logger", "event", ...fields}`; exceptions become a one-line `error` field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            entry["error"] = f"{type(error).__name__}: {error}"
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    """Route every logger (ours, uvicorn's) through one JSON handler on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines would print full presigned URLs
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def get_logger() -> logging.Logger:
    return logging.getLogger(LOGGER_NAME)


def log_event(event: str, *, level: int = logging.INFO, **fields: Any) -> None:
    """Log `event` with structured `fields` (omitting those that are None)."""
    get_logger().log(level, event, extra={"fields": {k: v for k, v in fields.items() if v is not None}})
