"""The documents the states hand to each other: the batch items PlanJob writes to `batches.json`, the scene
work list of a batch, where a batch's task answers, and the state of one render while it is polled.

They are small on purpose (Step Functions caps a payload at 256 KiB): a batch item names its scenes and the
S3 key of their full requests instead of carrying them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloudburst.models.job import Architecture, Capacity, Profile


class Payload(BaseModel):
    """State inputs carry more than each Lambda reads (the ASL passes whole state), so extras are ignored."""

    model_config = ConfigDict(extra="ignore")


class BatchItem(Payload):
    """One Distributed Map item: everything RunBatch needs to start and drive one renderer task."""

    index: int
    attempt: int = 0
    group: str = Field(description="ECS task group; how FindTask finds the task runTask.sync started.")
    scenes: list[str] = Field(description="Scene names, in render order (the RenderScenes Map's items).")
    scenes_key: str = Field(description="S3 key of this batch's SceneRequest list.")
    audio_seconds: float
    token: str = Field(description="RENDERER_TOKEN of this batch's task (a fresh one per attempt).")
    profile: Profile
    capacity: Capacity
    architecture: Architecture
    capacity_provider_strategy: list[dict[str, Any]]
    cpu: str = Field(description="Task CPU units, as the RunTask override wants them (a string).")
    memory: str = Field(description="Task memory in MiB (a string).")
    task_definition: str
    idle_timeout: str = Field(description="IDLE_TIMEOUT for the renderer, seconds (a string: it is an env var).")
    max_lifetime: str = Field(description="MAX_LIFETIME for the renderer, seconds.")
    run_timeout_s: int = Field(description="TimeoutSeconds of runTask.sync: past it Step Functions stops the task.")
    start_timeout_s: int = Field(description="How long FindTask waits for the task's API to answer.")
    scenes_in_flight: int


class SceneRequest(Payload):
    """A scene as the renderer will get it: absolute inputs, merged options, and its deadline."""

    name: str
    inputs: dict[str, str] = Field(description="role (image, audio, subtitles, watermark) → s3:// URI")
    options: dict[str, Any]
    audio_seconds: float
    expected_s: float = Field(description="What the speed model expects the render to take (first poll).")
    deadline_s: float = Field(description="Seconds from submission after which the render is abandoned.")
    output_key: str


class PlanOutput(Payload):
    """PlanJob's result: what RenderBatches and BuildReport need, and nothing that grows with the job."""

    job_id: str
    bucket: str
    batches_key: str
    plan_key: str
    map_results_prefix: str
    output_prefix: str
    max_parallel_tasks: int
    batch_count: int
    scene_count: int


class TaskLocation(Payload):
    """Where a batch's renderer answers: FindTask's result."""

    task_arn: str
    address: str
    port: int
    endpoint: str


class RenderState(Payload):
    """One scene's render while the state machine waits for it (RenderScene creates it, PollRender updates it)."""

    render_id: str
    scene: str
    status: str
    progress: float = 0.0
    submitted_at: float
    deadline_at: float
    expected_s: float
    polls: int = 0
    running_polls: int = 0
    """Polls that found it running: the poll schedule's floor grows with these (queued polls back off anyway)."""
    wait_s: int
    started_at: float | None = None
    finished_at: float | None = None
    output: dict[str, Any] | None = None
    timings: dict[str, Any] | None = None


class SceneStep(Payload):
    """The input of the per-scene states (RenderScene, PollRender, CopyOutput), built by the ASL's ItemSelector."""

    job_id: str
    bucket: str
    batch_index: int
    attempt: int
    scenes_key: str
    scene: str
    endpoint: str
    token: str
    render: RenderState | None = None
