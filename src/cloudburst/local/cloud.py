"""`LocalCloud`: CloudBurst's `template.yaml` and state machine, running on this machine.

    with LocalCloud(template=Path("template.yaml"), run_dir=Path("runs/demo")) as cloud:
        sfn = cloud.client("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=cloud.outputs["StateMachineArn"], input=...)["executionArn"]
        result = cloud.wait_for_execution(arn, timeout_seconds=120)

While it runs, this process hosts moto's mock AWS with the Step Functions interpreter (patched by
`moto_patches`), the Lambda handlers (dispatched in-process by `lambda_dispatch`), the ECS tasks (local
processes, `ecs_runtime`) and an HTTP endpoint on loopback (`endpoint_server`) that other processes, and the
presigned URLs the renderer fetches, use. Closing it stops every task and restores the process's environment.
Only one LocalCloud can run in a process, because moto's mock is process-wide.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
import uuid
from collections.abc import Collection, Mapping
from contextlib import ExitStack
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, ClassVar, Final, Self

import boto3
from moto import mock_aws

from cloudburst.local import moto_patches
from cloudburst.local.aws_env import (
    LOCAL_ACCOUNT_ID,
    LOCAL_REGION,
    cleared_variables,
    client_environment,
    in_process_environment,
    overlay,
)
from cloudburst.local.ecs_runtime import LocalEcsRuntime, TaskView, secret_resolver
from cloudburst.local.endpoint_server import EndpointServer
from cloudburst.local.executions import ExecutionResult, wait_for_execution
from cloudburst.local.faults import LambdaFaults, LocalFaults, S3Faults
from cloudburst.local.lambda_dispatch import Invocation, LambdaDispatcher
from cloudburst.local.lambda_output import routing_installed
from cloudburst.local.s3_event_rules import S3EventRulesHook
from cloudburst.local.s3_notifications import S3NotificationHook
from cloudburst.local.stack_deploy import DeployedStack, StackDeployer
from cloudburst.local.stack_names import StackIdentity
from cloudburst.local.task_commands import PRODUCT_PARAMETERS, PRODUCT_TASK_COMMANDS, TaskCommand
from cloudburst.local.template import TemplateError, load_template

DEFAULT_STACK_NAME: Final = "cloudburst-local"
DEFAULT_TEMPLATE_NAME: Final = "template.yaml"
_QUIET_LOGGERS: Final = {
    "moto.stepfunctions.parser": logging.CRITICAL,  # multi-KB dumps at ERROR for every handled error
    "moto": logging.WARNING,
    "werkzeug": logging.ERROR,
    "botocore.credentials": logging.WARNING,
}
_LOG = logging.getLogger(__name__)


class LocalCloudError(RuntimeError):
    """The local cloud cannot start or is used wrongly; the message says what to do."""


def default_template() -> Path:
    """`template.yaml` in the current folder, else in the source checkout this package runs from."""
    candidates = [Path.cwd() / DEFAULT_TEMPLATE_NAME, Path(__file__).resolve().parents[3] / DEFAULT_TEMPLATE_NAME]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise LocalCloudError(f"no {DEFAULT_TEMPLATE_NAME} here or in the CloudBurst checkout; pass template=...")


def default_run_dir() -> Path:
    return Path("runs") / f"local-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


class LocalCloud:
    """The stack of `template` running locally (see the module docstring).

    Parameters:
        template: the SAM template (default: `template.yaml`, see `default_template`).
        run_dir: where task logs and the local cloud's log go (default `runs/local-<time>-<id>`).
        time_scale: Retry intervals and Wait states last `time_scale` times their real length (tests use < 1).
        task_commands: how each task definition (by logical id) runs locally (default: the renderer).
        parameters: template parameter overrides (the renderer image needs none: see `PRODUCT_PARAMETERS`).
        stack_name: the stack's name, which resource names start with.
        sync_poll_seconds: the longest a `.sync` ECS state waits between checks of its task (a stop wakes it).
        stop_grace_seconds: at close, how long running tasks get between SIGTERM and SIGKILL.
        disabled_patches: moto patches to leave out (canary tests use it to observe moto's own behaviour).
        port: the loopback endpoint's port (0: any free port).
    """

    _active: ClassVar[LocalCloud | None] = None
    _active_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        template: Path | None = None,
        run_dir: Path | None = None,
        *,
        time_scale: float = 1.0,
        task_commands: Mapping[str, TaskCommand] | None = None,
        parameters: Mapping[str, Any] | None = None,
        stack_name: str = DEFAULT_STACK_NAME,
        sync_poll_seconds: float = 1.0,
        stop_grace_seconds: float = 5.0,
        disabled_patches: Collection[str] = (),
        port: int = 0,
    ) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.template_path = (template or default_template()).resolve()
        self.run_dir = (run_dir or default_run_dir()).resolve()
        self.time_scale = time_scale
        self.region = LOCAL_REGION
        self.account_id = LOCAL_ACCOUNT_ID
        self._task_commands = dict(PRODUCT_TASK_COMMANDS if task_commands is None else task_commands)
        self._task_commands_given = task_commands is not None
        self._parameters = dict(parameters or {})
        self._stack_name = stack_name
        self._patch_settings = moto_patches.PatchSettings(sync_poll_seconds=sync_poll_seconds, time_scale=time_scale)
        self._disabled_patches = tuple(disabled_patches)
        self._stop_grace_seconds = stop_grace_seconds
        self._port = port
        self._exit_stack: ExitStack | None = None
        self._endpoint: str | None = None
        self._stack: DeployedStack | None = None
        self._ecs: LocalEcsRuntime | None = None
        self._dispatcher = LambdaDispatcher(self.region, self.account_id)
        self._faults: LocalFaults | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def start(self) -> None:
        with LocalCloud._active_lock:
            if LocalCloud._active is not None:
                raise LocalCloudError("a LocalCloud is already running in this process (moto's mock is process-wide)")
            LocalCloud._active = self
        stack = ExitStack()
        self._exit_stack = stack
        try:
            self._start(stack)
        except BaseException:
            self.close()
            raise

    def _start(self, stack: ExitStack) -> None:
        template = load_template(self.template_path)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        stack.enter_context(_run_log(self.run_dir / "local-cloud.log"))
        stack.enter_context(_quiet_loggers())
        lambda_log = stack.enter_context((self.run_dir / "lambdas.log").open("a", encoding="utf-8", buffering=1))
        stack.enter_context(routing_installed())
        self._dispatcher.output = lambda_log
        moto_patches.install(self._patch_settings, self._disabled_patches)
        stack.callback(moto_patches.uninstall)
        self._dispatcher.install()
        stack.callback(self._dispatcher.uninstall)
        lambda_faults, s3_faults = LambdaFaults(), S3Faults()
        self._dispatcher.throttled = lambda_faults.take_throttle
        s3_faults.install()  # before the mock starts: botocore sessions copy their handlers when created
        stack.callback(s3_faults.uninstall)
        mock = mock_aws(
            config={
                "stepfunctions": {"execute_state_machine": True},
                "lambda": {"use_docker": False},
                "core": {"passthrough": {"services": ["awslambda"], "urls": []}, "reset_boto3_session": True},
            }
        )
        mock.start()
        stack.callback(mock.stop)
        server = EndpointServer(port=self._port)
        self._endpoint = server.start()
        stack.callback(server.stop)
        stack.enter_context(overlay(in_process_environment(self._endpoint, self.region), cleared_variables()))
        notifications = S3NotificationHook(self._dispatcher)
        notifications.install()
        stack.callback(notifications.uninstall)
        declared = template.section("Parameters")
        parameters = {name: value for name, value in PRODUCT_PARAMETERS.items() if name in declared}
        parameters.update(self._parameters)
        deployed = StackDeployer(
            template, StackIdentity(self._stack_name, self.region, self.account_id), self._dispatcher, parameters
        ).deploy()
        self._stack = deployed
        stack.enter_context(overlay(deployed.function_environment))
        rules = S3EventRulesHook(self._dispatcher, deployed.event_routes)
        rules.install()
        stack.callback(rules.uninstall)
        self._ecs = LocalEcsRuntime(
            commands_by_family=self._commands_by_family(deployed),
            log_dir=self.run_dir / "tasks",
            task_environment=client_environment(self._endpoint, self.region),
            resolve_secret=secret_resolver(self.region),
        )
        self._ecs.install()
        stack.callback(self._ecs.uninstall, self._stop_grace_seconds)
        self._faults = LocalFaults(self._ecs.faults, lambda_faults, s3_faults)
        stack.enter_context(_sigterm_as_exit())
        _LOG.info("local cloud up at %s (stack %s, run dir %s)", self._endpoint, self._stack_name, self.run_dir)

    def close(self) -> None:
        """Stop every task, the endpoint and the mock; restore the environment. Safe to call twice."""
        stack, self._exit_stack = self._exit_stack, None
        try:
            if stack is not None:
                stack.close()
        finally:
            self._endpoint = None
            with LocalCloud._active_lock:
                if LocalCloud._active is self:
                    LocalCloud._active = None

    def _commands_by_family(self, deployed: DeployedStack) -> dict[str, TaskCommand]:
        """Task commands by family. Commands given explicitly must name task definitions of the template; the
        product's defaults apply to whichever of the renderer's task definitions the template has."""
        unknown = sorted(set(self._task_commands) - set(deployed.task_families))
        if unknown and self._task_commands_given:
            raise TemplateError(f"task_commands name task definitions that are not in the template: {unknown}")
        return {
            deployed.task_families[logical_id]: command
            for logical_id, command in self._task_commands.items()
            if logical_id in deployed.task_families
        }

    # -- what a client needs -------------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        if self._endpoint is None:
            raise LocalCloudError("the local cloud is not running")
        return self._endpoint

    @property
    def stack(self) -> DeployedStack:
        if self._stack is None:
            raise LocalCloudError("the local cloud is not running")
        return self._stack

    @property
    def outputs(self) -> dict[str, Any]:
        """The stack's Outputs, resolved as on a deployed stack (BucketName, StateMachineArn...)."""
        return dict(self.stack.outputs)

    @property
    def faults(self) -> LocalFaults:
        """Faults to inject: RunTask capacity failures, Lambda throttling, S3 errors (`cloudburst.local.faults`)."""
        if self._faults is None:
            raise LocalCloudError("the local cloud is not running")
        return self._faults

    def session(self) -> boto3.Session:
        """A boto3 session with the local cloud's dummy credentials and region."""
        environment = client_environment(self.endpoint_url, self.region)
        return boto3.Session(
            aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=environment["AWS_SESSION_TOKEN"],
            region_name=self.region,
        )

    def client(self, service: str) -> Any:
        """A boto3 client for `service` at the local endpoint, as a client in another process would use it."""
        return self.session().client(service, endpoint_url=self.endpoint_url)  # type: ignore[call-overload]

    def client_environment(self) -> dict[str, str]:
        """Environment variables that point another process's AWS SDK at this local cloud."""
        return client_environment(self.endpoint_url, self.region)

    # -- observing the run ---------------------------------------------------------------------------------
    @property
    def _ecs_runtime(self) -> LocalEcsRuntime:
        if self._ecs is None:
            raise LocalCloudError("the local cloud is not running")
        return self._ecs

    def tasks(self) -> list[TaskView]:
        """Every ECS task started so far, with its process and address."""
        return self._ecs_runtime.tasks()

    def leftover_tasks(self) -> list[TaskView]:
        """Tasks whose process is still running (after a job, there should be none)."""
        return [task for task in self.tasks() if task.alive]

    def lambda_invocations(self) -> list[Invocation]:
        return self._dispatcher.invocations()

    def wait_for_execution(self, execution_arn: str, timeout_seconds: float = 300) -> ExecutionResult:
        return wait_for_execution(self.client("stepfunctions"), execution_arn, timeout_seconds)

    def describe(self) -> dict[str, Any]:
        """What another process needs to use this local cloud (written to the state file in serve mode)."""
        return {
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "outputs": self.outputs,
            "run_dir": str(self.run_dir),
            "pid": os.getpid(),
        }

    def __repr__(self) -> str:
        return f"LocalCloud({json.dumps({'template': str(self.template_path), 'endpoint': self._endpoint})})"


class _run_log:  # noqa: N801 - used like contextlib's lower-case context managers
    """While the cloud runs, its own log lines go to the run directory, and only warnings reach the terminal
    (marked as the local cloud's): the caller's logging setup does not decide what we print."""

    def __init__(self, path: Path) -> None:
        self._file = logging.FileHandler(path, encoding="utf-8")
        self._file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self._terminal = logging.StreamHandler()
        self._terminal.setLevel(logging.WARNING)
        self._terminal.setFormatter(logging.Formatter("local cloud: %(message)s"))
        self._logger = logging.getLogger("cloudburst.local")
        self._saved = (self._logger.level, self._logger.propagate)

    def __enter__(self) -> None:
        self._logger.addHandler(self._file)
        self._logger.addHandler(self._terminal)
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False

    def __exit__(self, *_: object) -> None:
        self._logger.removeHandler(self._file)
        self._logger.removeHandler(self._terminal)
        self._logger.setLevel(self._saved[0])
        self._logger.propagate = self._saved[1]
        self._file.close()


class _quiet_loggers:  # noqa: N801
    def __enter__(self) -> None:
        self._saved = {name: logging.getLogger(name).level for name in _QUIET_LOGGERS}
        for name, level in _QUIET_LOGGERS.items():
            logging.getLogger(name).setLevel(level)

    def __exit__(self, *_: object) -> None:
        for name, level in self._saved.items():
            logging.getLogger(name).setLevel(level)


class _sigterm_as_exit:  # noqa: N801
    """While the cloud runs in the main thread, SIGTERM unwinds the stack like Ctrl-C, so the tasks are
    stopped on the way out (only if nobody else handles SIGTERM already)."""

    def __enter__(self) -> None:
        self._installed = (
            threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
        )
        if self._installed:
            signal.signal(signal.SIGTERM, _raise_system_exit)

    def __exit__(self, *_: object) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _raise_system_exit(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)
