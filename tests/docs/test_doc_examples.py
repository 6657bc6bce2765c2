"""Every code example in the user docs runs, as written, against the local cloud.

The README, docs/render-a-folder.md, docs/python-api.md and docs/migrating.md are tutorials: their fenced
blocks run in order, in a scratch folder holding a small `my-scenes` folder (two scenes, MP3 narration, SRT
subtitles), with the `cloudburst` command and this Python on the PATH. How each kind of block is used:

- ```sh            run with bash (-e -u -o pipefail); it must exit 0.
- ```sh background the long-lived local cloud (`python -m cloudburst.local serve`): started once, before any
                   example, and used by all of them; stopped at the end (every task with it). It runs as
                   written plus `--time-scale 0.2` (Retry intervals and Wait states five times shorter),
                   which keeps the suite fast and changes nothing an example can observe but time.
- ```python        run as a script; it must exit 0.
- ```json PATH     written to PATH (a job file the next blocks use); its JSON must be a valid job document.
- ```text          a picture of a folder, not code.

Two commands are checked without being run: `make test` would run this very test suite, and `make demo`
installs system packages; for a line that starts with `make`, the target must exist and `make -n` (which
prints what it would run) must succeed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cloudburst.client.local_target import STATE_FILE_ENV, read_state
from cloudburst.models.job import JobSpec

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "docs/render-a-folder.md", "docs/python-api.md", "docs/migrating.md")
KNOWN_KINDS = {"sh", "python", "json", "text"}
_FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<code>.*?)^```\s*$", re.MULTILINE | re.DOTALL)
_SERVE_TIMEOUT_S = 90.0
SERVE_SPEED_UP = "--time-scale 0.2"
_BLOCK_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Block:
    doc: str
    line: int
    kind: str
    argument: str  # what follows the language in the fence: "background", or a file path for json
    code: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line}"


def blocks(doc: str) -> list[Block]:
    text = (ROOT / doc).read_text(encoding="utf-8")
    found = []
    for match in _FENCE.finditer(text):
        kind, _, argument = match["info"].strip().partition(" ")
        found.append(Block(doc, text.count("\n", 0, match.start()) + 1, kind, argument.strip(), match["code"]))
    return found


def _make_scenes(folder: Path) -> None:
    """my-scenes/: images/ + audio/ with MP3 narration and SRT subtitles, as the docs describe."""
    for index, (name, color) in enumerate([("scene_1", "steelblue"), ("scene_2", "darkorange")], start=1):
        (folder / "images").mkdir(parents=True, exist_ok=True)
        (folder / "audio").mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c={color}:s=320x180", "-frames:v", "1",
             str(folder / "images" / f"{name}.png")],
            check=True,
        )  # fmt: skip
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"sine=frequency={220 * index}:duration=1",
             "-c:a", "libmp3lame", "-b:a", "64k", str(folder / "audio" / f"{name}.mp3")],
            check=True,
        )  # fmt: skip
        (folder / "audio" / f"{name}.srt").write_text(
            f"1\n00:00:00,000 --> 00:00:00,900\nScene {index}\n", encoding="utf-8"
        )


def _environment(state_file: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "CLOUDBURST_STACK"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env[STATE_FILE_ENV] = str(state_file)
    return env


@pytest.fixture(scope="session")
def docs_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The environment every example runs in, with the docs' own `serve` command running for them all."""
    (serve,) = [block for doc in DOCS for block in blocks(doc) if block.argument == "background"]
    home = tmp_path_factory.mktemp("docs-cloud")
    state_file = home / "local-cloud.json"
    env = _environment(state_file)
    log = (home / "serve.log").open("w")
    process = subprocess.Popen(
        ["bash", "-c", f"exec {serve.code.strip()} {SERVE_SPEED_UP}"],
        cwd=home,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + _SERVE_TIMEOUT_S
        while read_state(state_file) is None:
            assert process.poll() is None, f"{serve.where}: the local cloud exited:\n{(home / 'serve.log').read_text()}"
            assert time.monotonic() < deadline, f"{serve.where}: the local cloud did not start"
            time.sleep(0.2)
        yield env
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
    assert process.returncode == 0, (home / "serve.log").read_text()


def test_every_block_is_of_a_kind_the_runner_knows() -> None:
    for doc in DOCS:
        for block in blocks(doc):
            assert block.kind in KNOWN_KINDS, f"{block.where}: ```{block.kind} is neither run nor checked"
            if block.kind == "json":
                assert block.argument, f"{block.where}: a json block names the file it is (```json PATH)"
    assert sum(block.argument == "background" for doc in DOCS for block in blocks(doc)) == 1


def test_json_blocks_are_valid_job_documents() -> None:
    for doc in DOCS:
        for block in blocks(doc):
            if block.kind == "json":
                document = json.loads(block.code)
                document.setdefault("scenes", [{"name": "probe", "image": "probe.png", "audio": "probe.mp3"}])
                JobSpec.model_validate(document)


@pytest.mark.parametrize("doc", DOCS)
def test_doc_examples_run(doc: str, docs_environment: dict[str, str], tmp_path: Path) -> None:
    _make_scenes(tmp_path / "my-scenes")
    ran = 0
    for number, block in enumerate(blocks(doc)):
        if block.kind == "text" or block.argument == "background":
            continue
        if block.kind == "json":
            target = tmp_path / block.argument
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.code, encoding="utf-8")
            continue
        if block.kind == "python":
            script = tmp_path / f"example_{number}.py"
            script.write_text(block.code, encoding="utf-8")
            command = [sys.executable, str(script)]
        else:
            command = ["bash", "-euo", "pipefail", "-c", _without_make(block.code, tmp_path)]
        result = subprocess.run(
            command,
            cwd=tmp_path,
            env=docs_environment,
            capture_output=True,
            text=True,
            timeout=_BLOCK_TIMEOUT_S,
            check=False,
        )
        assert result.returncode == 0, (
            f"{block.where} exited {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n"
            f"--- stderr\n{result.stderr[-4000:]}"
        )
        ran += 1
    assert ran > 0, f"{doc} has no example that runs"


def _without_make(code: str, workdir: Path) -> str:
    """`make <target>` lines become `make -n <target>` in the project (see the module docstring)."""
    lines = []
    for line in code.splitlines():
        words = line.split("#", 1)[0].split()
        if words[:1] == ["make"]:
            make = shutil.which("make") or "make"
            lines.append(f"{make} -n -C {ROOT} {' '.join(words[1:])} > {workdir / 'make-dry-run.txt'}")
        else:
            lines.append(line)
    return "\n".join(lines)
