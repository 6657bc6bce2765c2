"""A submitted job: follow it, download its videos as they land, read its report, or cancel it.

A `JobHandle` is just the target and the job id (the execution name), so it can be rebuilt in another process
with `JobHandle.attach(target, job_id)`: everything else is read back from Step Functions and S3.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from cloudburst.aws.ecs import STARTED_BY_STEP_FUNCTIONS, list_task_arns
from cloudburst.aws.s3 import get_json
from cloudburst.client import layout
from cloudburst.client.cost import fargate_cost_so_far, task_record_from_ecs
from cloudburst.client.downloads import DownloadedVideo, RemoteVideo, VideoDownloader
from cloudburst.client.ended_report import ended_job_report
from cloudburst.client.errors import CloudBurstError, JobNotFound, ReportNotReady
from cloudburst.client.status import INVALID_JOB_ERROR, ExecutionFacts, ExecutionState, JobStatus, summarize
from cloudburst.client.targets import Target
from cloudburst.core.naming import batch_of_task_group, task_group
from cloudburst.models.job import Architecture, JobSpec, parse_s3_uri
from cloudburst.models.records import BatchRecord, TaskRecord
from cloudburst.models.report import Report
from cloudburst.pipeline.build_report import write_report_files

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions.type_defs import DescribeExecutionOutputTypeDef

_DESCRIBE_BATCH = 100
PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class StatusUpdate:
    """A fresh status, once per poll (displays refresh elapsed time and cost from it)."""

    status: JobStatus


@dataclass(frozen=True)
class VideoArrived:
    video: DownloadedVideo


@dataclass(frozen=True)
class SceneFailed:
    scene: str
    reason: str


@dataclass(frozen=True)
class JobEnded:
    status: JobStatus
    downloaded: int = 0  # videos in the destination folder (when watching with one)
    unverified: tuple[str, ...] = ()  # of those, scenes whose SHA-256 no record confirmed (sizes did match)


JobEvent = StatusUpdate | VideoArrived | SceneFailed | JobEnded


class JobHandle:
    def __init__(
        self,
        target: Target,
        job_id: str,
        *,
        output_prefix: str = "outputs/",
        scene_names: Sequence[str] = (),
        architecture: Architecture = Architecture.X86_64,
        reused: bool = False,
    ) -> None:
        self.target = target
        self.job_id = job_id
        self.output_prefix = output_prefix
        self.scene_names = list(scene_names)
        self.architecture = architecture
        self.reused = reused
        """True when submit found this job already running or finished (same content) and attached to it."""
        self._records: dict[str, tuple[str, BatchRecord]] = {}
        self._seen_tasks: dict[str, TaskRecord] = {}  # tasks seen running, by ARN (until their record arrives)

    def __repr__(self) -> str:
        return f"JobHandle({self.job_id!r}, {self.target.description!r})"

    @property
    def execution_arn(self) -> str:
        return layout.execution_arn(self.target.outputs.state_machine_arn, self.job_id)

    @property
    def outputs_uri(self) -> str:
        return f"s3://{self.target.outputs.bucket}/{layout.outputs_prefix(self.output_prefix, self.job_id)}"

    @classmethod
    def attach(cls, target: Target, job_id: str) -> JobHandle:
        """The handle of a job submitted earlier (by any process), from its id."""
        handle = cls(target, job_id)
        described = handle._describe()
        spec = _job_of_execution(target, described.get("input") or "{}")
        if spec is not None:
            handle.output_prefix = spec.output.prefix
            handle.scene_names = [scene.name for scene in spec.scenes]
            handle.architecture = spec.compute.architecture
        return handle

    # -- observing ------------------------------------------------------------------------------------------

    def status(self) -> JobStatus:
        """Where the job stands now (one call to Step Functions, two listings in S3, and ECS while running)."""
        execution = execution_facts(self._describe())
        videos = self._videos()
        records = self._batch_records()
        now = time.time()
        running: list[dict[str, Any]] = self._running_tasks() if execution.state is ExecutionState.RUNNING else []
        final: Report | None = None
        seen = running
        if execution.state is not ExecutionState.RUNNING:
            try:
                final = Report.model_validate(self._report_document(execution, videos, records))
            except ReportNotReady:
                seen = self._job_tasks()  # no report (yet): bill every task ECS still shows, stopped ones too
        cost = fargate_cost_so_far(self._known_tasks(records, seen), self.target.region, execution.stopped_at or now)
        return summarize(
            self.job_id,
            execution,
            scenes_total=len(self.scene_names),
            videos=videos,
            records=records,
            tasks_running=len(running),
            now=now,
            cost_so_far_usd=cost,
            report=final,
        )

    def watch(self, destination: PathLike | None = None, *, poll_s: float | None = None) -> Iterator[JobEvent]:
        """Events until the job ends: a status per poll, each video as it is downloaded into `destination`
        (when given), each scene that failed, and finally `JobEnded`."""
        interval = poll_s if poll_s is not None else self.target.poll_interval_s
        downloader = (
            VideoDownloader(self.target.s3(), self.target.outputs.bucket, Path(destination))
            if destination is not None
            else None
        )
        reported_failures: set[str] = set()
        while True:
            status = self.status()
            yield StatusUpdate(status)
            if downloader is not None:
                for video in downloader.fetch(status.videos):
                    yield VideoArrived(video)
                downloader.confirm(status.recorded_sha256)
            for scene, reason in sorted(status.failed_scenes.items()):
                if scene not in reported_failures:
                    reported_failures.add(scene)
                    yield SceneFailed(scene, reason)
            if status.finished:
                if downloader is None:
                    yield JobEnded(status)
                else:
                    yield JobEnded(status, len(downloader.downloaded), tuple(downloader.unverified))
                return
            time.sleep(interval)

    def wait(self, *, timeout_s: float | None = None, poll_s: float | None = None) -> JobStatus:
        """Block until the job ends; its final status."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        for event in self.watch(poll_s=poll_s):
            if isinstance(event, JobEnded):
                return event.status
            if deadline is not None and time.monotonic() > deadline:
                raise CloudBurstError(
                    f"job {self.job_id} is still running after {timeout_s:g} s",
                    f"Wait longer, or check on it later with `cloudburst status {self.job_id}`.",
                )
        raise AssertionError("watch ended without JobEnded")  # pragma: no cover - watch always ends with it

    def download(
        self, destination: PathLike, *, wait: bool = True, poll_s: float | None = None
    ) -> list[DownloadedVideo]:
        """Download the job's videos into `destination` (each as soon as it lands when `wait`, else those
        there now); returns them in the order they arrived."""
        if wait:
            return [event.video for event in self.watch(destination, poll_s=poll_s) if isinstance(event, VideoArrived)]
        status = self.status()
        downloader = VideoDownloader(self.target.s3(), self.target.outputs.bucket, Path(destination))
        videos = downloader.fetch(status.videos)
        downloader.confirm(status.recorded_sha256)
        return [downloader.downloaded[video.scene] for video in videos]

    def report_document(self) -> dict[str, Any]:
        """The job's `report.json`: BuildReport's, or, for a job that ended before BuildReport could run
        (cancelled, timed out, failed as a whole), the one made here from what the run left, once its tasks
        have stopped (and saved next to its videos, so it is made once)."""
        execution = execution_facts(self._describe())
        return self._report_document(execution, None, None)

    def _report_document(
        self,
        execution: ExecutionFacts,
        videos: Sequence[RemoteVideo] | None,
        records: Sequence[BatchRecord] | None,
    ) -> dict[str, Any]:
        key = self._output_key(layout.REPORT_NAME)
        try:
            document = get_json(self.target.s3(), self.target.outputs.bucket, key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404", "NotFound"):
                raise
            report = self._report_of_ended_job(execution, videos, records)
            write_report_files(self.target.s3(), self.target.outputs.bucket, self._output_key(""), report)
            return report.model_dump(mode="json", by_alias=True)
        if not isinstance(document, dict):
            raise ReportNotReady(f"job {self.job_id}: report.json is not a JSON object")
        return document

    def _report_of_ended_job(
        self,
        execution: ExecutionFacts,
        videos: Sequence[RemoteVideo] | None,
        records: Sequence[BatchRecord] | None,
    ) -> Report:
        """The report of a job BuildReport will never report on; `ReportNotReady` when there is none (yet)."""
        if execution.state is ExecutionState.RUNNING:
            raise ReportNotReady(
                f"job {self.job_id} has no report yet",
                "The report is written when the job ends; wait for it (`cloudburst wait`).",
            )
        how = "was cancelled" if execution.state is ExecutionState.ABORTED else f"ended {execution.state.value}"
        how += f" ({execution.error})" if execution.error else ""
        if execution.error == INVALID_JOB_ERROR:
            raise ReportNotReady(
                f"job {self.job_id} was refused before any task started; nothing ran, so there is no report",
                f"`cloudburst status {self.job_id}` says what to fix.",
            )
        try:
            plan = get_json(self.target.s3(), self.target.outputs.bucket, layout.plan_key(self.job_id))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ("NoSuchKey", "404", "NotFound"):
                raise
            raise ReportNotReady(
                f"job {self.job_id} {how} before it was planned; no task ran, so there is no report"
            ) from None
        tasks = self._job_tasks()
        stopping = [task for task in tasks if task.get("lastStatus") != "STOPPED"]
        if stopping:
            raise ReportNotReady(
                f"job {self.job_id} {how}; {len(stopping)} of its tasks are still stopping, and its report is "
                "made once they have stopped (they are billed until then)",
                f"Run `cloudburst report {self.job_id}` again in a minute.",
            )
        by_attempt = {}
        for raw in tasks:
            attempt = batch_of_task_group(str(raw.get("group", "")), self.job_id)
            if attempt is not None:
                by_attempt[attempt] = task_record_from_ecs(raw, self.architecture)
        return ended_job_report(
            plan,
            self._batch_records() if records is None else records,
            by_attempt,
            self._videos() if videos is None else videos,
            region=self.target.region,
            started_at=execution.started_at,
            finished_at=execution.stopped_at or time.time(),
            cancelled=execution.state is ExecutionState.ABORTED,
            why=f"the job {how} before this batch ended",
        )

    def report(self) -> Report:
        """The job's cost and efficiency report (`ReportNotReady` until the job has ended)."""
        return Report.model_validate(self.report_document())

    def save_report_files(self, destination: PathLike) -> list[Path]:
        """Copy the report and its timeline (JSON, HTML, PNG) into `destination`; returns the files written."""
        destination = Path(destination)
        destination.mkdir(parents=True, exist_ok=True)
        written = []
        s3, bucket = self.target.s3(), self.target.outputs.bucket
        for name in (layout.REPORT_NAME, layout.TIMELINE_HTML_NAME, layout.TIMELINE_PNG_NAME):
            try:
                s3.download_file(bucket, self._output_key(name), str(destination / name))
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                    continue
                raise
            written.append(destination / name)
        return written

    # -- acting ---------------------------------------------------------------------------------------------

    def cancel(self, reason: str = "cancelled by the user") -> bool:
        """Stop the execution (the state machine stops its tasks); False if it had already ended."""
        if execution_facts(self._describe()).state is not ExecutionState.RUNNING:
            return False
        try:
            self.target.sfn().stop_execution(
                executionArn=self.execution_arn, error="CloudBurst.Cancelled", cause=reason[:32768]
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                raise JobNotFound(f"no job {self.job_id} on {self.target.description}") from None
            raise
        return True

    # -- internals ------------------------------------------------------------------------------------------

    def _describe(self) -> DescribeExecutionOutputTypeDef:
        try:
            return self.target.sfn().describe_execution(executionArn=self.execution_arn)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                raise JobNotFound(
                    f"no job {self.job_id} on {self.target.description}",
                    "Check the job id (`cloudburst submit` printed it) and the target (--stack/--local).",
                ) from None
            raise

    def _output_key(self, name: str) -> str:
        return layout.outputs_prefix(self.output_prefix, self.job_id) + name

    def _videos(self) -> list[RemoteVideo]:
        prefix = layout.outputs_prefix(self.output_prefix, self.job_id)
        videos = []
        s3 = self.target.s3()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.target.outputs.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                scene = layout.scene_of_video_key(key)
                if scene is not None and "/" not in key.removeprefix(prefix):
                    videos.append(RemoteVideo(scene, key, int(item["Size"]), item["LastModified"].timestamp()))
        return videos

    def _batch_records(self) -> list[BatchRecord]:
        """The batch records written so far; each is read once (again only if rewritten)."""
        s3 = self.target.s3()
        bucket = self.target.outputs.bucket
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=layout.batch_records_prefix(self.job_id)
        ):
            for item in page.get("Contents", []):
                key, etag = item["Key"], item.get("ETag", "")
                if key.endswith(".json") and self._records.get(key, ("",))[0] != etag:
                    self._records[key] = (etag, BatchRecord.model_validate(get_json(s3, bucket, key)))
        return [record for _, record in self._records.values()]

    def _known_tasks(self, records: Sequence[BatchRecord], running: Sequence[dict[str, Any]]) -> list[TaskRecord]:
        """Every task of the job so far: from the batch records, else as ECS shows it. A task that stopped
        before its batch record was written is described once more, so the cost so far never drops."""
        tasks = {record.task.task_arn: record.task for record in records if record.task and record.task.task_arn}
        for raw in running:
            self._seen_tasks[str(raw["taskArn"])] = task_record_from_ecs(raw, self.architecture)
        running_arns = {str(raw["taskArn"]) for raw in running}
        vanished = [arn for arn in self._seen_tasks if arn not in tasks and arn not in running_arns]
        cluster = self.target.outputs.cluster
        if vanished and cluster is not None:
            for start in range(0, len(vanished), _DESCRIBE_BATCH):
                described = self.target.ecs().describe_tasks(
                    cluster=cluster, tasks=vanished[start : start + _DESCRIBE_BATCH]
                )
                for stopped in described.get("tasks", []):
                    self._seen_tasks[stopped["taskArn"]] = task_record_from_ecs(dict(stopped), self.architecture)
        for arn, task in self._seen_tasks.items():
            tasks.setdefault(arn, task)
        return list(tasks.values())

    def _running_tasks(self) -> list[dict[str, Any]]:
        """This job's tasks that ECS has not stopped yet (boto3's DescribeTasks shape)."""
        return self._tasks_with_desired_status("RUNNING")

    def _job_tasks(self) -> list[dict[str, Any]]:
        """Every task of this job that ECS still describes, stopped ones included (ECS keeps a stopped task
        for about an hour): what a job that ended without its batch records is billed from."""
        return self._tasks_with_desired_status("RUNNING") + self._tasks_with_desired_status("STOPPED")

    def _tasks_with_desired_status(self, desired: Literal["RUNNING", "STOPPED"]) -> list[dict[str, Any]]:
        cluster = self.target.outputs.cluster
        if cluster is None:
            return []
        ecs = self.target.ecs()
        group_prefix = job_task_group_prefix(self.job_id)
        arns = list(list_task_arns(ecs, cluster, desired, started_by=STARTED_BY_STEP_FUNCTIONS))
        running: list[dict[str, Any]] = []
        for start in range(0, len(arns), _DESCRIBE_BATCH):
            described = ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + _DESCRIBE_BATCH])
            running.extend(
                dict(task) for task in described.get("tasks", []) if str(task.get("group", "")).startswith(group_prefix)
            )
        return running


def job_task_group_prefix(job_id: str) -> str:
    """What every ECS task group of this job starts with (`task_group` adds the batch and the attempt)."""
    group = task_group(job_id, 0, 0)
    return group[: group.index(job_id) + len(job_id) + 1]


def execution_facts(described: DescribeExecutionOutputTypeDef) -> ExecutionFacts:
    stopped = described.get("stopDate")
    return ExecutionFacts(
        state=ExecutionState(described["status"]),
        started_at=described["startDate"].timestamp(),
        stopped_at=stopped.timestamp() if stopped is not None else None,
        error=described.get("error"),
        cause=described.get("cause"),
    )


def _job_of_execution(target: Target, execution_input: str) -> JobSpec | None:
    """The job an execution runs: its input is the job itself or `{"job_uri": ...}` pointing at it."""
    try:
        document = json.loads(execution_input)
        if isinstance(document, dict) and isinstance(document.get("job_uri"), str):
            bucket, key = parse_s3_uri(document["job_uri"])
            document = get_json(target.s3(), bucket, key)
        return JobSpec.model_validate(document)
    except (ValueError, ClientError):
        return None
