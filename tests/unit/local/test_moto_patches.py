"""The moto patches: their pure parts, and canaries proving that moto itself still needs them.

A canary asserts moto's *unpatched* behaviour. When one fails after a moto upgrade, upstream changed: drop
the patch (and its canary) instead of patching a fixed moto. Canaries that need a running execution are in
tests/integration/local/test_moto_patch_canaries.py.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
from pathlib import Path

import pytest
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import ASLParserException

from cloudburst.local import moto_patches


def test_patches_are_named_and_point_at_their_upstream_record() -> None:
    names = [patch.name for patch in moto_patches.PATCHES]
    assert len(names) == len(set(names))
    for patch in moto_patches.PATCHES:
        assert patch.upstream
        assert patch.aws_behaviour


def test_install_applies_every_patch_and_uninstall_restores_moto() -> None:
    task_service = moto_patches._task_service
    try:
        moto_patches.install(moto_patches.PatchSettings(), disabled=["time-scale"])
        assert "time-scale" not in moto_patches.installed()
        assert task_service._normalise_parameters is moto_patches._normalise_parameters
    finally:
        moto_patches.uninstall()
    assert moto_patches.installed() == []
    assert task_service._normalise_parameters is moto_patches._ORIGINAL_NORMALISE_PARAMETERS


def test_unknown_patch_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown moto patches: no-such-patch"):
        moto_patches.install(disabled=["no-such-patch"])


# -- canaries: moto 5.2.5's own behaviour -----------------------------------------------------------------------
def test_canary_moto_does_not_normalise_service_parameters() -> None:
    parameters = {"Cluster": "c", "TaskDefinition": "t"}
    moto_patches._ORIGINAL_NORMALISE_PARAMETERS(None, parameters)
    assert parameters == {"Cluster": "c", "TaskDefinition": "t"}


def test_canary_moto_keeps_datetimes_in_service_results() -> None:
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert moto_patches._ORIGINAL_FROM_BOTO_RESPONSE_VALUE.__func__(moment) is moment


def test_canary_moto_wraps_definite_paths_below_an_array_index() -> None:
    assert moto_patches._ORIGINAL_EXTRACT_JSON("$.Containers[0].ExitCode", {"Containers": [{"ExitCode": 0}]}) == [0]


def test_canary_moto_polls_sync_tasks_every_half_second() -> None:
    assert moto_patches._callback_module._DELAY_SECONDS_SYNC_CONDITION_CHECK == 0.5
    assert moto_patches._ORIGINAL_ECS_EVAL_SYNC is moto_patches._callback_module.StateTaskServiceCallback._eval_sync


def test_canary_moto_creates_a_client_per_service_call() -> None:
    first = moto_patches._ORIGINAL_BOTO_CLIENT_FOR(region="us-east-1", service="ecs")
    second = moto_patches._ORIGINAL_BOTO_CLIENT_FOR(region="us-east-1", service="ecs")
    assert first is not second


def test_canary_moto_registers_backends_under_its_global_lock_every_time() -> None:
    source = inspect.getsource(moto_patches._ORIGINAL_CREATE_ACCOUNT_BACKEND)
    assert "with backend_lock:" in source
    assert "not in BackendDict._instances" in source


def test_canary_moto_rejects_integer_tolerated_failure_percentage() -> None:
    definition = {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ToleratedFailurePercentage": 100,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }
    with pytest.raises(ASLParserException):
        moto_patches._ORIGINAL_ASL_PARSE.__func__(json.dumps(definition))
    moto_patches._ORIGINAL_ASL_PARSE.__func__(moto_patches.decimal_percentages(json.dumps(definition)))


# -- the patches' own logic -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$.Containers[0].ExitCode", 0),
        ("$.items[1]", "b"),
        ("$.items[*]", ["a", "b"]),
        ("$.items[0:1]", ["a"]),
        ("$.Containers[?(@.ExitCode == 0)].ExitCode", [0]),
        ("$..ExitCode", [0]),
    ],
)
def test_definite_paths_give_values_and_indefinite_ones_lists(path: str, expected: object) -> None:
    data = {"Containers": [{"ExitCode": 0}], "items": ["a", "b"]}
    assert moto_patches.extract_json_definite(path, data) == expected


@pytest.mark.parametrize(
    ("failed", "total", "count", "percentage", "exceeded"),
    [
        (0, 10, 0, 0.0, False),
        (1, 10, 0, 0.0, True),
        (2, 10, 2, 0.0, False),
        (3, 10, 2, 0.0, True),
        (10, 10, 0, 100.0, False),
        (2, 10, 0, 10.0, True),
        (1, 10, 0, 10.0, False),
    ],
)
def test_tolerated_failure_threshold(failed: int, total: int, count: int, percentage: float, exceeded: bool) -> None:
    assert moto_patches.tolerated_failures_exceeded(failed, total, count, percentage) is exceeded


def test_integer_percentages_become_decimals_and_nothing_else_changes() -> None:
    text = '{"ToleratedFailurePercentage": 100, "MaxConcurrency": 5, "ToleratedFailurePercentage":7}'
    assert moto_patches.decimal_percentages(text) == (
        '{"ToleratedFailurePercentage": 100.0, "MaxConcurrency": 5, "ToleratedFailurePercentage":7.0}'
    )


def test_lambda_errors_are_named_as_aws_names_them() -> None:
    no_type = lambda_eval_utils.LambdaFunctionErrorException("Unhandled", '{"errorMessage": "Task timed out"}')
    typed = lambda_eval_utils.LambdaFunctionErrorException("Unhandled", '{"errorType": "RenderFailed"}')
    error, cause = moto_patches.lambda_error_name(no_type) or ("", "")
    assert error == "Lambda.Unknown"
    assert "Task timed out" in cause
    assert moto_patches.lambda_error_name(typed) is None
    assert moto_patches.payload_error_type("not json") is None


def test_timestamps_become_epoch_milliseconds() -> None:
    assert moto_patches.epoch_milliseconds(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)) == 1767225600000
    assert moto_patches.epoch_milliseconds("x") == "x"


def test_the_local_cloud_documentation_lists_every_patch() -> None:
    documentation = (Path(__file__).parents[3] / "docs" / "local-cloud.md").read_text(encoding="utf-8")
    missing = [patch.name for patch in moto_patches.PATCHES if f"`{patch.name}`" not in documentation]
    assert missing == []
