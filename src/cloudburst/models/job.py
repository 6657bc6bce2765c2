"""The job: CloudBurst's input contract (see `schemas/job.schema.json`, generated from these models).

A job is a list of scenes plus how to render, batch and run them. The same model validates a job in the CLI
(before anything is uploaded), in the S3 upload trigger and in the Plan Lambda (before any container starts),
so a job is accepted or refused with the same message everywhere.
"""

from __future__ import annotations

import re
from collections import Counter
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, AnyHttpUrl, Field, ValidationError, model_validator

from cloudburst.models.errors import first_problem
from cloudburst.models.render_options import Effect, RenderOptions, StrictModel

SCENE_NAME_PATTERN = r"^[A-Za-z0-9._-]{1,100}$"
MAX_SCENES_PER_JOB = 10_000
MAX_SCENES_PER_TASK = 200
"""A batch's child execution records ~40 history events per scene; 200 scenes stay far below the 25,000 cap."""

_S3_URI = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")


def _check_input_ref(value: str) -> str:
    """An input is `s3://bucket/key` or a key relative to the job's folder; never a path that climbs out."""
    if value.startswith("s3://"):
        if not _S3_URI.match(value):
            raise ValueError(f"{value!r} is not a valid s3:// URI (s3://bucket/key)")
        return value
    if "://" in value:
        raise ValueError(f"{value!r}: inputs are s3:// URIs or keys relative to the job; other schemes are refused")
    if value.startswith("/") or any(part in ("", ".", "..") for part in value.split("/")):
        raise ValueError(f"{value!r}: a relative key must not start with '/' or contain empty, '.' or '..' parts")
    return value


InputRef = Annotated[
    str,
    Field(min_length=1, max_length=1024, description="s3://bucket/key, or a key relative to the job's folder"),
    AfterValidator(_check_input_ref),
]


def _check_scene_name(value: str) -> str:
    """'.' and '..' match the pattern but name no file of their own ('..mp4', a hidden '.mp4')."""
    if not value.strip("."):
        raise ValueError(f"{value!r} is only dots; a scene name needs a letter, digit, '_' or '-'")
    return value


class SceneSpec(StrictModel):
    name: Annotated[str, AfterValidator(_check_scene_name)] = Field(
        pattern=SCENE_NAME_PATTERN, description="Unique in the job; names the output file."
    )
    image: InputRef
    audio: InputRef
    subtitles: InputRef | None = None
    watermark: InputRef | None = Field(default=None, description="Overrides the job's watermark image.")
    effect: Effect | None = Field(default=None, description="Shorthand for render.effect for this scene.")
    render: dict[str, Any] | None = Field(
        default=None, description="Per-scene overrides of the job's render options (same fields, merged)."
    )

    def input_refs(self) -> dict[str, str]:
        """The scene's inputs by role, omitting the absent ones."""
        refs = {
            "image": self.image,
            "audio": self.audio,
            "subtitles": self.subtitles,
            "watermark": self.watermark,
        }
        return {role: ref for role, ref in refs.items() if ref is not None}


class BatchingStrategy(StrEnum):
    COUNT = "count"  # the older library's split: `scenes_per_task` scenes per task, in order
    DURATION = "duration"  # balance audio seconds per task so no task holds the job back


class BatchingObjective(StrEnum):
    FASTEST = "fastest"
    CHEAPEST = "cheapest"


class BatchingOptions(StrictModel):
    strategy: BatchingStrategy = BatchingStrategy.DURATION
    scenes_per_task: int = Field(
        default=10, ge=1, le=MAX_SCENES_PER_TASK, description="Scenes per task for strategy=count."
    )
    max_parallel_tasks: int = Field(default=10, ge=1, le=100, description="Tasks running at the same time.")
    objective: BatchingObjective = Field(
        default=BatchingObjective.FASTEST,
        description="strategy=duration: finish soonest, or spend least (fewer, fuller tasks).",
    )
    deadline_seconds: float | None = Field(
        default=None,
        gt=0,
        description="strategy=duration: use the fewest tasks that finish by this deadline.",
    )
    scenes_in_flight: int = Field(
        default=2,
        ge=1,
        le=4,
        description="Scenes handed to a task at once: 2 lets the next scene download while one renders.",
    )


