"""ECS tasks as local processes, with moto's ECS backend kept as the one record of every task.

The Step Functions interpreter (`ecs:runTask.sync`) and the Lambda handlers (ListTasks, DescribeTasks,
StopTask) both talk to moto's ECS. This module wraps four of its backend methods so that a task is a real
process whose life the backend reports the way ECS does:

* RunTask starts the task definition's local command (`task_commands`) with the container's environment and
  secrets, the RunTask overrides, and the task's address in `HOST`/`PORT`. The task is PENDING until its port
  accepts connections, then RUNNING; when the process exits it is STOPPED with the exit code (Docker
  convention), `stopCode`, `stoppedReason` and the timestamps the report bills from (`createdAt`,
  `pullStartedAt`/`pullStoppedAt`, `startedAt`, `stoppingAt`, `stoppedAt`).
* StopTask sends SIGTERM to the task's process group and SIGKILL after the container's `stopTimeout`; the
  task stays RUNNING with `desiredStatus` STOPPED until the process has exited, as on ECS.
* A task definition with no local command fails to start (`TaskFailedToStart`), as an unpullable image would.

It also wraps the RunTask *response* to honour `propagateTags` and to inject capacity failures on request
(`EcsFaults`): RunTask then answers HTTP 200 with a `failures` entry, which is how Fargate reports
"Capacity is unavailable at this time".

moto creates tasks already RUNNING and its own state progression would move them to STOPPED after a few
DescribeTasks; that progression is switched off, and every wrapped call holds one lock so no caller sees a
task between its creation and its process being attached.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import boto3
from moto.core.responses import ActionResult
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api import state_manager

from cloudburst.local import moto_patches
from cloudburst.local.task_addresses import AddressPool, TaskAddress, accepts_connections
from cloudburst.local.task_commands import Readiness, TaskCommand
from cloudburst.local.task_process import TaskLauncher, TaskProcess

_LOG = logging.getLogger(__name__)

DEFAULT_STOP_TIMEOUT_SECONDS: Final = 30.0  # Fargate's default; a container definition may set up to 120
CAPACITY_UNAVAILABLE: Final = (
    "Capacity is unavailable at this time. Please try again later or in a different availability zone"
)
_READINESS_POLL_SECONDS: Final = 0.02
_NEVER: Final = 10**12


def _now() -> dt.datetime:
    return dt.datetime.now(tz=dt.UTC)


def _from_epoch(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def family_of(task_definition_arn: str) -> str:
    """`arn:...:task-definition/renderer:3` → `renderer`."""
    return task_definition_arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


@dataclass
class EcsFaults:
    """Faults to inject into RunTask, for tests of the state machine's retries."""

    _capacity_failures: int = 0
    injected: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_run_task(self, times: int = 1) -> None:
        """The next `times` RunTask calls answer with a capacity failure instead of starting a task."""
        with self._lock:
            self._capacity_failures += times

    def take_capacity_failure(self) -> bool:
        """Whether this RunTask should fail for capacity (consuming one injected failure)."""
        with self._lock:
            if self._capacity_failures <= 0:
                return False
            self._capacity_failures -= 1
            self.injected.append(CAPACITY_UNAVAILABLE)
            return True


@dataclass
class LocalTask:
    """A task started by RunTask and the process that plays its container."""

    task_arn: str
    family: str
    group: str
    address: TaskAddress
    process: TaskProcess | None
    stop_timeout: float
    readiness: Readiness
    stop_requested: bool = False
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def task_id(self) -> str:
        return self.task_arn.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class TaskView:
    """What tests and tools may read about a local task."""

    task_arn: str
    family: str
    group: str
    pid: int | None
    host: str
    port: int
    log_path: Path | None
    alive: bool


