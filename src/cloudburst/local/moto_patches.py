"""Every change the local cloud makes to moto, in one place, each with the upstream issue it works around.

moto 5.2.5 vendors LocalStack's Step Functions interpreter. It runs our state machine unchanged once a few
defects are fixed; each fix below is a `MotoPatch` that names the upstream report and the AWS behaviour it
restores. `tests/unit/local/test_moto_patches_canary.py` checks, for every patch, that the *unpatched* moto
still behaves the way the patch assumes: when a canary fails after a moto upgrade, upstream changed and the
patch should be dropped rather than stacked on a fix.

The patches replace attributes of moto classes and modules (moto is pinned exactly for that reason) and are
process-global, like moto's own mock. `install` applies them and `uninstall` restores the originals.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from typing import Any, Final

import moto.stepfunctions.parser.asl.component.common.retry.retrier_decl as retrier_module
import moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback as callback
from botocore.exceptions import ClientError
from moto.core.base_backend import BackendDict
from moto.stepfunctions.parser.api import (
    ExecutionFailedEventDetails,
    HistoryEventType,
    LambdaFunctionFailedEventDetails,
    TaskFailedEventDetails,
)
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (  # noqa: E501
    DistributedItemProcessorWorker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.result_writer_decl import ResultWriter
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service import (
    StateTaskService,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs import (
    StateTaskServiceEcs,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_lambda import (
    StateTaskServiceLambda,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda import StateTaskLambda
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for
from moto.stepfunctions.parser.asl.utils.encoding import to_json_str

from cloudburst.local.boto_shapes import operation_model

PINNED_MOTO_VERSION: Final = "5.2.5"

# Handles on the moto internals we patch, typed Any: patching replaces attributes their declared types forbid.
_task_service: Any = StateTaskService
_ecs_service: Any = StateTaskServiceEcs
_lambda_service: Any = StateTaskServiceLambda
_lambda_resource: Any = StateTaskLambda
_wait_function: Any = WaitFunction
_callback_module: Any = callback
_retrier_module: Any = retrier_module
_json_path_module: Any = json_path
_new_boto_client: Any = boto_client_for
_event_details: Any = EventDetails
_distributed_worker: Any = DistributedItemProcessorWorker
_asl_parser: Any = AmazonStateLanguageParser
_result_writer: Any = ResultWriter
_backend_dict: Any = BackendDict

_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class MotoPatch:
    """One fix to moto: what it restores, where upstream tracks it, and how to apply and undo it."""

    name: str
    upstream: str
    aws_behaviour: str
    apply: Callable[[], None]
    revert: Callable[[], None]


@dataclass(frozen=True)
class PatchSettings:
    """Knobs of the patches that are not fidelity fixes: the longest a `.sync` ECS state waits between checks of
    its task (it is woken as soon as a task stops), and how fast time runs."""

    sync_poll_seconds: float = 1.0
    time_scale: float = 1.0


# --------------------------------------------------------------------------------------------------------------
# 1. Request/response case normalisation (getmoto/moto#10076).
# ASL service integrations take PascalCase parameters (`Cluster`, `TaskDefinition`) and return PascalCase
# results (`Tasks[0].Containers[0].ExitCode`); boto3 uses the API's member names (`cluster`, `taskDefinition`).
# moto reduced LocalStack's `_normalise_parameters/_normalise_response` to `pass`, so `ecs:runTask.sync` fails
# with `States.Runtime KeyError('Cluster')`. Restored here from the botocore operation models.
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_NORMALISE_PARAMETERS: Final = _task_service._normalise_parameters
_ORIGINAL_NORMALISE_RESPONSE: Final = _task_service._normalise_response


def _normalise_parameters(
    self: Any, parameters: dict[str, Any], boto_service_name: str | None = None, service_action_name: str | None = None
) -> None:
    service = self._get_boto_service_name(boto_service_name=boto_service_name)
    action = self._get_boto_service_action(service_action_name=service_action_name)
    input_shape = operation_model(service, action).input_shape
    if input_shape is not None:
        self._to_boto_request(parameters, input_shape)


def _normalise_response(
    self: Any, response: Any, boto_service_name: str | None = None, service_action_name: str | None = None
) -> None:
    service = self._get_boto_service_name(boto_service_name=boto_service_name)
    action = self._get_boto_service_action(service_action_name=service_action_name)
    output_shape = operation_model(service, action).output_shape
    if output_shape is not None:
        self._from_boto_response(response, output_shape)


def _apply_case_normalisation() -> None:
    _task_service._normalise_parameters = _normalise_parameters
    _task_service._normalise_response = _normalise_response


def _revert_case_normalisation() -> None:
    _task_service._normalise_parameters = _ORIGINAL_NORMALISE_PARAMETERS
    _task_service._normalise_response = _ORIGINAL_NORMALISE_RESPONSE


# --------------------------------------------------------------------------------------------------------------
# 2. Timestamps in service results. botocore parses timestamps into `datetime`; Step Functions hands them to
# the state as epoch milliseconds (ECS `CreatedAt`, `StoppedAt`...), and moto's history encoder cannot
# serialise a datetime (`describe_execution` then fails with TypeError). Converted where results are normalised.
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_FROM_BOTO_RESPONSE_VALUE: Final = _task_service.__dict__["_from_boto_response_value"]


def epoch_milliseconds(value: Any) -> Any:
    """A datetime as Step Functions shows it (integer epoch milliseconds); anything else unchanged."""
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return int(moment.timestamp() * 1000)
    return value


def _from_boto_response_value(response_value: Any) -> Any:
    return epoch_milliseconds(_ORIGINAL_FROM_BOTO_RESPONSE_VALUE.__func__(response_value))


def _apply_epoch_timestamps() -> None:
    _task_service._from_boto_response_value = staticmethod(_from_boto_response_value)


def _revert_epoch_timestamps() -> None:
    _task_service._from_boto_response_value = _ORIGINAL_FROM_BOTO_RESPONSE_VALUE


# --------------------------------------------------------------------------------------------------------------
# 3. Definite JSONPaths give one value. moto adds a rule of its own (getmoto/moto#7825, #7830) that wraps a
# match in a list whenever its parent is an array index, so `$.Containers[0].ExitCode` yields `[0]`, and a
# Choice on it silently takes the Default branch. AWS (and LocalStack since localstack/localstack#11321) return
# the scalar. Rule here: a path with a filter, wildcard, slice, union or deep scan yields a list; others a value.
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_EXTRACT_JSON: Final = _json_path_module.extract_json
_INDEFINITE_PATH: Final = re.compile(r"\[\s*\?|\[\s*\*|\[[^\]'\"]*[:,][^\]]*\]|\.\.|\.\*")


@lru_cache(maxsize=4096)
def _parsed_path(path: str) -> Any:
    """A parsed JSONPath (parsing costs more than evaluating, and a state machine reuses a few hundred paths)."""
    return _json_path_module.parse(path)


def extract_json_definite(path: str, data: Any) -> Any:
    matches = _parsed_path(path).find(data)
    if not matches:
        if _json_path_module._contains_slice_or_wildcard_array(path):
            return []
        raise _json_path_module.NoSuchJsonPathError(json_path=path, data=data)
    if len(matches) > 1 or _INDEFINITE_PATH.search(path):
        return [match.value for match in matches]
    return matches[0].value


def _modules_importing_extract_json() -> Iterator[Any]:
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "extract_json", None) in (
            _ORIGINAL_EXTRACT_JSON,
            extract_json_definite,
        ):
            yield module


def _apply_definite_json_path() -> None:
    for module in _modules_importing_extract_json():
        module.extract_json = extract_json_definite


def _revert_definite_json_path() -> None:
    for module in _modules_importing_extract_json():
        module.extract_json = _ORIGINAL_EXTRACT_JSON


# --------------------------------------------------------------------------------------------------------------
# 4 and 5. `ecs:runTask.sync` outcome. AWS fails the state with `States.TaskFailed` when the stopped task has a
# container whose exit code is not 0 (or missing), and fails it with `AmazonECS.Unknown` when RunTask answers
# with a non-empty `Failures` list (e.g. "Capacity is unavailable at this time"); moto returns any stopped task
# as success and raises IndexError (`States.Runtime`) on failures.
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_ECS_EVAL_SERVICE_TASK: Final = _ecs_service._eval_service_task
_ORIGINAL_ECS_BUILD_SYNC_RESOLVER: Final = _ecs_service._build_sync_resolver


def _task_failed(self: Any, env: Any, error: str, cause: str) -> FailureEventException:
    error_name = (
        StatesErrorName(typ=StatesErrorNameType.StatesTaskFailed)
        if error == StatesErrorNameType.StatesTaskFailed.to_name()
        else CustomErrorName(error)
    )
    return FailureEventException(
        FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.TaskFailed,
            event_details=_event_details(
                taskFailedEventDetails=TaskFailedEventDetails(
                    error=error,
                    cause=cause,
                    resource=self._get_sfn_resource(),
                    resourceType=self._get_sfn_resource_type(),
                )
            ),
        )
    )


def _ecs_eval_service_task(
    self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], state_credentials: Any
) -> None:
    if self._get_boto_service_action() != "run_task" or self.resource.condition is None:
        _ORIGINAL_ECS_EVAL_SERVICE_TASK(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        return
    ecs = _new_boto_client(region=resource_runtime_part.region, service="ecs", state_credentials=state_credentials)
    response = ecs.run_task(**normalised_parameters)
    response.pop("ResponseMetadata", None)
    self._normalise_response(response=response, service_action_name="run_task")
    if response.get("Failures") or not response.get("Tasks"):
        raise _task_failed(self, env, "AmazonECS.Unknown", to_json_str({"Failures": response.get("Failures", [])}))
    first = response["Tasks"][0]
    described = ecs.describe_tasks(cluster=first["ClusterArn"], tasks=[first["TaskArn"]])
    described.pop("ResponseMetadata", None)
    self._normalise_response(response=described, service_action_name="describe_tasks")
    env.stack.append(described)


def _ecs_build_sync_resolver(
    self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], state_credentials: Any
) -> Callable[[], Any]:
    resolve = _ORIGINAL_ECS_BUILD_SYNC_RESOLVER(
        self, env, resource_runtime_part, normalised_parameters, state_credentials
    )

    def resolve_checking_exit_codes() -> Any:
        task = resolve()
        if task is None:
            return None
        if any(container.get("ExitCode") != 0 for container in task.get("Containers", [])):
            raise _task_failed(self, env, StatesErrorNameType.StatesTaskFailed.to_name(), to_json_str(task))
        return task

    return resolve_checking_exit_codes


def _apply_ecs_run_task_failures() -> None:
    _ecs_service._eval_service_task = _ecs_eval_service_task


def _revert_ecs_run_task_failures() -> None:
    _ecs_service._eval_service_task = _ORIGINAL_ECS_EVAL_SERVICE_TASK


def _apply_ecs_exit_codes() -> None:
    _ecs_service._build_sync_resolver = _ecs_build_sync_resolver


def _revert_ecs_exit_codes() -> None:
    _ecs_service._build_sync_resolver = _ORIGINAL_ECS_BUILD_SYNC_RESOLVER


# --------------------------------------------------------------------------------------------------------------
# 6. Cancelling a `.sync` ECS state stops its task. AWS makes a best-effort StopTask when the state is
# cancelled (StopExecution, a failed sibling Parallel branch or Map iteration, a state timeout); moto just
# stops polling and the task runs on.
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_ECS_EVAL_INTEGRATION_PATTERN: Final = _ecs_service._eval_integration_pattern


def _ecs_eval_integration_pattern(
    self: Any, env: Any, resource_runtime_part: Any, normalised_parameters: dict[str, Any], state_credentials: Any
) -> None:
    submitted = env.stack[-1] if env.stack else None
    try:
        _ORIGINAL_ECS_EVAL_INTEGRATION_PATTERN(
            self, env, resource_runtime_part, normalised_parameters, state_credentials
        )
    finally:
        if not env.is_running():
            _stop_submitted_task(submitted, resource_runtime_part.region)


def _stop_submitted_task(submitted: Any, region: str) -> None:
    tasks = submitted.get("Tasks") if isinstance(submitted, dict) else None
    if not tasks:
        return
    ecs = _new_boto_client(region=region, service="ecs")
    try:
        ecs.stop_task(
            cluster=tasks[0]["ClusterArn"], task=tasks[0]["TaskArn"], reason="Step Functions: state cancelled"
        )
    except Exception as exc:  # noqa: BLE001 - AWS documents this stop as best-effort; the run's teardown reaps it
        _LOG.warning("could not stop task %s of a cancelled state: %s", tasks[0].get("TaskArn"), exc)


def _apply_ecs_stop_on_cancel() -> None:
    _ecs_service._eval_integration_pattern = _ecs_eval_integration_pattern


def _revert_ecs_stop_on_cancel() -> None:
    _ecs_service._eval_integration_pattern = _ORIGINAL_ECS_EVAL_INTEGRATION_PATTERN


# --------------------------------------------------------------------------------------------------------------
# 7. Lambda error names. A function error without `errorType` (a crash, a timeout, a payload that is not an error
# object) is `Lambda.Unknown` on AWS, and a Lambda service error is `Lambda.<its code>` (the state machine
# retries `Lambda.ServiceException`, `Lambda.TooManyRequestsException`...). moto names the first `Exception`,
# and for the `arn:aws:lambda:...:function:x` resource form names service errors `Exception` too.
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_LAMBDA_SERVICE_FROM_ERROR: Final = _lambda_service._from_error
_ORIGINAL_LAMBDA_RESOURCE_FROM_ERROR: Final = _lambda_resource._from_error
LAMBDA_UNKNOWN_CAUSE: Final = (
    "The cause could not be determined because Lambda did not return an error type. Returned payload: {payload}"
)


def payload_error_type(payload: str) -> str | None:
    """The `errorType` of a Lambda error payload, if it has one."""
    try:
        decoded = json.loads(payload)
    except ValueError:
        return None
    error_type = decoded.get("errorType") if isinstance(decoded, dict) else None
    return error_type if isinstance(error_type, str) and error_type else None


def lambda_error_name(ex: Exception) -> tuple[str, str] | None:
    """(error, cause) as AWS names a failed Lambda call, for the cases moto names differently."""
    if isinstance(ex, lambda_eval_utils.LambdaFunctionErrorException) and payload_error_type(ex.payload) is None:
        return "Lambda.Unknown", LAMBDA_UNKNOWN_CAUSE.format(payload=ex.payload)
    if isinstance(ex, ClientError):
        error = ex.response.get("Error", {})
        return f"Lambda.{error.get('Code', 'Unknown')}", str(error.get("Message", ""))
    return None


def _lambda_service_from_error(self: Any, env: Any, ex: Exception) -> Any:
    named = lambda_error_name(ex)
    if named is not None and not isinstance(ex, ClientError):  # moto names service errors right here
        return _task_failed(self, env, *named).failure_event
    return _ORIGINAL_LAMBDA_SERVICE_FROM_ERROR(self, env, ex)


def _lambda_resource_from_error(self: Any, env: Any, ex: Exception) -> Any:
    named = lambda_error_name(ex)
    if named is None:
        return _ORIGINAL_LAMBDA_RESOURCE_FROM_ERROR(self, env, ex)
    error, cause = named
    return FailureEvent(
        env=env,
        error_name=CustomErrorName(error),
        event_type=HistoryEventType.LambdaFunctionFailed,
        event_details=_event_details(
            lambdaFunctionFailedEventDetails=LambdaFunctionFailedEventDetails(error=error, cause=cause)
        ),
    )


def _apply_lambda_error_names() -> None:
    _lambda_service._from_error = _lambda_service_from_error
    _lambda_resource._from_error = _lambda_resource_from_error


def _revert_lambda_error_names() -> None:
    _lambda_service._from_error = _ORIGINAL_LAMBDA_SERVICE_FROM_ERROR
    _lambda_resource._from_error = _ORIGINAL_LAMBDA_RESOURCE_FROM_ERROR


# --------------------------------------------------------------------------------------------------------------
# 8. A Distributed Map fails when its child executions fail beyond the tolerated threshold. AWS fails the Map
# state with `States.ExceedToleratedFailureThreshold` (by default on the first failed child); moto counts the
# failure, gives the item a null result and lets the Map succeed (its MapRunRecord says "TODO: add support
# for failure toleration fields"). Patched so the failing item ends the Map run as on AWS; children already
# running finish their current item (AWS aborts them).
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_DISTRIBUTED_EVAL_JOB: Final = _distributed_worker._eval_job
TOLERATED_FAILURE_CAUSE: Final = "The specified tolerated failure threshold was exceeded"


def tolerated_failures_exceeded(failed: int, total: int, tolerated_count: int, tolerated_percentage: float) -> bool:
    """AWS's rule: with no threshold set any failure is too many; otherwise exceeding either set one is."""
    if tolerated_count <= 0 and tolerated_percentage <= 0:
        return failed > 0
    over_count = tolerated_count > 0 and failed > tolerated_count
    over_percentage = tolerated_percentage > 0 and total > 0 and failed * 100.0 / total > tolerated_percentage
    return over_count or over_percentage


