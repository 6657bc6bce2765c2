"""Where each local task listens.

On Fargate each task has its own private IP and the container's real port (8080 for the renderer), and the
Lambdas reach it at `privateIPv4Address:8080`. On Linux the whole 127.0.0.0/8 block is loopback, so each task
gets its own 127.0.0.N with the container's real port and the Lambdas' code path is the same as on AWS.
Elsewhere (macOS has only 127.0.0.1 unless aliased) a task gets a free port on 127.0.0.1, reported as the
container's `hostPort` in `networkBindings`.

Loopback addresses are shared by every process on the machine, and two local clouds (two terminals, a test
run next to `make demo`) must not hand out the same one: a task would be reported RUNNING because the *other*
cloud's renderer answers on its address. Each address is claimed with an exclusive lock file for as long as
its task lives (the lock goes with the process if it dies), and each process starts its search at a different
place.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

_FIRST_HOST: Final = 2  # 127.0.0.1 is the local cloud's own endpoint
_LAST_HOST: Final = 254


@dataclass(frozen=True)
class TaskAddress:
    host: str
    port: int
    own_ip: bool

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def accepts_connections(address: TaskAddress, timeout: float = 0.05) -> bool:
    try:
        with socket.create_connection((address.host, address.port), timeout=timeout):
            return True
    except OSError:
        return False


def default_claims_dir() -> Path:
    return Path(tempfile.gettempdir()) / "cloudburst-local-addresses"


class AddressPool:
    """Hands out one loopback address per task and takes it back when the task stops."""

    def __init__(self, own_ips: bool | None = None, claims_dir: Path | None = None) -> None:
        self._own_ips = sys.platform.startswith("linux") if own_ips is None else own_ips
        self._claims_dir = claims_dir or default_claims_dir()
        self._claims: dict[str, TextIO] = {}
        span = _LAST_HOST - _FIRST_HOST + 1
        self._next = _FIRST_HOST + os.getpid() % span
        self._lock = threading.Lock()

    def acquire(self, container_port: int) -> TaskAddress:
        if self._own_ips:
            with self._lock:
                for _ in range(_LAST_HOST - _FIRST_HOST + 1):
                    host = f"127.0.0.{self._next}"
                    self._next = _FIRST_HOST if self._next == _LAST_HOST else self._next + 1
                    if host not in self._claims and self._claim(host, container_port):
                        if _bindable(host, container_port):
                            return TaskAddress(host, container_port, own_ip=True)
                        self._unclaim(host)
        return TaskAddress("127.0.0.1", free_port(), own_ip=False)

    def release(self, address: TaskAddress) -> None:
        with self._lock:
            self._unclaim(address.host)

    def _claim(self, host: str, port: int) -> bool:
        self._claims_dir.mkdir(parents=True, exist_ok=True)
        claim = (self._claims_dir / f"{host}-{port}.lock").open("w", encoding="utf-8")
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            claim.close()
            return False
        self._claims[host] = claim
        return True

    def _unclaim(self, host: str) -> None:
        claim = self._claims.pop(host, None)
        if claim is not None:
            fcntl.flock(claim, fcntl.LOCK_UN)
            claim.close()