class LocalEcsRuntime:
    """Runs the tasks of moto's ECS backend as local processes (see the module docstring)."""

    def __init__(
        self,
        commands_by_family: Mapping[str, TaskCommand],
        log_dir: Path,
        task_environment: Mapping[str, str],
        resolve_secret: Callable[[str], str],
        addresses: AddressPool | None = None,
    ) -> None:
        self._commands = dict(commands_by_family)
        self._log_dir = log_dir
        self._task_environment = dict(task_environment)
        self._resolve_secret = resolve_secret
        self._addresses = addresses or AddressPool()
        self._launcher = TaskLauncher()
        self._tasks: dict[str, LocalTask] = {}
        self._lock = threading.RLock()
        self._originals: dict[str, Any] = {}
        self._monitors: list[threading.Thread] = []
        self._stops = threading.Condition()
        self._stop_count = 0
        self._seen_stops = threading.local()
        self.faults = EcsFaults()

    # -- installation --------------------------------------------------------------------------------------
    def install(self) -> None:
        state_manager.set_transition("ecs::task", {"progression": "manual", "times": _NEVER})
        backend: Any = EC2ContainerServiceBackend
        response: Any = EC2ContainerServiceResponse
        self._originals = {
            "run_task": backend.run_task,
            "describe_tasks": backend.describe_tasks,
            "list_tasks": backend.list_tasks,
            "stop_task": backend.stop_task,
            "response_run_task": response.run_task,
        }
        runtime = self

        def run_task(ecs: Any, *args: Any, **kwargs: Any) -> list[Any]:
            with runtime._lock:
                tasks: list[Any] = runtime._originals["run_task"](ecs, *args, **kwargs)
                overrides = kwargs.get("overrides", args[3] if len(args) > 3 else None) or {}
                for task in tasks:
                    runtime._start(ecs, task, overrides)
                return tasks

        def describe_tasks(ecs: Any, cluster_str: str, tasks: list[str]) -> list[Any]:
            with runtime._lock:
                described: list[Any] = runtime._originals["describe_tasks"](ecs, cluster_str, tasks)
                return described

        def list_tasks(ecs: Any, *args: Any, **kwargs: Any) -> list[Any]:
            with runtime._lock:
                listed: list[Any] = runtime._originals["list_tasks"](ecs, *args, **kwargs)
                return listed

        def stop_task(ecs: Any, cluster_str: str, task_str: str, reason: str) -> Any:
            with runtime._lock:
                task = runtime._find(ecs, task_str)
                local = runtime._tasks.get(task.task_arn) if task is not None else None
                if task is None or local is None:
                    return runtime._originals["stop_task"](ecs, cluster_str, task_str, reason)
                runtime._request_stop(task, local, reason)
                return task

        def response_run_task(handler: Any) -> ActionResult:
            if runtime.faults.take_capacity_failure():
                arn = handler.ecs_backend.describe_task_definition(handler._get_param("taskDefinition")).arn
                return ActionResult({"tasks": [], "failures": [{"arn": arn, "reason": CAPACITY_UNAVAILABLE}]})
            result: ActionResult = runtime._originals["response_run_task"](handler)
            if handler._get_param("propagateTags") == "TASK_DEFINITION":
                runtime._propagate_task_definition_tags(handler)
            return result

        backend.run_task = run_task
        backend.describe_tasks = describe_tasks
        backend.list_tasks = list_tasks
        backend.stop_task = stop_task
        response.run_task = response_run_task
        moto_patches.set_task_stop_waiter(self.wait_for_a_stop)

    def uninstall(self, grace_seconds: float = 5.0) -> None:
        """Stop every task (SIGTERM, SIGKILL after `grace_seconds`) and restore moto's ECS."""
        moto_patches.set_task_stop_waiter(None)
        self._launcher.close(grace_seconds)
        for monitor in self._monitors:
            monitor.join(timeout=5)
        backend: Any = EC2ContainerServiceBackend
        response: Any = EC2ContainerServiceResponse
        for name in ("run_task", "describe_tasks", "list_tasks", "stop_task"):
            if name in self._originals:
                setattr(backend, name, self._originals[name])
        if "response_run_task" in self._originals:
            response.run_task = self._originals["response_run_task"]
        state_manager.unset_transition("ecs::task")

    # -- queries -------------------------------------------------------------------------------------------
    def tasks(self) -> list[TaskView]:
        with self._lock:
            return [
                TaskView(
                    task_arn=local.task_arn,
                    family=local.family,
                    group=local.group,
                    pid=local.process.pid if local.process else None,
                    host=local.address.host,
                    port=local.address.port,
                    log_path=local.process.log_path if local.process else None,
                    alive=not local.finished.is_set(),
                )
                for local in self._tasks.values()
            ]

    def leftover_processes(self) -> list[TaskProcess]:
        return self._launcher.alive()

    def wait_for_a_stop(self, timeout: float) -> None:
        """Block until some task stops or `timeout` passes; returns at once if a task stopped since this thread
        last asked. `.sync` states wait here between checks of their task, as ECS events wake them on AWS."""
        with self._stops:
            seen = getattr(self._seen_stops, "count", self._stop_count)
            if seen == self._stop_count:
                self._stops.wait(timeout)
            self._seen_stops.count = self._stop_count

    def _announce_stop(self) -> None:
        with self._stops:
            self._stop_count += 1
            self._stops.notify_all()

    # -- lifecycle -----------------------------------------------------------------------------------------
    def _start(self, ecs: Any, task: Any, overrides: Mapping[str, Any]) -> None:
        task_definition = ecs.describe_task_definition(task.task_definition_arn)
        family = task_definition.family
        container = task_definition.container_definitions[0]
        now = _now()
        task.created_at = now
        task.desired_status = "RUNNING"
        task.connectivity = "CONNECTED"
        task.connectivity_at = now
        task.cpu = str(overrides.get("cpu") or task_definition.cpu or container.get("cpu") or "")
        task.memory = str(overrides.get("memory") or task_definition.memory or container.get("memory") or "")
        task.stop_code = None
        task.last_status = "PROVISIONING"
        first = task.containers[0]
        first.task_arn = task.task_arn  # moto puts the task definition's ARN here
        first.last_status = "PENDING"
        first.exitCode = None
        container_port = _container_port(container)
        address = self._addresses.acquire(container_port)
        _describe_address(task, address, container_port)
        local = LocalTask(
            task_arn=task.task_arn,
            family=family,
            group=task.group or "",
            address=address,
            process=None,
            stop_timeout=float(container.get("stopTimeout") or DEFAULT_STOP_TIMEOUT_SECONDS),
            readiness=Readiness.PORT,
        )
        self._tasks[task.task_arn] = local
        command = self._commands.get(family)
        if command is None:
            self._fail_to_start(task, local, f"no local command is configured for task definition family {family!r}")
            return
        try:
            environment = self._environment(
                task, container, overrides, command=command, address=address, task_dir=self._log_dir / local.task_id
            )
        except Exception as exc:  # noqa: BLE001 - ECS reports any secret/config failure as a failure to start
            self._fail_to_start(task, local, f"ResourceInitializationError: {exc}")
            return
        argv = command.resolved_argv(address.host, address.port) + _override_command(container, overrides)
        task.pull_started_at = _now()
        log_path = self._log_dir / f"{family}-{local.task_id}.log"
        try:
            local.process = self._launcher.start(argv, environment, log_path, command.cwd)
        except OSError as exc:
            self._fail_to_start(task, local, f"CannotStartContainerError: {argv[0]}: {exc}")
            return
        task.pull_stopped_at = _now()
        task.last_status = "PENDING"
        first.runtime_id = str(local.process.pid)
        local.readiness = command.readiness
        monitor = threading.Thread(target=self._monitor, args=(task, local), name=f"task-{local.task_id[:8]}")
        monitor.daemon = True
        self._monitors = [thread for thread in self._monitors if thread.is_alive()] + [monitor]
        monitor.start()
        _LOG.info("task %s (%s) started: pid %s at %s", local.task_id, family, local.process.pid, address.url)

    def _environment(
        self,
        task: Any,
        container: Mapping[str, Any],
        overrides: Mapping[str, Any],
        *,
        command: TaskCommand,
        address: TaskAddress,
        task_dir: Path,
    ) -> dict[str, str]:
        """The container's environment as ECS builds it, on top of this machine's basics (PATH, HOME...)."""
        environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        environment.update(self._task_environment)
        for pair in container.get("environment") or []:
            environment[pair["name"]] = str(pair["value"])
        for secret in container.get("secrets") or []:
            environment[secret["name"]] = self._resolve_secret(secret["valueFrom"])
        for override in overrides.get("containerOverrides") or []:
            if override.get("name") in (None, container.get("name")):
                for pair in override.get("environment") or []:
                    environment[pair["name"]] = str(pair["value"])
        task_dir.mkdir(parents=True, exist_ok=True)
        environment.update(command.resolved_env(task_dir))
        environment.update(
            {
                "HOST": address.host,
                "PORT": str(address.port),
                "ECS_TASK_ARN": task.task_arn,
                "ECS_TASK_GROUP": task.group or "",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return environment

    def _monitor(self, task: Any, local: LocalTask) -> None:
        """Follow one task's process: RUNNING once it is ready, STOPPED with its exit code once it exits."""
        process = local.process
        assert process is not None
        while process.exit_code() is None:
            if local.readiness is Readiness.STARTED or accepts_connections(local.address):
                with self._lock:
                    if task.last_status == "PENDING":
                        task.started_at = _now()
                        task.containers[0].last_status = "RUNNING"
                        task.last_status = "RUNNING"
                break
            time.sleep(_READINESS_POLL_SECONDS)
        process.popen.wait()
        exited_at = time.time()
        exit_code = process.exit_code()
        with self._lock:
            if task.last_status == "PENDING":
                # It exited before the readiness poll saw its port, but its container did start (ECS gives any
                # container that ran and exited a startedAt); without one, a .sync result would lack StartedAt.
                task.started_at = task.pull_stopped_at
            stopped = _from_epoch(exited_at)
            task.stopping_at = getattr(task, "stopping_at", None) or stopped
            task.execution_stopped_at = stopped
            task.stopped_at = stopped
            if local.stop_requested:
                task.stop_code = "UserInitiated"
            else:
                task.stop_code = "EssentialContainerExited"
                task.stopped_reason = "Essential container in task exited"
            container = task.containers[0]
            container.exitCode = exit_code
            container.last_status = "STOPPED"
            task.desired_status = "STOPPED"
            task.last_status = "STOPPED"
            self._addresses.release(local.address)
            local.finished.set()
        self._announce_stop()
        process.signal_group(signal.SIGKILL)  # the container's other processes end with it
        _LOG.info("task %s stopped: exit code %s, %s", local.task_id, exit_code, task.stop_code)

    def _fail_to_start(self, task: Any, local: LocalTask, reason: str) -> None:
        now = _now()
        task.stopping_at = task.stopped_at = task.execution_stopped_at = now
        task.stop_code = "TaskFailedToStart"
        task.stopped_reason = reason
        task.containers[0].last_status = "STOPPED"
        task.containers[0].reason = reason
        task.desired_status = "STOPPED"
        task.last_status = "STOPPED"
        self._addresses.release(local.address)
        local.finished.set()
        self._announce_stop()
        _LOG.warning("task %s failed to start: %s", local.task_id, reason)

    def _request_stop(self, task: Any, local: LocalTask, reason: str) -> None:
        if local.stop_requested or local.finished.is_set():
            return
        local.stop_requested = True
        task.desired_status = "STOPPED"
        task.stopping_at = _now()
        task.stopped_reason = reason or "Task stopped by user"
        process = local.process
        if process is None:
            return
        process.signal_group(signal.SIGTERM)

        def kill_after_stop_timeout() -> None:
            if not local.finished.wait(local.stop_timeout):
                _LOG.warning("task %s ignored SIGTERM for %.0f s: SIGKILL", local.task_id, local.stop_timeout)
                process.signal_group(signal.SIGKILL)

        threading.Thread(target=kill_after_stop_timeout, name=f"stop-{local.task_id[:8]}", daemon=True).start()

    @staticmethod
    def _find(ecs: Any, task_str: str) -> Any:
        task_id = task_str.rsplit("/", 1)[-1]
        for cluster_tasks in ecs.tasks.values():
            for arn, task in cluster_tasks.items():
                if arn.rsplit("/", 1)[-1] == task_id:
                    return task
        return None

    def _propagate_task_definition_tags(self, handler: Any) -> None:
        """`propagateTags: TASK_DEFINITION` copies the task definition's tags to the new task (moto ignores it)."""
        ecs = handler.ecs_backend
        definition_tags = ecs.describe_task_definition(handler._get_param("taskDefinition")).tags or []
        with self._lock:
            for task in ecs.tasks.get(ecs._get_cluster(handler._get_param("cluster", "default")).name, {}).values():
                if task.task_arn in self._tasks and not getattr(task, "_tags_propagated", False):
                    own = {tag["key"] for tag in task.tags}
                    task.tags = task.tags + [tag for tag in definition_tags if tag["key"] not in own]
                    task._tags_propagated = True


def _container_port(container: Mapping[str, Any]) -> int:
    mappings = container.get("portMappings") or []
    return int(mappings[0]["containerPort"]) if mappings else 8080


def _override_command(container: Mapping[str, Any], overrides: Mapping[str, Any]) -> list[str]:
    """A `command` override becomes arguments of the local program (a container's CMD)."""
    for override in overrides.get("containerOverrides") or []:
        if override.get("name") in (None, container.get("name")) and override.get("command"):
            return [str(part) for part in override["command"]]
    return []


def _describe_address(task: Any, address: TaskAddress, container_port: int) -> None:
    """Report the address where Fargate does: the ENI's private IP and the container's network bindings."""
    container = task.containers[0]
    attachment_id = task.attachments[0]["id"] if task.attachments else "local"
    container.network_interfaces = [{"attachmentId": attachment_id, "privateIpv4Address": address.host}]
    container.network_bindings = [
        {"bindIP": address.host, "containerPort": container_port, "hostPort": address.port, "protocol": "tcp"}
    ]
    for attachment in task.attachments:
        for detail in attachment.get("details", []):
            if detail["name"] == "privateIPv4Address":
                detail["value"] = address.host
            elif detail["name"] == "privateDnsName":
                detail["value"] = "localhost"


def secret_resolver(region: str) -> Callable[[str], str]:
    """Resolve a container secret's `valueFrom` (a Secrets Manager secret or an SSM parameter) from the
    emulated AWS, including the `:json-key` suffix ECS supports for JSON secrets."""

    def resolve(value_from: str) -> str:
        if ":secretsmanager:" in value_from:
            secret_id, json_key = _split_secret_reference(value_from)
            secret = boto3.client("secretsmanager", region_name=region).get_secret_value(SecretId=secret_id)
            text: str = secret["SecretString"]
            return str(json.loads(text)[json_key]) if json_key else text
        name = value_from.split(":parameter", 1)[-1] if ":parameter" in value_from else value_from
        parameter = boto3.client("ssm", region_name=region).get_parameter(Name=name, WithDecryption=True)
        return str(parameter["Parameter"]["Value"])

    return resolve


def _split_secret_reference(value_from: str) -> tuple[str, str]:
    """`arn:aws:secretsmanager:region:acct:secret:name-AbCdEf[:json-key[:stage[:version]]]` → (name, key).
    The secret is looked up by name: its ARN's random suffix is the emulator's, not the template's."""
    parts = value_from.split(":")
    name = parts[6][:-7] if len(parts[6]) > 7 and parts[6][-7] == "-" else parts[6]
    return name, parts[7] if len(parts) > 7 else ""