def _distributed_eval_job(self: Any, env: Any, job: Any) -> None:
    record = self._map_run_record
    failed_before = record.item_counter.failed.get() + record.item_counter.timed_out.get()
    _ORIGINAL_DISTRIBUTED_EVAL_JOB(self, env, job)
    failed = record.item_counter.failed.get() + record.item_counter.timed_out.get()
    if failed > failed_before and tolerated_failures_exceeded(
        failed, self._job_pool._jobs_number, record.tolerated_failure_count, record.tolerated_failure_percentage
    ):
        error = StatesErrorNameType.StatesExceedToleratedFailureThreshold.to_name()
        job.job_output = FailureEventException(
            FailureEvent(
                env=env,
                error_name=StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold),
                event_type=HistoryEventType.ExecutionFailed,
                event_details=_event_details(
                    executionFailedEventDetails=ExecutionFailedEventDetails(error=error, cause=TOLERATED_FAILURE_CAUSE)
                ),
            )
        )


def _apply_distributed_map_failures() -> None:
    _distributed_worker._eval_job = _distributed_eval_job


def _revert_distributed_map_failures() -> None:
    _distributed_worker._eval_job = _ORIGINAL_DISTRIBUTED_EVAL_JOB


# --------------------------------------------------------------------------------------------------------------
# 9. `"ToleratedFailurePercentage": 100` is valid ASL (a number from 0 to 100), but moto's grammar accepts only a
# decimal literal there (`100.0`): an integer fails CreateStateMachine with `ASLParserException ... no viable
# alternative`. Patched by writing such an integer as the same number with a decimal point before parsing.
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_ASL_PARSE: Final = _asl_parser.__dict__["parse"]
_INTEGER_PERCENTAGE: Final = re.compile(r'("ToleratedFailurePercentage"\s*:\s*)(-?\d+)(?=\s*[,}])')


