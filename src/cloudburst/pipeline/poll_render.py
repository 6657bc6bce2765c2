"""PollRender: ask the renderer how a render is doing and say how long to wait before asking again.

A failed render raises `RenderFailed` with the renderer's own error code and message (which name the
input); a render past its deadline is cancelled on the renderer and raises `RenderTimedOut`. Both are caught
per scene by the state machine; the batch goes on with its other scenes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from cloudburst.aws.renderer_client import RendererClient
from cloudburst.pipeline.errors import PipelineError, RenderFailed, RenderTimedOut
from cloudburst.pipeline.payloads import RenderState
from cloudburst.pipeline.polling import next_wait_s


def poll_render(render: RenderState, renderer: RendererClient, *, now: Callable[[], float] = time.time) -> RenderState:
    status = renderer.status(render.render_id)
    at = now()
    state = str(status.get("status", "unknown"))
    polled = render.model_copy(
        update={
            "status": state,
            "progress": float(status.get("progress") or 0.0),
            "polls": render.polls + 1,
            "running_polls": render.running_polls + (state == "running"),
            "started_at": status.get("started_at"),
            "finished_at": status.get("finished_at"),
            "timings": status.get("timings"),
            "output": status.get("output"),
        }
    )
    if state == "failed":
        raise RenderFailed(_failure_message(render.scene, status.get("error")))
    if state == "succeeded":
        return polled.model_copy(update={"wait_s": 0})
    if at >= render.deadline_at:
        _cancel(renderer, render.render_id)
        allowed = render.deadline_at - render.submitted_at
        raise RenderTimedOut(
            f"scene {render.scene}: render {render.render_id} still {state} at {polled.progress:.0%} after "
            f"{at - render.submitted_at:.0f} s (deadline {allowed:.0f} s); cancelled"
        )
    started = status.get("started_at")
    wait = next_wait_s(
        status=state,
        progress=polled.progress,
        running_for_s=at - float(started) if isinstance(started, int | float) else None,
        expected_s=render.expected_s,
        since_submit_s=at - render.submitted_at,
        running_polls=polled.running_polls,
        until_deadline_s=render.deadline_at - at,
    )
    return polled.model_copy(update={"wait_s": wait})


def _failure_message(scene: str, error: Any) -> str:
    """`scene s1: input_unreadable: audio (inputs.audio_url): ffmpeg cannot decode this M4A audio: …`: the
    renderer's code, then its message, whose leading input name gets the request field that carried it."""
    if not isinstance(error, dict):
        return f"scene {scene}: the renderer reports the render failed without saying why"
    message = str(error.get("message") or "no message")
    if field := error.get("field"):
        role, said, rest = message.partition(": ")
        message = f"{role} ({field}): {rest}" if said and " " not in role else f"{message} ({field})"
    return f"scene {scene}: {error.get('code', 'render_failed')}: {message}"


def _cancel(renderer: RendererClient, render_id: str) -> None:
    """Best effort: a renderer that cannot be reached will drop the render when the task is released."""
    try:
        renderer.delete(render_id)
    except PipelineError:
        return
