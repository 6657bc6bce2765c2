"""The command line as a user meets it: options in either position, job options merged, errors as one
sentence (never a traceback), documented exit codes, JSON that parses."""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloudburst.cli import job_commands
from cloudburst.cli.exit_codes import ExitCode
from cloudburst.cli.main import build_parser, main
from cloudburst.cli.options import SAMCONFIG_STACK, UsageError, job_from_args, target_choice
from cloudburst.cli.output import Output
from cloudburst.client.targets import TargetKind
from tests.unit.client.media_files import make_scene_folder


def _run(argv: list[str], *, json_mode: bool = False) -> tuple[int, str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(argv, out=Output(json_mode=json_mode, stdout=stdout, stderr=stderr, live=False))
    return code, stdout.getvalue(), stderr.getvalue()


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(list(argv))


@pytest.fixture
def story(tmp_path: Path) -> Path:
    return make_scene_folder(tmp_path / "story", ["scene_1", "scene_2"])


def test_validate_a_good_folder(story: Path) -> None:
    code, out, err = _run(["validate", str(story)])
    assert (code, err) == (0, "")
    assert out.startswith(f"{story}: valid; 2 scenes, 3.0 s of narration, 6 local files (")


def test_validate_lists_every_problem_and_exits_2(story: Path) -> None:
    (story / "audio" / "scene_2.wav").write_bytes(b"<html>not audio</html>")
    code, out, err = _run(["validate", str(story), "--fps", "0"])
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0] == "error: the job is invalid (2 problems):"
    assert lines[1] == "  - render.fps: Input should be greater than or equal to 1"
    assert lines[2].startswith("  - scenes[1] (scene_2).audio: ")
    assert lines[2].endswith("got an XML or HTML document")
    assert "Traceback" not in err


def test_validate_says_which_inputs_it_left_to_the_submission(story: Path) -> None:
    job = {
        "name": "mixed",
        "scenes": [
            {"name": "local", "image": "images/scene_1.png", "audio": "audio/scene_1.wav"},
            {"name": "remote", "image": "s3://my-stack-bucket/shared/a.png", "audio": "s3://my-stack-bucket/a.wav"},
        ],
    }
    (story / "job.json").write_text(json.dumps(job), encoding="utf-8")
    code, out, err = _run(["validate", str(story / "job.json")])
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert "2 scenes" in lines[0]
    assert "2 local files" in lines[0]
    assert lines[1] == "2 inputs are already in S3 (s3:// URIs), not counted above: checked when the job is submitted"
    code, out, _ = _run(["validate", str(story / "job.json"), "--json"], json_mode=True)
    assert (code, json.loads(out)["remote_inputs"]) == (0, 2)


def test_json_errors_and_results_parse(story: Path) -> None:
    code, out, _ = _run(["validate", str(story), "--json"], json_mode=True)
    assert code == 0
    assert json.loads(out) == {
        "event": "valid",
        "valid": True,
        "name": "story",
        "scenes": 2,
        "audio_seconds": 3.0,
        "input_bytes": json.loads(out)["input_bytes"],
        "local_files": 6,
    }
    code, out, _ = _run(["validate", str(story / "nope"), "--json"], json_mode=True)
    error = json.loads(out)
    assert (code, error["event"], error["error"], error["exit_code"]) == (2, "error", "InvalidJob", 2)
    assert error["problems"] == [f"{story / 'nope'}: no such job file or folder"]


def test_plan_prints_a_row_per_profile_and_capacity(story: Path) -> None:
    code, out, _ = _run(["plan", str(story), "--json"], json_mode=True)
    plan = json.loads(out)
    assert (code, plan["event"], plan["scenes"]) == (0, "plan", 2)
    assert {(row["profile"], row["capacity"]) for row in plan["rows"]} >= {
        ("standard", "on-demand"),
        ("economy", "spot"),
    }
    assert sum(row["chosen"] for row in plan["rows"]) == 1
    code, text, _ = _run(["plan", str(story), "--profile", "high"])
    assert code == 0
    assert "job" in next(line for line in text.splitlines() if line.startswith("high") and "on-demand" in line)


