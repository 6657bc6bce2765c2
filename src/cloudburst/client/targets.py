"""Where jobs run: a deployed CloudBurst stack, or the local cloud on this machine.

Both look the same to the rest of the helper: a bucket, a state machine, a cluster (the stack's outputs
`BucketName`, `StateMachineArn`, `ClusterArn`, `ClusterName`) and boto3 clients that reach them. A deployed
stack is found by name through CloudFormation; the name comes from `--stack`/`CLOUDBURST_STACK`, or from
`samconfig.toml` when `--stack` is given without one. With no stack configured the target is the local
cloud: a long-lived one if `python -m cloudburst.local serve` is running, else one embedded in this process.
"""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from cloudburst.client.errors import TargetUnavailable

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_ecs import ECSClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

STACK_ENV = "CLOUDBURST_STACK"
REGION_ENVS = ("AWS_REGION", "AWS_DEFAULT_REGION")
SAMCONFIG = Path("samconfig.toml")
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=10, read_timeout=60)
"""A job is followed for minutes or hours: throttling and dropped connections are retried, with backoff,
rather than ending the watch (and leaving videos undownloaded)."""
OUTPUT_KEYS = {"bucket": "BucketName", "state_machine_arn": "StateMachineArn"}
OPTIONAL_OUTPUT_KEYS = {"cluster_arn": "ClusterArn", "cluster_name": "ClusterName"}


class TargetKind(StrEnum):
    STACK = "stack"
    LOCAL = "local"


@dataclass(frozen=True)
class TargetChoice:
    """Which target the options, the environment and `samconfig.toml` point at (nothing is contacted yet)."""

    kind: TargetKind
    stack_name: str | None = None
    region: str | None = None

    def describe(self) -> str:
        if self.kind is TargetKind.LOCAL:
            return "the local cloud"
        return f"stack {self.stack_name}" + (f" ({self.region})" if self.region else "")


def choose_target(
    *,
    stack: str | None = None,
    region: str | None = None,
    local: bool = False,
    use_samconfig: bool = False,
    config_env: str = "default",
    samconfig: Path = SAMCONFIG,
    environ: Mapping[str, str] | None = None,
) -> TargetChoice:
    """The target for these options: `local` wins, then `stack`, then `samconfig.toml` (if asked for), then
    `CLOUDBURST_STACK`; otherwise the local cloud. The region follows `region`, samconfig, then `AWS_REGION`."""
    env = os.environ if environ is None else environ
    if local:
        return TargetChoice(TargetKind.LOCAL)
    env_region = next((env[name] for name in REGION_ENVS if env.get(name)), None)
    if stack:
        return TargetChoice(TargetKind.STACK, stack, region or env_region)
    if use_samconfig:
        stack_name, sam_region = read_samconfig(samconfig, config_env)
        return TargetChoice(TargetKind.STACK, stack_name, region or sam_region or env_region)
    if env.get(STACK_ENV):
        return TargetChoice(TargetKind.STACK, env[STACK_ENV], region or env_region)
    return TargetChoice(TargetKind.LOCAL)


