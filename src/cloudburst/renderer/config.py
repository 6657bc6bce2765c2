"""The renderer's settings: read once from the environment (and a few command-line flags), validated, frozen.

ECS hands the container its settings as environment variables (the task definition plus the per-batch
overrides), so a mistyped value must stop the process at start-up with a message naming the variable, not
surface later as a strange timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Self

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cloudburst.models.errors import describe_validation_error

GIB = 1024**3


class ConfigError(ValueError):
    """The environment or the flags are wrong; the message names the variable."""


class RendererConfig(BaseModel):
    """Every knob of the renderer. Field aliases are the environment variable names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    token: str | None = Field(default=None, alias="RENDERER_TOKEN", repr=False)
    host: str = Field(default="0.0.0.0", alias="HOST")  # noqa: S104 - a container listens on its task ENI
    port: int = Field(default=8080, ge=1, le=65535, alias="PORT")
    concurrency: int = Field(default=1, ge=1, le=32, alias="RENDER_CONCURRENCY")
    idle_timeout_s: float = Field(default=0.0, ge=0, alias="IDLE_TIMEOUT")
    max_lifetime_s: float = Field(default=0.0, ge=0, alias="MAX_LIFETIME")
    work_dir: Path | None = Field(default=None, alias="WORK_DIR")
    max_input_bytes: int = Field(default=2 * GIB, ge=1, alias="MAX_INPUT_BYTES")
    retention_s: float = Field(default=3600.0, gt=0, alias="RENDER_RETENTION_SECONDS")
    stub_render: bool = Field(default=False, alias="CLOUDBURST_STUB_RENDER")
    max_queued: int = Field(default=100, ge=1, le=10_000, alias="MAX_QUEUED_RENDERS")
    prefetch_depth: int = Field(
        default=2,
        ge=1,
        le=16,
        alias="PREFETCH_DEPTH",
        description="Queued renders whose inputs are downloaded ahead of their turn (bounds disk use).",
    )
    fetch_connect_timeout_s: float = Field(default=10.0, gt=0, alias="FETCH_CONNECT_TIMEOUT")
    fetch_read_timeout_s: float = Field(default=30.0, gt=0, alias="FETCH_READ_TIMEOUT")
    fetch_total_timeout_s: float = Field(default=900.0, gt=0, alias="FETCH_TOTAL_TIMEOUT")
    fetch_attempts: int = Field(default=4, ge=1, le=10, alias="FETCH_ATTEMPTS")
    fetch_backoff_s: float = Field(default=0.5, ge=0, le=30, alias="FETCH_BACKOFF")
    fetch_max_redirects: int = Field(default=5, ge=0, le=20, alias="FETCH_MAX_REDIRECTS")
    shutdown_grace_s: float = Field(
        default=20.0,
        gt=0,
        alias="SHUTDOWN_GRACE",
        description="How long a cancel waits for work to stop before exiting anyway (ECS kills at 30 s).",
    )
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$", alias="LOG_LEVEL")
    insecure_local_dev: bool = Field(default=False, validation_alias=AliasChoices("insecure_local_dev"))

    @field_validator("token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("stub_render", mode="before")
    @classmethod
    def _flag(cls, value: object) -> object:
        if isinstance(value, str):
            return value.strip().lower() in ("1", "true", "yes", "on")
        return value

    @model_validator(mode="after")
    def _token_or_explicit_insecurity(self) -> Self:
        if self.token is None and not self.insecure_local_dev:
            raise ValueError(
                "RENDERER_TOKEN is not set: the renderer refuses to start without an API token "
                "(set RENDERER_TOKEN, or pass --insecure-local-dev on a development machine)"
            )
        return self

    @property
    def auth_required(self) -> bool:
        return self.token is not None


def load_config(environ: Mapping[str, str], **overrides: object) -> RendererConfig:
    """Settings from `environ`; `overrides` (command-line flags, by field name) win over it."""
    values: dict[str, object] = {name: value for name, value in environ.items() if value != ""}
    for name, value in overrides.items():
        if value is not None:
            values[RendererConfig.model_fields[name].alias or name] = value
    try:
        return RendererConfig.model_validate(values)
    except ValidationError as exc:
        raise ConfigError("; ".join(describe_validation_error(exc))) from None
