"""The CLI's shared options: where to run (stack or local cloud) and how to render a job, turned into the
helper's values (`TargetChoice`, a `Job` with options)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cloudburst.client.job import OPTION_SECTIONS, Job
from cloudburst.client.targets import TargetChoice, choose_target
from cloudburst.models.job import Architecture, BatchingStrategy, Capacity, Profile
from cloudburst.models.render_options import Effect, Orientation

SAMCONFIG_STACK = "\0samconfig"
"""`--stack` given without a name: read the name from samconfig.toml."""


class UsageError(ValueError):
    """Arguments that do not make sense together; argparse-style exit 2."""


def add_target_options(parser: argparse.ArgumentParser, *, suppress_defaults: bool = False) -> None:
    """--stack/--region/--local/--config-env; on sub-commands their defaults are suppressed so that options
    given before the verb are not overwritten."""
    default: Any = argparse.SUPPRESS if suppress_defaults else None
    group = parser.add_argument_group("where to run")
    group.add_argument(
        "--stack",
        nargs="?",
        const=SAMCONFIG_STACK,
        default=default,
        metavar="NAME",
        help="a deployed CloudBurst stack (default: $CLOUDBURST_STACK; without NAME: samconfig.toml's stack_name)",
    )
    group.add_argument("--region", default=default, help="the stack's region (default: samconfig.toml, $AWS_REGION)")
    group.add_argument(
        "--local",
        action="store_true",
        default=argparse.SUPPRESS if suppress_defaults else False,
        help="use the local cloud even if a stack is configured (the default when none is)",
    )
    group.add_argument(
        "--config-env", default=argparse.SUPPRESS if suppress_defaults else "default", help="samconfig.toml environment"
    )


def add_output_options(parser: argparse.ArgumentParser, *, suppress_defaults: bool = False) -> None:
    group = parser.add_argument_group("output")
    false: Any = argparse.SUPPRESS if suppress_defaults else False
    group.add_argument("--json", action="store_true", default=false, help="machine output: one JSON object per line")
    group.add_argument("--debug", action="store_true", default=false, help="show tracebacks and debug logs")


def target_choice(args: argparse.Namespace) -> TargetChoice:
    stack = getattr(args, "stack", None)
    if getattr(args, "local", False) and stack:
        raise UsageError("--local and --stack exclude each other: choose where to run")
    return choose_target(
        stack=None if stack == SAMCONFIG_STACK else stack,
        region=getattr(args, "region", None),
        local=getattr(args, "local", False),
        use_samconfig=stack == SAMCONFIG_STACK,
        config_env=getattr(args, "config_env", "default"),
    )


def add_job_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", type=Path, help="a folder of scenes, a folder with a job.json, or a job JSON file")
    group = parser.add_argument_group("job options (override the job file's)")
    group.add_argument("--name", help="the job's name (starts its id; default: the folder's name)")
    group.add_argument("--profile", choices=[p.value for p in Profile], help="task size (default standard: 2 vCPU)")
    group.add_argument("--capacity", choices=[c.value for c in Capacity], help="on-demand (default) or spot")
    group.add_argument("--architecture", choices=[a.value for a in Architecture], help="x86_64 (default) or arm64")
    group.add_argument("--max-parallel-tasks", type=int, metavar="N", help="tasks at the same time (default 10)")
    group.add_argument("--scenes-per-task", type=int, metavar="N", help="N scenes per task (implies --strategy count)")
    strategies = [s.value for s in BatchingStrategy]
    group.add_argument("--strategy", choices=strategies, help="how to split scenes into tasks (default duration)")
    group.add_argument("--effect", choices=[e.value for e in Effect], help="camera motion of every scene")
    group.add_argument("--language", help="subtitle language, e.g. en, zh (chooses the font; default auto)")
    group.add_argument("--orientation", choices=[o.value for o in Orientation], help="output frame (default auto)")
    group.add_argument("--fps", type=int, help="frames per second (default 30)")
    group.add_argument("--output-prefix", metavar="PREFIX", help="S3 key prefix of the videos (default outputs/)")
    group.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="any job option by its path, e.g. render.subtitles.font_size=48 (VALUE is JSON, or a string)",
    )


def job_from_args(args: argparse.Namespace) -> Job:
    """The job at `args.path` with the command line's options merged over its own."""
    sections: dict[str, dict[str, Any]] = {section: {} for section in OPTION_SECTIONS}
    render, batching, compute = sections["render"], sections["batching"], sections["compute"]
    _put(compute, "profile", args.profile)
    _put(compute, "capacity", args.capacity)
    _put(compute, "architecture", args.architecture)
    _put(batching, "max_parallel_tasks", args.max_parallel_tasks)
    _put(batching, "strategy", args.strategy)
    if args.scenes_per_task is not None:
        if args.strategy == BatchingStrategy.DURATION.value:
            raise UsageError("--scenes-per-task splits by count; it cannot go with --strategy duration")
        batching.update(scenes_per_task=args.scenes_per_task, strategy=BatchingStrategy.COUNT.value)
    _put(render, "effect", args.effect)
    _put(render, "orientation", args.orientation)
    _put(render, "fps", args.fps)
    if args.language is not None:
        render["subtitles"] = {"language": args.language}
    _put(sections["output"], "prefix", args.output_prefix)
    for assignment in args.set:
        _assign(sections, assignment)
    options = {section: values for section, values in sections.items() if values}
    return Job.load(args.path, name=args.name, **options)


def _put(section: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        section[key] = value


def _assign(sections: dict[str, dict[str, Any]], assignment: str) -> None:
    path, equals, raw = assignment.partition("=")
    parts = path.strip().split(".")
    if not equals or len(parts) < 2 or parts[0] not in sections or not all(parts):
        raise UsageError(
            f"--set {assignment!r}: expected FIELD=VALUE with FIELD in {', '.join(OPTION_SECTIONS)}, "
            "e.g. render.subtitles.font_size=48"
        )
    try:
        value: Any = json.loads(raw)
    except ValueError:
        value = raw
    node = sections[parts[0]]
    for part in parts[1:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UsageError(f"--set {assignment!r}: {part} is already set to a value, not a group of options")
        node = child
    node[parts[-1]] = value
