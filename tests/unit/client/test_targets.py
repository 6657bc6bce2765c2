"""Which target the options, the environment and samconfig.toml choose, and what a stack must output."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cloudburst.client.errors import TargetUnavailable
from cloudburst.client.local_target import STATE_FILE_ENV, find_serving, open_local, read_state
from cloudburst.client.targets import StackOutputs, TargetChoice, TargetKind, choose_target, read_samconfig

SAMCONFIG = """version = 0.1
[default.global.parameters]
region = "eu-west-1"
[default.deploy.parameters]
stack_name = "cloudburst"
[prod.deploy.parameters]
stack_name = "cloudburst-prod"
region = "us-west-2"
"""


def test_local_cloud_is_the_default_and_wins_when_asked_for() -> None:
    assert choose_target(environ={}) == TargetChoice(TargetKind.LOCAL)
    assert choose_target(local=True, stack="x", environ={"CLOUDBURST_STACK": "y"}).kind is TargetKind.LOCAL


def test_stack_from_option_then_environment(tmp_path: Path) -> None:
    env = {"CLOUDBURST_STACK": "from-env", "AWS_REGION": "ap-south-1"}
    assert choose_target(stack="opt", environ=env) == TargetChoice(TargetKind.STACK, "opt", "ap-south-1")
    assert choose_target(environ=env) == TargetChoice(TargetKind.STACK, "from-env", "ap-south-1")
    assert choose_target(environ=env, region="eu-north-1").region == "eu-north-1"


def test_samconfig_gives_stack_and_region_per_environment(tmp_path: Path) -> None:
    config = tmp_path / "samconfig.toml"
    config.write_text(SAMCONFIG)
    assert read_samconfig(config) == ("cloudburst", "eu-west-1")
    assert read_samconfig(config, "prod") == ("cloudburst-prod", "us-west-2")
    chosen = choose_target(use_samconfig=True, samconfig=config, environ={"AWS_REGION": "x-1"})
    assert chosen == TargetChoice(TargetKind.STACK, "cloudburst", "eu-west-1")
    assert chosen.describe() == "stack cloudburst (eu-west-1)"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "samconfig.toml not found"),
        ("not = [toml", "is not readable TOML"),
        ("[default.deploy.parameters]\nregion = 'x'\n", "has no stack_name in [default.deploy.parameters]"),
    ],
)
def test_samconfig_problems_say_what_to_do(tmp_path: Path, content: str | None, message: str) -> None:
    config = tmp_path / "samconfig.toml"
    if content is not None:
        config.write_text(content)
    with pytest.raises(TargetUnavailable, match=re.escape(message)) as caught:
        read_samconfig(config)
    assert "--stack" in caught.value.hint


def test_stack_outputs_must_name_bucket_and_state_machine() -> None:
    outputs = StackOutputs.from_outputs(
        {"BucketName": "b", "StateMachineArn": "arn:sm", "ClusterName": "c", "Other": "x"}, "stack s"
    )
    assert (outputs.bucket, outputs.cluster_arn, outputs.cluster) == ("b", None, "c")
    with pytest.raises(TargetUnavailable, match="stack s has no output StateMachineArn, so it is not a CloudBurst"):
        StackOutputs.from_outputs({"BucketName": "b"}, "stack s")


def test_a_state_file_counts_only_while_its_process_lives(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    assert read_state(state) is None
    state.write_text('{"pid": 999999999, "endpoint_url": "http://127.0.0.1:1"}')
    assert read_state(state) is None
    state.write_text(f'{{"pid": {os.getpid()}, "endpoint_url": "http://127.0.0.1:1"}}')
    assert read_state(state) == {"pid": os.getpid(), "endpoint_url": "http://127.0.0.1:1"}


def _serving_state(directory: Path) -> Path:
    state = directory / ".cloudburst" / "local-cloud.json"
    state.parent.mkdir(parents=True)
    state.write_text(f'{{"pid": {os.getpid()}, "endpoint_url": "http://127.0.0.1:1"}}')
    return state


def test_a_serving_cloud_is_found_from_any_directory_below_the_one_it_serves_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STATE_FILE_ENV, raising=False)
    deep = tmp_path / "project" / "my-scenes" / "audio"
    deep.mkdir(parents=True)
    assert find_serving(deep) is None
    state = _serving_state(tmp_path / "project")
    found = find_serving(deep)
    assert found is not None
    assert found[0] == state.resolve()
    nearer = _serving_state(tmp_path / "project" / "my-scenes")
    nearer.write_text('{"pid": 999999999}')  # a stale file nearer by does not hide the serving one
    assert find_serving(deep) == found


def test_no_serving_cloud_names_where_it_looked_and_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(STATE_FILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(TargetUnavailable) as caught:
        open_local(allow_embedded=False)
    assert f"looked for .cloudburst/local-cloud.json in {tmp_path.resolve()} and its parent directories" in str(
        caught.value.message
    )
    assert STATE_FILE_ENV in (caught.value.hint or "")
    elsewhere = tmp_path / "elsewhere.json"
    monkeypatch.setenv(STATE_FILE_ENV, str(elsewhere))
    _serving_state(tmp_path)  # ignored: the variable, when set, is the only place looked in
    with pytest.raises(TargetUnavailable, match=re.escape(f"${STATE_FILE_ENV} = {elsewhere}")):
        open_local(allow_embedded=False)
