"""The network layer under input downloads: where a connection may go, and how long a download may take.

Two rules cannot be enforced by looking at a URL or by httpx's per-operation timeouts, so they live here, in
the httpcore network backend the download client uses:

- **Where it connects.** A URL check sees only the host as written. `http://2852039166/` and a DNS name that
  resolves to 169.254.169.254 both pass it and still reach the task's metadata and credentials. So the host is
  resolved here, right before connecting, and a host with any link-local address is refused
  (`AddressRefused`); the socket then connects to the very address that was checked, leaving no second lookup
  for DNS rebinding to answer differently.
- **How long it takes, and stopping it.** httpx's read timeout bounds each read, so a server that trickles
  its headers a byte at a time (slow loris) never trips it, and `FetchSettings.total_timeout_s` and a
  cancelled render were only noticed between body chunks. Every read here waits in short slices and, between
  slices, checks the calling thread's `DownloadGuard`: past the deadline it raises `DeadlinePassed`, once
  cancelled `DownloadStopped`. The per-read timeout still applies across the slices.

Downloads run synchronously in the thread that called `fetch_input`, so the guard is thread-local state that
`guard_downloads` sets for the duration of one download. Without a guard, the backend behaves like httpcore's.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from cloudburst.renderer.urls import is_link_local

SLICE_S = 0.25
"""Longest single wait on a socket: how quickly a cancel or the overall deadline is noticed mid-read."""


class AddressRefused(Exception):
    """The host resolves to an address downloads must never reach (link-local: instance and task metadata)."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to {address}, a link-local address (instance and task metadata)")
        self.host = host
        self.address = address


class DeadlinePassed(Exception):
    """The download's overall deadline passed while it waited on the network."""


class DownloadStopped(Exception):
    """The download was cancelled while it waited on the network."""


@dataclass(frozen=True)
class DownloadGuard:
    deadline: float  # time.monotonic() value
    cancel: threading.Event

    def remaining(self) -> float:
        """Seconds left; raises if the download must stop now."""
        if self.cancel.is_set():
            raise DownloadStopped
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlinePassed
        return left


_local = threading.local()


@contextlib.contextmanager
def guard_downloads(deadline: float, cancel: threading.Event) -> Iterator[None]:
    """Bound every network wait of this thread by `deadline` (monotonic) and `cancel`, inside the block."""
    previous = getattr(_local, "guard", None)
    _local.guard = DownloadGuard(deadline, cancel)
    try:
        yield
    finally:
        _local.guard = previous


def _current_guard() -> DownloadGuard | None:
    guard: DownloadGuard | None = getattr(_local, "guard", None)
    return guard


def _bounded(timeout: float | None, guard: DownloadGuard | None) -> float | None:
    if guard is None:
        return timeout
    remaining = guard.remaining()
    return remaining if timeout is None else min(timeout, remaining)


def checked_addresses(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, refusing it if any is link-local (DNS may answer with several)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host} ({exc.strerror or exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if is_link_local(address):
            raise AddressRefused(host, address)
    return addresses


class GuardedStream(httpcore.NetworkStream):
    """A connection whose reads wait in slices and obey the calling thread's `DownloadGuard`."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        guard = _current_guard()
        if guard is None:
            return self._stream.read(max_bytes, timeout)
        waited = 0.0
        while True:
            wait = min(SLICE_S, guard.remaining())
            if timeout is not None:
                if waited >= timeout:
                    raise httpcore.ReadTimeout(f"no data for {timeout:g} s")
                wait = min(wait, timeout - waited)
            try:
                return self._stream.read(max_bytes, wait)
            except httpcore.ReadTimeout:
                waited += wait

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, _current_guard()))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        secured = self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout, _current_guard()))
        return GuardedStream(secured)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to checked addresses and returning `GuardedStream`s."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        options = list(socket_options or [])
        failure: Exception | None = None
        for address in checked_addresses(host, port):
            try:
                stream = super().connect_tcp(address, port, _bounded(timeout, _current_guard()), local_address, options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            return GuardedStream(stream)
        raise failure or httpcore.ConnectError(f"{host} has no address")


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over `GuardedBackend` (httpx offers no public way to choose the network backend, so
    the connection pool it builds is replaced by an identical one over ours)."""

    def __init__(self, limits: httpx.Limits) -> None:
        super().__init__(limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(),
        )
