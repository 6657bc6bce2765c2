"""The local cloud as a target: a long-lived one started with `python -m cloudburst.local serve` (found by
its state file), or one embedded in this process for the length of a command.

The embedded one dies with the process, so it suits `render` (submit, follow, download, report in one go)
but not `submit` now and `status` later; those need the long-lived one. `cloudburst.local` pulls in moto and
the whole emulator, so it is imported only when a local target is actually opened.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import boto3

from cloudburst.client.errors import TargetUnavailable
from cloudburst.client.targets import ClientFactory, StackOutputs, Target

STATE_FILE_ENV = "CLOUDBURST_LOCAL_STATE"
DEFAULT_STATE_FILE = Path(".cloudburst") / "local-cloud.json"
LOCAL_POLL_INTERVAL_S = 0.25
"""Looking at a local job costs nothing, so look often: videos are downloaded within a quarter second."""


def state_file() -> Path:
    """Where `serve` describes itself: `$CLOUDBURST_LOCAL_STATE`, else `.cloudburst/local-cloud.json` here."""
    return Path(os.environ.get(STATE_FILE_ENV) or DEFAULT_STATE_FILE)


def state_file_candidates(start: Path | None = None) -> list[Path]:
    """Where commands look for a serving cloud, nearest first: `$CLOUDBURST_LOCAL_STATE` alone when set, else
    `.cloudburst/local-cloud.json` in the working directory and in each parent, as git finds `.git`, so a
    command run in a sub-folder (or next to the scenes) finds the cloud served from the project's root."""
    explicit = os.environ.get(STATE_FILE_ENV)
    if explicit:
        return [Path(explicit)]
    here = (start or Path.cwd()).resolve()
    return [directory / DEFAULT_STATE_FILE for directory in (here, *here.parents)]


def find_serving(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """The nearest state file whose cloud is still running, and what it says; None when no cloud serves."""
    for path in state_file_candidates(start):
        state = read_state(path)
        if state is not None:
            return path, state
    return None


def where_looked(start: Path | None = None) -> str:
    """The places `find_serving` looked, for an error message that lets the user see why it found nothing."""
    if os.environ.get(STATE_FILE_ENV):
        return f"${STATE_FILE_ENV} = {os.environ[STATE_FILE_ENV]}"
    here = (start or Path.cwd()).resolve()
    return f"{DEFAULT_STATE_FILE} in {here} and its parent directories"


def read_state(path: Path) -> dict[str, Any] | None:
    """What a serving local cloud wrote about itself, if it is still running; None otherwise."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or not _alive(state.get("pid")):
        return None
    return state


def connect_served(state: Mapping[str, Any]) -> Target:
    """A target for the serving local cloud described by `state` (endpoint, region, outputs)."""
    try:
        endpoint = str(state["endpoint_url"])
        region = str(state["region"])
        outputs = StackOutputs.from_outputs(dict(state["outputs"]), "the local cloud")
    except (KeyError, TypeError) as exc:
        raise TargetUnavailable(
            f"the local cloud's state file is incomplete ({exc})", "Restart it: python -m cloudburst.local serve"
        ) from None
    session = boto3.Session(
        aws_access_key_id="local-cloud",
        aws_secret_access_key="local-cloud",  # noqa: S106 - the local cloud's placeholder, accepted nowhere else
        aws_session_token="local-cloud",  # noqa: S106
        region_name=region,
    )

    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint)  # type: ignore[call-overload]

    description = f"the local cloud at {endpoint}"
    return Target(description, outputs, client, region=region, poll_interval_s=LOCAL_POLL_INTERVAL_S)


def start_embedded(**options: Any) -> Target:
    """A local cloud in this process (stopped, with every task it started, when the target is closed)."""
    from cloudburst.local import LocalCloud, LocalCloudError  # noqa: PLC0415 - heavy; only when asked for
    from cloudburst.local.template import TemplateError  # noqa: PLC0415

    try:
        cloud = LocalCloud(**options)
        cloud.start()
    except (LocalCloudError, TemplateError) as exc:
        raise TargetUnavailable(
            f"the local cloud cannot start: {exc}", "Run from the CloudBurst checkout (it needs template.yaml)."
        ) from None
    try:
        outputs = StackOutputs.from_outputs(cloud.outputs, "the local cloud")
    except TargetUnavailable:
        cloud.close()
        raise
    return Target(
        "the local cloud (in this process)",
        outputs,
        cast(ClientFactory, cloud.client),
        region=cloud.region,
        survives_exit=False,
        poll_interval_s=LOCAL_POLL_INTERVAL_S,
        closer=cloud.close,
    )


def open_local(*, allow_embedded: bool, **options: Any) -> Target:
    """The serving local cloud if one runs, else (when allowed) an embedded one."""
    found = find_serving()
    if found is not None:
        return connect_served(found[1])
    if not allow_embedded:
        raise TargetUnavailable(
            f"no local cloud is running, and this command needs one that outlives it (looked for {where_looked()})",
            "Start one in another terminal: python -m cloudburst.local serve (or use `cloudburst render`); "
            f"if one serves from an unrelated directory, set {STATE_FILE_ENV} to its .cloudburst/local-cloud.json.",
        )
    return start_embedded(**options)


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
