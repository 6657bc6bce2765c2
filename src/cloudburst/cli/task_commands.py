"""`cloudburst tasks list` and `cloudburst tasks cleanup`: CloudBurst's running tasks, by their tag."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from botocore.exceptions import ClientError

from cloudburst.cli.exit_codes import ExitCode
from cloudburst.cli.formatting import human_seconds
from cloudburst.cli.options import target_choice
from cloudburst.cli.output import Output
from cloudburst.client.connect import open_target
from cloudburst.client.errors import TargetUnavailable
from cloudburst.client.layout import execution_arn
from cloudburst.client.targets import Target
from cloudburst.client.tasks import list_cloudburst_tasks, stop_cloudburst_tasks


def list_tasks(args: argparse.Namespace, out: Output) -> int:
    with open_target(target_choice(args), allow_embedded=False) as target:
        tasks = list_cloudburst_tasks(target.ecs(), _cluster(target), job_id=args.job)
        now = time.time()
        lines = [
            f"{task.arn}  {task.last_status:<8}  job {task.job_id or '-'}  "
            f"up {human_seconds(now - (task.started_at or task.created_at or now))}"
            for task in tasks
        ] or ["no CloudBurst tasks are running"]
        out.result("tasks", {"tasks": [task.as_dict() for task in tasks]}, lines)
    return ExitCode.OK


def cleanup_tasks(args: argparse.Namespace, out: Output) -> int:
    """Stop the tasks no running job owns (all of them with --all, or the given job's with --job)."""
    with open_target(target_choice(args), allow_embedded=False) as target:
        keep_if_running = None if args.all or args.job else _job_is_running(target)
        result = stop_cloudburst_tasks(
            target.ecs(), _cluster(target), args.reason, job_id=args.job, job_is_running=keep_if_running
        )
        lines = (
            [f"stopped {arn}" for arn in result.stopped]
            + [f"kept {arn}: {why}" for arn, why in result.kept.items()]
            + [f"could not stop {arn}: {why}" for arn, why in result.failed.items()]
        )
        lines.append(
            f"{len(result.stopped)} stopped, {len(result.kept)} kept, {len(result.failed)} could not be stopped"
        )
        out.result("cleanup", {"stopped": result.stopped, "kept": result.kept, "failed": result.failed}, lines)
    return ExitCode.JOB_FAILED if result.failed else ExitCode.OK


def _job_is_running(target: Target) -> Callable[[str], bool]:
    sfn = target.sfn()

    def running(job_id: str) -> bool:
        try:
            described = sfn.describe_execution(executionArn=execution_arn(target.outputs.state_machine_arn, job_id))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return False
            raise
        return described["status"] == "RUNNING"

    return running


def _cluster(target: Target) -> str:
    cluster = target.outputs.cluster
    if cluster is None:
        raise TargetUnavailable(
            f"{target.description} has no ClusterArn or ClusterName output", "Redeploy the stack with `sam deploy`."
        )
    return cluster