class Profile(StrEnum):
    """The older library's five configurations, by name (its config_priority 5, 1, 2, 3, 4)."""

    ECONOMY = "economy"  # 1 vCPU, 2 GB
    STANDARD = "standard"  # 2 vCPU, 4 GB
    HIGH = "high"  # 4 vCPU, 8 GB
    ULTRA = "ultra"  # 8 vCPU, 16 GB
    MAXIMUM = "maximum"  # 16 vCPU, 32 GB


class Capacity(StrEnum):
    ON_DEMAND = "on-demand"
    SPOT = "spot"


class Architecture(StrEnum):
    X86_64 = "x86_64"
    ARM64 = "arm64"


class ComputeOptions(StrictModel):
    profile: Profile = Profile.STANDARD
    capacity: Capacity = Capacity.ON_DEMAND
    architecture: Architecture = Architecture.X86_64

    @model_validator(mode="after")
    def _spot_runs_on_x86(self) -> Self:
        if self.capacity is Capacity.SPOT and self.architecture is Architecture.ARM64:
            raise ValueError("capacity 'spot' needs architecture 'x86_64': Fargate Spot is documented for x86_64")
        return self


class OutputOptions(StrictModel):
    prefix: str = Field(
        default="outputs/",
        pattern=r"^([A-Za-z0-9!_.*'()-]+/)*$",
        max_length=512,
        description="Key prefix for the videos and the report: <prefix><job id>/<scene>.mp4.",
    )


class NotifyOptions(StrictModel):
    webhook_url: AnyHttpUrl | None = Field(
        default=None, description="Receives an HMAC-SHA256-signed POST when the job ends."
    )


class JobSpec(StrictModel):
    version: Literal[1] = 1
    name: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9._-]{1,64}$", description="A label; it starts the job's id."
    )
    scenes: list[SceneSpec] = Field(min_length=1, max_length=MAX_SCENES_PER_JOB)
    render: RenderOptions = RenderOptions()
    watermark: InputRef | None = Field(default=None, description="Watermark image for every scene.")
    batching: BatchingOptions = BatchingOptions()
    compute: ComputeOptions = ComputeOptions()
    output: OutputOptions = OutputOptions()
    notify: NotifyOptions = NotifyOptions()

    @model_validator(mode="after")
    def _scenes_are_consistent(self) -> Self:
        duplicates = sorted(name for name, count in Counter(s.name for s in self.scenes).items() if count > 1)
        if duplicates:
            raise ValueError(f"scene names must be unique; repeated: {', '.join(duplicates[:10])}")
        _check_names_differ_beyond_case([scene.name for scene in self.scenes])
        for index, scene in enumerate(self.scenes):
            try:
                self.options_for(scene)
            except ValidationError as exc:
                path, message = first_problem(exc, RenderOptions)
                where = f"render.{path}" if path else "render"
                raise ValueError(f"scenes[{index}] ({scene.name}): {where}: {message}") from None
        return self

    def options_for(self, scene: SceneSpec) -> RenderOptions:
        """The scene's render options: the job's, deep-merged with the scene's overrides and effect."""
        merged = _deep_merge(self.render.model_dump(mode="json"), scene.render or {})
        if scene.effect is not None:
            merged["effect"] = scene.effect.value
        return RenderOptions.model_validate(merged)

    def watermark_for(self, scene: SceneSpec) -> str | None:
        return scene.watermark or self.watermark


def _check_names_differ_beyond_case(names: list[str]) -> None:
    """Videos are files named after their scenes; on a case-insensitive disk (macOS, Windows) `S1.mp4` and
    `s1.mp4` are one file, and downloading the job would silently keep only one of the two videos."""
    first_of: dict[str, int] = {}
    for index, name in enumerate(names):
        seen = first_of.setdefault(name.casefold(), index)
        if seen != index:
            raise ValueError(
                f"scenes[{seen}] ({names[seen]}) and scenes[{index}] ({name}): scene names must differ in more "
                "than case; their videos would be one file on a case-insensitive disk (macOS, Windows)"
            )


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/key` → (bucket, key); raises ValueError for anything else."""
    match = _S3_URI.match(uri)
    if not match:
        raise ValueError(f"{uri!r} is not an s3:// URI")
    return match["bucket"], match["key"]
