"""Running ffmpeg as a child process we can always stop: cancellation, error text, no orphans.

Every ffmpeg the pipeline starts goes through `FfmpegProcess`, a context manager that kills the child if the
block is left early (cancel, exception, shutdown), so a render never leaves an encoder running behind it.
Arguments are lists (no shell); stderr is drained by a thread into its first and last lines: a failure's
message carries a one-line summary of them (`stderr_summary`), the exception the text itself for the log.
"""

from __future__ import annotations

import collections
import contextlib
import os
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Protocol, Self

from cloudburst.renderer.media.api import FfmpegFailed, RenderCancelled
from cloudburst.renderer.media.binaries import ffmpeg
from cloudburst.renderer.media.stderr_summary import summarise_stderr

POLL_S = 0.05
CHUNK_BYTES = 1 << 20
STDERR_HEAD_LINES = 10
"""The first complaints are kept: a damaged file's first error is the telling one, the rest repeat it."""
STDERR_TAIL_LINES = 20
QUIET = ("-hide_banner", "-nostats", "-loglevel", "error")
"""Leading options of every ffmpeg we run: errors only, no banner or progress chatter on stderr."""


class Cancel(Protocol):
    """Anything with `is_set()`: a `threading.Event`, or `Either` of two."""

    def is_set(self) -> bool: ...


class Either:
    """Set when either flag is: the caller's cancel, or the render's own abort after a failure."""

    def __init__(self, first: Cancel | None, second: Cancel) -> None:
        self._first = first
        self._second = second

    def is_set(self) -> bool:
        return self._second.is_set() or (self._first is not None and self._first.is_set())


class FfmpegProcess:
    """One ffmpeg child. `label` names the step in errors ('audio pre-pass', 'encode'...)."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        label: str,
        cancel: Cancel | None = None,
        stdin: bool = False,
        stdout: bool = False,
        on_stdout_line: Callable[[str], None] | None = None,
        on_stdout_chunk: Callable[[bytes], None] | None = None,
        cwd: Path | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> None:
        """`environment` adds variables to the child's (which otherwise is this process's)."""
        self.label = label
        self._cancel = cancel
        self._head: list[str] = []
        self._tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._dropped = 0
        self._proc = subprocess.Popen(
            [ffmpeg(), *QUIET, *args],
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE if (stdout or on_stdout_line or on_stdout_chunk) else subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env={**os.environ, **environment} if environment else None,
        )
        self._threads = [threading.Thread(target=self._drain_stderr, daemon=True, name=f"{label}-stderr")]
        if on_stdout_line is not None:
            self._threads.append(
                threading.Thread(target=self._read_lines, args=(on_stdout_line,), daemon=True, name=f"{label}-out")
            )
        if on_stdout_chunk is not None:
            self._threads.append(
                threading.Thread(target=self._read_chunks, args=(on_stdout_chunk,), daemon=True, name=f"{label}-out")
            )
        for thread in self._threads:
            thread.start()

    @property
    def stdin(self) -> IO[bytes]:
        assert self._proc.stdin is not None
        return self._proc.stdin

    @property
    def stdout(self) -> IO[bytes]:
        assert self._proc.stdout is not None
        return self._proc.stdout

    @property
    def pid(self) -> int:
        return self._proc.pid

    def stderr_lines(self) -> list[str]:
        """What ffmpeg wrote on stderr: its first lines, a marker of how many were skipped, its last ones."""
        skipped = [f"[{self._dropped} more lines]"] if self._dropped else []
        return [*self._head, *skipped, *self._tail]

    def wait(self) -> None:
        """Wait for ffmpeg to exit; RenderCancelled if `cancel` is set meanwhile, FfmpegFailed if it failed."""
        while True:
            try:
                self._proc.wait(timeout=POLL_S)
                break
            except subprocess.TimeoutExpired:
                self.raise_if_cancelled()
        for thread in self._threads:
            thread.join(timeout=5)
        if self._proc.returncode != 0:
            summary = summarise_stderr([*self._head, *self._tail])
            raise FfmpegFailed(self.label, self._proc.returncode, summary, "\n".join(self.stderr_lines()))

    @contextlib.contextmanager
    def explaining_a_broken_pipe(self) -> Iterator[None]:
        """Writing to ffmpeg's stdin: if it has died, raise its exit status and message (FfmpegFailed), not a
        bare BrokenPipeError that says nothing of why."""
        try:
            yield
        except BrokenPipeError:
            self.wait()
            raise

    def raise_if_cancelled(self) -> None:
        if self._cancel is not None and self._cancel.is_set():
            self.kill()
            raise RenderCancelled(f"{self.label}: cancelled")

    def kill(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.kill()
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream is not None and not stream.closed:
                with contextlib.suppress(OSError):  # a broken pipe on close: the child is gone, as we want
                    stream.close()

    def _drain_stderr(self) -> None:
        assert self._proc.stderr is not None
        for raw in self._proc.stderr:
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            if len(self._head) < STDERR_HEAD_LINES:
                self._head.append(line)
                continue
            if len(self._tail) == self._tail.maxlen:
                self._dropped += 1
            self._tail.append(line)

    def _read_chunks(self, on_chunk: Callable[[bytes], None]) -> None:
        assert self._proc.stdout is not None
        while chunk := self._proc.stdout.read1(CHUNK_BYTES):  # type: ignore[attr-defined]
            on_chunk(chunk)

    def _read_lines(self, on_line: Callable[[str], None]) -> None:
        assert self._proc.stdout is not None
        for raw in self._proc.stdout:
            on_line(raw.decode("utf-8", "replace").strip())


def run_ffmpeg(args: Sequence[str], *, label: str, cancel: Cancel | None = None) -> None:
    """Run one ffmpeg to completion (see `FfmpegProcess` for what is guaranteed)."""
    with FfmpegProcess(args, label=label, cancel=cancel) as proc:
        proc.wait()