def decimal_percentages(definition: str) -> str:
    """The definition with integer `ToleratedFailurePercentage` values written as decimals (100 -> 100.0)."""
    return _INTEGER_PERCENTAGE.sub(r"\1\2.0", definition)


def _parse_with_decimal_percentages(definition: str) -> Any:
    return _ORIGINAL_ASL_PARSE.__func__(decimal_percentages(definition))


def _apply_integer_percentages() -> None:
    _asl_parser.parse = staticmethod(_parse_with_decimal_percentages)


def _revert_integer_percentages() -> None:
    _asl_parser.parse = _ORIGINAL_ASL_PARSE


# --------------------------------------------------------------------------------------------------------------
# 10. A Distributed Map's `ResultWriter.Parameters` (`"Bucket.$": "$.bucket"`) read the Map state's input, like
# its ItemReader's; moto evaluates them against the Map's results list, so any path fails with
# `States.Runtime ... could not be found in the input '[...results...]'` after every batch has run.
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_RESULT_WRITER_EVAL_BODY: Final = _result_writer._eval_body


def _result_writer_eval_body(self: Any, env: Any) -> None:
    results = env.stack.pop()
    env.stack.append(env.states.get_input())
    self.parargs.eval(env=env)
    parameters = env.stack.pop()
    env.stack.pop()
    env.stack.append(results)
    env.stack.append(parameters)
    self.resource_eval.eval_resource(env=env)


