"""Open the target a `TargetChoice` names: a deployed stack through CloudFormation, or the local cloud."""

from __future__ import annotations

from typing import Any

from cloudburst.client.local_target import open_local
from cloudburst.client.targets import Target, TargetChoice, TargetKind, choose_target, connect_stack


def open_target(choice: TargetChoice, *, allow_embedded: bool = True, **local_options: Any) -> Target:
    """Connect to the chosen target. `allow_embedded`: with no serving local cloud, start one in this process
    (right for a command that runs a job to its end; wrong for `submit`, whose job must outlive it)."""
    if choice.kind is TargetKind.STACK:
        assert choice.stack_name is not None
        return connect_stack(choice.stack_name, choice.region)
    return open_local(allow_embedded=allow_embedded, **local_options)


def connect(
    stack: str | None = None, *, region: str | None = None, local: bool = False, **local_options: Any
) -> Target:
    """The target to run jobs on: `stack` (or `CLOUDBURST_STACK`) if given, else the local cloud (one that
    is serving, or one started in this process). Use it as a context manager: closing it stops an embedded
    local cloud and everything it started."""
    return open_target(choose_target(stack=stack, region=region, local=local), **local_options)