def read_samconfig(path: Path = SAMCONFIG, config_env: str = "default") -> tuple[str, str | None]:
    """(stack name, region) from `sam deploy`'s configuration file."""
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TargetUnavailable(
            f"{path} not found, so there is no stack name to use",
            "Run from the project folder, deploy with `sam deploy --guided`, or name the stack: --stack NAME.",
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TargetUnavailable(f"{path} is not readable TOML ({exc})", "Fix the file or use --stack NAME.") from None
    section = config.get(config_env, {})
    parameters: dict[str, Any] = {}
    for command in ("global", "deploy"):
        parameters.update(section.get(command, {}).get("parameters", {}))
    stack_name = parameters.get("stack_name")
    if not isinstance(stack_name, str) or not stack_name:
        raise TargetUnavailable(
            f"{path} has no stack_name in [{config_env}.deploy.parameters]", "Name the stack with --stack NAME."
        )
    region = parameters.get("region")
    return stack_name, region if isinstance(region, str) and region else None


@dataclass(frozen=True)
class StackOutputs:
    """The stack outputs the helper needs (the local cloud exposes the same ones)."""

    bucket: str
    state_machine_arn: str
    cluster_arn: str | None = None
    cluster_name: str | None = None

    @property
    def cluster(self) -> str | None:
        """What ECS calls take as `cluster`: the ARN, or the name."""
        return self.cluster_arn or self.cluster_name

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, str], where: str) -> StackOutputs:
        missing = [key for key in OUTPUT_KEYS.values() if not outputs.get(key)]
        if missing:
            raise TargetUnavailable(
                f"{where} has no output {', '.join(missing)}, so it is not a CloudBurst stack",
                "Check the stack name (--stack) or deploy CloudBurst with `sam deploy --guided`.",
            )
        values = {field: outputs[key] for field, key in OUTPUT_KEYS.items()}
        values.update({field: outputs.get(key) or None for field, key in OPTIONAL_OUTPUT_KEYS.items()})  # type: ignore[misc]
        return cls(**values)


ClientFactory = Callable[[str], Any]


class Target:
    """A reachable CloudBurst deployment: its outputs and boto3 clients for it. Use it as a context manager
    (closing an embedded local cloud stops it and everything it started)."""

    def __init__(
        self,
        description: str,
        outputs: StackOutputs,
        client_factory: ClientFactory,
        *,
        region: str,
        survives_exit: bool = True,
        poll_interval_s: float = 2.0,
        closer: Callable[[], None] | None = None,
    ) -> None:
        self.description = description
        self.outputs = outputs
        self.region = region
        self.survives_exit = survives_exit
        """False for an embedded local cloud: jobs end with this process, so submit-and-leave is impossible."""
        self.poll_interval_s = poll_interval_s
        """How often to look at a running job: every API call costs on AWS; locally it costs nothing."""
        self._client_factory = client_factory
        self._closer = closer
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._client_factory(service)
            return self._clients[service]

    def s3(self) -> S3Client:
        return cast("S3Client", self.client("s3"))

    def sfn(self) -> SFNClient:
        return cast("SFNClient", self.client("stepfunctions"))

    def ecs(self) -> ECSClient:
        return cast("ECSClient", self.client("ecs"))

    def close(self) -> None:
        closer, self._closer = self._closer, None
        if closer is not None:
            closer()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Target({self.description!r})"


def connect_stack(stack_name: str, region: str | None = None, session: Any = None) -> Target:
    """The deployed stack `stack_name`, found through CloudFormation (credentials from the usual chain)."""
    aws = session or boto3.session.Session(region_name=region)
    where = f"stack {stack_name!r}" + (f" in {aws.region_name}" if aws.region_name else "")
    try:
        cloudformation: CloudFormationClient = aws.client("cloudformation")
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except NoRegionError:
        raise TargetUnavailable(
            "no AWS region is configured", "Pass --region, set AWS_REGION, or put region in samconfig.toml."
        ) from None
    except NoCredentialsError:
        raise TargetUnavailable(
            "no AWS credentials were found", "Configure them (aws configure, or AWS_PROFILE), or use --local."
        ) from None
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        if "does not exist" in message:
            raise TargetUnavailable(
                f"{where} does not exist", "Deploy it with `sam deploy --guided`, or check --stack and --region."
            ) from None
        raise TargetUnavailable(f"cannot read {where}: {message}", "Check your credentials and permissions.") from None
    except BotoCoreError as exc:
        raise TargetUnavailable(f"cannot reach CloudFormation for {where}: {exc}", "Check your network.") from None
    outputs = {item["OutputKey"]: item["OutputValue"] for item in stacks[0].get("Outputs", [])}

    def client(service: str) -> Any:
        return aws.client(service, config=CLIENT_CONFIG)  # type: ignore[call-overload]

    return Target(
        f"stack {stack_name} ({aws.region_name})",
        StackOutputs.from_outputs(outputs, where),
        client,
        region=str(aws.region_name),
    )