def _apply_result_writer_input() -> None:
    _result_writer._eval_body = _result_writer_eval_body


def _revert_result_writer_input() -> None:
    _result_writer._eval_body = _ORIGINAL_RESULT_WRITER_EVAL_BODY


# --------------------------------------------------------------------------------------------------------------
# 11. Backend lookups at scale. Every request, in-process or over HTTP, looks its backend up with
# `BackendDict.__getitem__`, which takes moto's global lock and scans the list of every backend in use with
# Python-level `__eq__` to register this one, even when it is long registered. With a few hundred concurrent
# scenes that lock is the local cloud's bottleneck. Patched with a fast path for an account already present
# (it was registered when it was added; a reset clears both).
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_CREATE_ACCOUNT_BACKEND: Final = _backend_dict._create_account_specific_backend


def _create_account_backend_once(self: Any, account_id: str) -> None:
    if dict.__contains__(self, account_id):
        return
    _ORIGINAL_CREATE_ACCOUNT_BACKEND(self, account_id)


def _apply_backend_fast_path() -> None:
    _backend_dict._create_account_specific_backend = _create_account_backend_once


def _revert_backend_fast_path() -> None:
    _backend_dict._create_account_specific_backend = _ORIGINAL_CREATE_ACCOUNT_BACKEND


