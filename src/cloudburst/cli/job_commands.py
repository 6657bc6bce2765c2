"""`cloudburst validate` and `cloudburst plan`: look at a job on this machine, without running it."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from cloudburst.cli.exit_codes import ExitCode
from cloudburst.cli.formatting import human_bytes, human_seconds
from cloudburst.cli.options import job_from_args
from cloudburst.cli.output import Output
from cloudburst.client.errors import InvalidJob
from cloudburst.core.planner import format_plan_table, plan_for_job
from cloudburst.core.speed_model import bundled_speed_model


def validate(args: argparse.Namespace, out: Output) -> int:
    """Check the job (schema, every input's type, size and length) and say what it holds."""
    job = job_from_args(args)
    inspection = job.inspect()
    if inspection.problems:
        raise InvalidJob(inspection.problems)
    spec = job.spec()
    audio = sum(inspection.audio_seconds.values())
    payload: dict[str, Any] = {
        "valid": True,
        "name": spec.name,
        "scenes": len(spec.scenes),
        "audio_seconds": round(audio, 3),
        "input_bytes": inspection.input_bytes,
        "local_files": len(job.local_files),
    }
    remote = len(job.remote_inputs())
    if remote:
        payload["remote_inputs"] = remote  # not checked here: they are checked when the job is submitted
    if inspection.audio_estimates:
        payload["audio_estimated"] = inspection.audio_estimates
    lines = [
        f"{job.origin}: valid; {len(spec.scenes)} scenes, {human_seconds(audio)} of narration, "
        f"{len(job.local_files)} local files ({human_bytes(inspection.input_bytes)})"
    ]
    lines += [
        f"{scene}: about {human_seconds(inspection.audio_seconds[scene])} of audio, {why}; the renderer measures it"
        for scene, why in sorted(inspection.audio_estimates.items())
    ]
    if remote:
        lines.append(
            f"{remote} input{'s are' if remote != 1 else ' is'} already in S3 (s3:// URIs), not counted above: "
            "checked when the job is submitted"
        )
    out.result("valid", payload, lines)
    return ExitCode.OK


def plan(args: argparse.Namespace, out: Output) -> int:
    """Predicted wall time and cost of the job for every profile and capacity."""
    job = job_from_args(args)
    inspection = job.validate()
    spec = job.spec()
    rows = plan_for_job(spec, inspection.audio_seconds, region=args.plan_region, startup_seconds=args.startup_seconds)
    calibrated = bundled_speed_model().calibrated
    payload = {
        "job": spec.name,
        "scenes": len(spec.scenes),
        "audio_seconds": round(sum(inspection.audio_seconds.values()), 3),
        "region": args.plan_region,
        "calibrated": calibrated,
        "rows": [{**dataclasses.asdict(row), "profile": row.profile.value} for row in rows],
    }
    out.result("plan", payload, [format_plan_table(rows, calibrated=calibrated)])
    return ExitCode.OK