def test_job_options_override_the_job_file(story: Path) -> None:
    (story / "job.json").write_text(json.dumps({"render": {"fps": 24, "subtitles": {"box": True}}}))
    args = _args(
        "render", str(story), "--profile", "economy", "--scenes-per-task", "3", "--language", "zh",
        "--set", "render.subtitles.font_size=48", "--set", "render.watermark.position=top_left", "--name", "other",
    )  # fmt: skip
    spec = job_from_args(args).spec()
    assert (spec.name, spec.compute.profile, spec.render.fps) == ("other", "economy", 24)
    assert (spec.batching.strategy, spec.batching.scenes_per_task) == ("count", 3)
    subtitles = spec.render.subtitles
    assert (subtitles.box, subtitles.language, subtitles.font_size) == (True, "zh", 48)
    assert spec.render.watermark.position == "top_left"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--set", "fps=24"], "expected FIELD=VALUE with FIELD in render, batching"),
        (["--set", "render.fps"], "expected FIELD=VALUE"),
        (["--scenes-per-task", "3", "--strategy", "duration"], "cannot go with --strategy duration"),
    ],
)
def test_contradictory_job_options_are_usage_errors(story: Path, argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        job_from_args(_args("validate", str(story), *argv))
    code, _, err = _run(["validate", str(story), *argv])
    assert code == 2
    assert err.startswith("error: --") or err.startswith("error: ")
    assert "Run `cloudburst validate --help` for the options." in err


def test_target_options_work_before_and_after_the_verb(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDBURST_STACK", raising=False)
    before = target_choice(_args("--stack", "prod", "--region", "eu-west-1", "status", "job-000000000000"))
    after = target_choice(_args("status", "job-000000000000", "--stack", "prod", "--region", "eu-west-1"))
    assert before == after
    assert (before.kind, before.stack_name, before.region) == (TargetKind.STACK, "prod", "eu-west-1")
    assert _args("status", "j", "--stack").stack == SAMCONFIG_STACK
    assert target_choice(_args("status", "j")).kind is TargetKind.LOCAL
    with pytest.raises(UsageError, match="--local and --stack exclude each other"):
        target_choice(_args("--local", "status", "j", "--stack", "prod"))


def test_commands_that_follow_a_job_need_a_local_cloud_that_outlives_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLOUDBURST_STACK", raising=False)
    monkeypatch.setenv("CLOUDBURST_LOCAL_STATE", str(tmp_path / "no-such-state.json"))
    code, _, err = _run(["status", "story-0123456789ab"])
    assert code == 4
    assert err == (
        "error: no local cloud is running, and this command needs one that outlives it "
        f"(looked for $CLOUDBURST_LOCAL_STATE = {tmp_path / 'no-such-state.json'})\n"
        "Start one in another terminal: python -m cloudburst.local serve (or use `cloudburst render`); "
        "if one serves from an unrelated directory, set CLOUDBURST_LOCAL_STATE to its .cloudburst/local-cloud.json.\n"
    )


def test_argparse_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["render"])
    assert exited.value.code == 2
    assert "error: the following arguments are required: path" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(["launch"])
    assert exited.value.code == 2


def test_every_verb_has_help_with_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    verbs = ["render", "submit", "status", "wait", "download", "report", "cancel", "validate", "plan"]
    for argv in [[verb, "--help"] for verb in verbs] + [["tasks", "list", "--help"], ["tasks", "cleanup", "--help"]]:
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 0
        assert "3    the job ran to the end but some scenes failed" in capsys.readouterr().out


def test_a_bug_is_one_sentence_without_debug_and_a_traceback_with_it(
    story: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(args: argparse.Namespace, out: Output) -> int:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(job_commands, "validate", broken)
    code, _, err = _run(["validate", str(story)])
    assert code == 1
    assert err == (
        "error: internal error: ZeroDivisionError: division by zero\n"
        "This is a bug in CloudBurst; run again with --debug and report the traceback.\n"
    )
    with pytest.raises(ZeroDivisionError):
        _run(["validate", str(story), "--debug"])


def _command_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every verb path down the parser tree (`('tasks', 'list')`...), read from argparse itself."""
    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths += _command_paths(sub, (*prefix, name))
    return paths or [prefix]


def test_every_command_takes_json_and_the_target_at_every_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDBURST_STACK", raising=False)
    paths = _command_paths(build_parser())
    assert ("tasks", "list") in paths
    assert ("validate",) in paths
    for path in paths:
        operands = ["story"] if path[0] in ("render", "submit", "validate", "plan") else []
        operands += ["job-1"] if path[0] in ("status", "wait", "download", "report", "cancel") else []
        for at in range(len(path) + 1):
            argv = [*path[:at], "--json", *path[at:], *operands]
            assert _args(*argv).json is True, argv
        if path[0] not in ("validate", "plan"):  # these two run on this machine: no target
            for at in range(len(path) + 1):
                argv = [*path[:at], "--stack", "prod", *path[at:], *operands]
                assert _args(*argv).stack == "prod", argv
        assert _args(*path, *operands).json is False


def test_tasks_list_with_json_after_the_group_runs_as_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CLOUDBURST_STACK", raising=False)
    monkeypatch.setenv("CLOUDBURST_LOCAL_STATE", str(tmp_path / "no-such-state.json"))
    code = main(["tasks", "--json", "list"])
    error = json.loads(capsys.readouterr().out)
    assert (code, error["event"], error["exit_code"]) == (4, "error", 4)


def test_validate_names_the_job_file_and_the_field_meant(story: Path) -> None:
    (story / "job.json").write_text(json.dumps({"render": {"efect": "zoom_in"}}), encoding="utf-8")
    code, _, err = _run(["validate", str(story)])
    assert code == 2
    assert err.splitlines()[1] == f"  - {story / 'job.json'}: render.efect: unknown field; did you mean 'effect'?"


def test_validate_an_empty_folder_says_only_why_it_is_empty(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = _run(["validate", str(tmp_path / "empty")])
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == "error: the job is invalid (1 problem):"
    assert lines[1].startswith(f"  - {tmp_path / 'empty'}: no scenes found; expected images/<name>.png")
    assert "List should have" not in err


def test_validate_a_language_name_says_what_is_accepted(story: Path) -> None:
    code, _, err = _run(["validate", str(story), "--language", "chinese"])
    assert code == 2
    assert err.splitlines()[1] == (
        "  - render.subtitles.language: 'chinese' is not a language code: give 'auto' or a BCP 47 code such as "
        "en, zh, zh-Hant, ja, ko; did you mean 'zh'?"
    )
    assert "pattern" not in err


def test_json_errors_point_the_hint_at_their_problems_field(story: Path) -> None:
    code, _, err = _run(["validate", str(story), "--fps", "0"])
    assert err.splitlines()[-1] == "Fix the inputs named above and run the command again."
    code, out, _ = _run(["validate", str(story), "--fps", "0", "--json"], json_mode=True)
    error = json.loads(out)
    assert (code, error["problems"]) == (2, ["render.fps: Input should be greater than or equal to 1"])
    assert error["hint"] == "Fix each input or option named in `problems` and run the command again."
    code, out, _ = _run(["validate", str(story / "nope"), "--json"], json_mode=True)
    assert json.loads(out)["hint"] == "Give a folder of scenes or a job JSON file."  # a specific hint is kept


def test_a_reader_that_goes_away_stops_the_command_quietly(story: Path) -> None:
    # `cloudburst validate … | head -0`: the pipe is closed before anything is written. Unix tools stop
    # quietly there; "internal error: BrokenPipeError" would send users to report a bug that is not one.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "cloudburst.cli.main", "validate", str(story)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (finished.returncode, finished.stderr) == (ExitCode.OUTPUT_CLOSED, "")