# --------------------------------------------------------------------------------------------------------------
# 12. `.sync` ECS waits for the task's end instead of polling. moto polls DescribeTasks every 0.5 s (hard-coded,
# "TODO: consider implementing a polling pattern similar to that observable from AWS"); AWS's `.sync` for ECS
# is event-driven (the StepFunctionsGetEventsForECSTaskRule EventBridge rule). With ten batches polling, the
# DescribeTasks calls alone kept a core busy; here the loop sleeps until the local ECS runtime reports a stopped
# task (`set_task_stop_waiter`), or `sync_poll_seconds` at most, and only then describes its task again.
# 13. The interpreter creates a boto3 client for every service call (about 5 ms each); clients are thread-safe,
# so they are made once per service and region while the patches are installed.
# 14. Tests compress time: Retry intervals and Wait states last `time_scale` times as long.
# --------------------------------------------------------------------------------------------------------------

_ORIGINAL_ECS_EVAL_SYNC: Final = _ecs_service._eval_sync
_ORIGINAL_BOTO_CLIENT_FOR: Final = _new_boto_client
_ORIGINAL_WAIT_INTERVAL: Final = _wait_function._wait_interval
TaskStopWaiter = Callable[[float], None]
_stop_waiter: dict[str, TaskStopWaiter] = {}
_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()
_current = {"settings": PatchSettings()}


