"""Where each local task listens.

On Fargate each task has its own private IP and the container's real port (8080 for the renderer), and the
Lambdas reach it at `privateIPv4Address:8080`. On Linux the whole 127.0.0.0/8 block is loopback, so each task
gets its own 127.0.0.N with the container's real port and the Lambdas' code path is the same as on AWS.
Elsewhere (macOS has only 127.0.0.1 unless aliased) a task gets a free port on 127.0.0.1, reported as the
container's `hostPort` in `networkBindings`.
"""

from __future__ import annotations

import socket
import sys
import threading
from dataclasses import dataclass
from typing import Final

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


class AddressPool:
    """Hands out one loopback address per task and takes it back when the task stops."""

    def __init__(self, own_ips: bool | None = None) -> None:
        self._own_ips = sys.platform.startswith("linux") if own_ips is None else own_ips
        self._in_use: set[str] = set()
        self._next = _FIRST_HOST
        self._lock = threading.Lock()

    def acquire(self, container_port: int) -> TaskAddress:
        if self._own_ips:
            with self._lock:
                for _ in range(_LAST_HOST - _FIRST_HOST + 1):
                    host = f"127.0.0.{self._next}"
                    self._next = _FIRST_HOST if self._next == _LAST_HOST else self._next + 1
                    if host not in self._in_use and _bindable(host, container_port):
                        self._in_use.add(host)
                        return TaskAddress(host, container_port, own_ip=True)
        return TaskAddress("127.0.0.1", free_port(), own_ip=False)

    def release(self, address: TaskAddress) -> None:
        with self._lock:
            self._in_use.discard(address.host)
