"""Where the CLI's words go: results on stdout (text, or JSON with `--json`), notes and errors on stderr, and
the live display of a running job (rich on a terminal, plain lines otherwise, JSON lines with `--json`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import IO, TYPE_CHECKING, Any

from cloudburst.cli.exit_codes import ExitCode
from cloudburst.client.errors import CloudBurstError, InvalidJob

if TYPE_CHECKING:
    from cloudburst.cli.display import RunDisplay


class Output:
    def __init__(
        self, *, json_mode: bool, stdout: IO[str] | None = None, stderr: IO[str] | None = None, live: bool | None = None
    ) -> None:
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._live = (not json_mode and self.stdout.isatty()) if live is None else live

    def result(self, kind: str, payload: dict[str, Any], lines: Sequence[str]) -> None:
        """A command's result: `{"event": kind, ...payload}` with --json, else the lines."""
        if self.json_mode:
            self.stdout.write(json.dumps({"event": kind, **payload}, ensure_ascii=False, default=str) + "\n")
        else:
            for line in lines:
                self.stdout.write(line + "\n")
        self.stdout.flush()

    def note(self, text: str) -> None:
        """Something the user should know that is not the result (stderr, and never in JSON output)."""
        if not self.json_mode:
            self.stderr.write(text + "\n")
            self.stderr.flush()

    def failure(self, exc: CloudBurstError, code: ExitCode) -> None:
        """An error as one sentence and its fix (and each problem of an invalid job on its own line)."""
        problems = exc.problems if isinstance(exc, InvalidJob) else []
        if self.json_mode:
            payload: dict[str, Any] = {"event": "error", "error": type(exc).__name__, "message": exc.message}
            payload["hint"] = exc.json_hint if isinstance(exc, InvalidJob) else exc.hint
            if problems:
                payload["problems"] = problems
            self.stdout.write(json.dumps({**payload, "exit_code": int(code)}, ensure_ascii=False) + "\n")
            self.stdout.flush()
            return
        if problems:
            count = len(problems)
            self.stderr.write(f"error: the job is invalid ({count} problem{'s' if count != 1 else ''}):\n")
            for problem in problems:
                self.stderr.write(f"  - {problem}\n")
            if exc.hint:
                self.stderr.write(exc.hint + "\n")
        else:
            self.stderr.write(f"error: {exc.message}\n" + (f"{exc.hint}\n" if exc.hint else ""))
        self.stderr.flush()

    def run_display(self) -> RunDisplay:
        """Only commands that follow a job need a display (and its imports: rich, the job handle)."""
        from cloudburst.cli.display import JsonDisplay, PlainDisplay, RichDisplay  # noqa: PLC0415

        if self.json_mode:
            return JsonDisplay(self.stdout)
        if self._live:
            from rich.console import Console  # noqa: PLC0415

            return RichDisplay(Console(file=self.stdout))
        return PlainDisplay(self.stdout)