def set_task_stop_waiter(waiter: TaskStopWaiter | None) -> None:
    """Register what `.sync` ECS states wait on between checks: a call that returns when some task stops, or
    after the given seconds. None restores a plain sleep."""
    if waiter is None:
        _stop_waiter.pop("waiter", None)
    else:
        _stop_waiter["waiter"] = waiter


def _ecs_eval_sync_on_events(self: Any, env: Any, sync_resolver: Any, *_: Any, **__: Any) -> Any:
    wait = _stop_waiter.get("waiter", time.sleep)
    while env.is_running():
        result = sync_resolver()
        if result:
            return result
        wait(_current["settings"].sync_poll_seconds)
    return None


def _apply_ecs_sync_on_events() -> None:
    _ecs_service._eval_sync = _ecs_eval_sync_on_events


def _revert_ecs_sync_on_events() -> None:
    _ecs_service._eval_sync = _ORIGINAL_ECS_EVAL_SYNC


def _shared_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    with _clients_lock:
        key = (region, service)
        if key not in _clients:
            _clients[key] = _ORIGINAL_BOTO_CLIENT_FOR(
                region=region, service=service, state_credentials=state_credentials
            )
        return _clients[key]


def _modules_using_boto_client_for() -> Iterator[Any]:
    for name, module in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.parser") and getattr(module, "boto_client_for", None) in (
            _ORIGINAL_BOTO_CLIENT_FOR,
            _shared_boto_client_for,
        ):
            yield module


def _apply_client_reuse() -> None:
    for module in _modules_using_boto_client_for():
        module.boto_client_for = _shared_boto_client_for


def _revert_client_reuse() -> None:
    for module in _modules_using_boto_client_for():
        module.boto_client_for = _ORIGINAL_BOTO_CLIENT_FOR
    with _clients_lock:
        _clients.clear()


class _ScaledClock:
    """Stands in for the `time` module inside moto's retrier: Retry intervals last `scale` times their length."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds * self.scale)

    def time(self) -> float:
        return time.time()


def _scaled_wait_interval(self: Any, env: Any, wait_seconds: float) -> None:
    if wait_seconds > 0 and env.is_running():
        env.program_state_event.wait(wait_seconds * _current["settings"].time_scale)


def _apply_time_scale() -> None:
    if _current["settings"].time_scale != 1.0:
        _retrier_module.time = _ScaledClock(_current["settings"].time_scale)
        _wait_function._wait_interval = _scaled_wait_interval


def _revert_time_scale() -> None:
    _retrier_module.time = time
    _wait_function._wait_interval = _ORIGINAL_WAIT_INTERVAL


PATCHES: Final[tuple[MotoPatch, ...]] = (
    MotoPatch(
        name="case-normalisation",
        upstream="getmoto/moto#10076 (open; fix proposed in getmoto/moto#10094)",
        aws_behaviour="ASL PascalCase parameters and results are mapped to and from the API's member names",
        apply=_apply_case_normalisation,
        revert=_revert_case_normalisation,
    ),
    MotoPatch(
        name="epoch-timestamps",
        upstream="none filed; follows from getmoto/moto#10076 (LocalStack converts in its own serialiser)",
        aws_behaviour="service results carry timestamps as epoch milliseconds",
        apply=_apply_epoch_timestamps,
        revert=_revert_epoch_timestamps,
    ),
    MotoPatch(
        name="definite-json-path",
        upstream="moto-only rule from getmoto/moto#7825; AWS behaviour per localstack/localstack#11321",
        aws_behaviour="a definite JSONPath such as $.Containers[0].ExitCode yields a value, not a list",
        apply=_apply_definite_json_path,
        revert=_revert_definite_json_path,
    ),
    MotoPatch(
        name="ecs-run-task-failures",
        upstream="none filed (moto 5.2.5); AWS: Step Functions developer guide, connect-ecs",
        aws_behaviour="ecs:runTask.sync with a non-empty Failures list fails with AmazonECS.Unknown",
        apply=_apply_ecs_run_task_failures,
        revert=_revert_ecs_run_task_failures,
    ),
    MotoPatch(
        name="ecs-sync-exit-code",
        upstream="none filed (moto 5.2.5); AWS: wellcomecollection/catalogue-pipeline#3377",
        aws_behaviour="ecs:runTask.sync fails with States.TaskFailed when a container exits non-zero",
        apply=_apply_ecs_exit_codes,
        revert=_revert_ecs_exit_codes,
    ),
    MotoPatch(
        name="ecs-stop-on-cancel",
        upstream="none filed (moto 5.2.5); AWS: Step Functions developer guide, connect-to-resource (.sync)",
        aws_behaviour="a cancelled ecs:runTask.sync state makes a best-effort StopTask",
        apply=_apply_ecs_stop_on_cancel,
        revert=_revert_ecs_stop_on_cancel,
    ),
    MotoPatch(
        name="lambda-error-names",
        upstream="none filed (moto 5.2.5); AWS: Step Functions error handling (Lambda.Unknown, Lambda.*)",
        aws_behaviour="a function error without errorType is Lambda.Unknown; a service error is Lambda.<code>",
        apply=_apply_lambda_error_names,
        revert=_revert_lambda_error_names,
    ),
    MotoPatch(
        name="distributed-map-tolerated-failures",
        upstream="none filed (moto 5.2.5: 'TODO: add support for failure toleration fields' in map_run_record.py)",
        aws_behaviour="a Distributed Map fails with States.ExceedToleratedFailureThreshold when children fail",
        apply=_apply_distributed_map_failures,
        revert=_revert_distributed_map_failures,
    ),
    MotoPatch(
        name="integer-tolerated-failure-percentage",
        upstream="none filed (moto 5.2.5 grammar: tolerated_failure_percentage_number takes NUMBER, not INT)",
        aws_behaviour='"ToleratedFailurePercentage": 100 is accepted',
        apply=_apply_integer_percentages,
        revert=_revert_integer_percentages,
    ),
    MotoPatch(
        name="result-writer-reads-state-input",
        upstream="none filed (moto 5.2.5 result_writer_decl.py evaluates Parameters against the results)",
        aws_behaviour="ResultWriter Parameters paths are read from the Map state's input",
        apply=_apply_result_writer_input,
        revert=_revert_result_writer_input,
    ),
    MotoPatch(
        name="backend-lookup-fast-path",
        upstream="none filed (moto 5.2.5 base_backend.py: list scan under backend_lock on every lookup)",
        aws_behaviour="(none: speed only; a few hundred concurrent scenes otherwise queue on one lock)",
        apply=_apply_backend_fast_path,
        revert=_revert_backend_fast_path,
    ),
    MotoPatch(
        name="ecs-sync-on-task-events",
        upstream="not configurable upstream (hard-coded 0.5 s poll, TODO in moto's state_task_service_callback.py)",
        aws_behaviour="ecs:runTask.sync notices a stopped task from its event, without polling",
        apply=_apply_ecs_sync_on_events,
        revert=_revert_ecs_sync_on_events,
    ),
    MotoPatch(
        name="interpreter-client-reuse",
        upstream="none filed (moto 5.2.5 boto_client.py builds a client per service call)",
        aws_behaviour="(none: speed only)",
        apply=_apply_client_reuse,
        revert=_revert_client_reuse,
    ),
    MotoPatch(
        name="time-scale",
        upstream="a local test facility, not a defect",
        aws_behaviour="(none: Retry intervals and Wait states run time_scale times their real length)",
        apply=_apply_time_scale,
        revert=_revert_time_scale,
    ),
)

_installed: list[MotoPatch] = []


class MotoVersionMismatch(RuntimeError):
    """The installed moto is not the version these patches were written and verified against."""


def check_moto_version() -> None:
    installed = version("moto")
    if installed != PINNED_MOTO_VERSION:
        raise MotoVersionMismatch(
            f"the local cloud's patches are verified against moto {PINNED_MOTO_VERSION}, but moto {installed} is "
            f"installed; install moto=={PINNED_MOTO_VERSION} (pinned in pyproject.toml)"
        )


def install(settings: PatchSettings = PatchSettings(), disabled: Collection[str] = ()) -> None:
    """Apply every patch except the `disabled` ones (by name; canary tests disable one to see moto's own
    behaviour). Idempotent: installing again first reverts what was installed."""
    check_moto_version()
    unknown = set(disabled) - {patch.name for patch in PATCHES}
    if unknown:
        raise ValueError(f"unknown moto patches: {', '.join(sorted(unknown))}")
    uninstall()
    _current["settings"] = settings
    for patch in PATCHES:
        if patch.name not in disabled:
            patch.apply()
            _installed.append(patch)


def uninstall() -> None:
    """Restore moto's original behaviour."""
    while _installed:
        _installed.pop().revert()


def installed() -> list[str]:
    return [patch.name for patch in _installed]


@contextmanager
def temporarily_disabled(*names: str) -> Iterator[None]:
    """Run a block with moto's own behaviour for the named patches (canary tests), then restore them."""
    before = [patch.name for patch in PATCHES if patch.name not in installed()]
    settings = _current["settings"]
    install(settings, disabled=[*before, *names])
    try:
        yield
    finally:
        install(settings, disabled=before)


def is_definite(path: str) -> bool:
    """Whether a JSONPath names one value (no filter, wildcard, slice, union or deep scan)."""
    return not _INDEFINITE_PATH.search(path)
