"""The download client's network layer: link-local addresses refused in every spelling and after DNS, and every
wait on a socket bounded by the download's deadline and cancel flag, over real loopback sockets."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudburst.renderer.errors import ErrorCode
from cloudburst.renderer.fetch import FetchCancelled, FetchError, FetchSettings, fetch_input, make_client
from cloudburst.renderer.guarded_network import AddressRefused, checked_addresses
from cloudburst.renderer.urls import InputUrlRefused, check_input_url, is_link_local

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 300


@pytest.mark.parametrize(
    "host",
    ["2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518", "0xa9.0xfe.0xa9.0xfe", "[fe80::1%25eth0]"],
)
def test_every_spelling_of_a_link_local_literal_is_refused(host: str) -> None:
    with pytest.raises(InputUrlRefused, match="link-local"):
        check_input_url(f"http://{host}/latest/meta-data/")


@pytest.mark.parametrize("host", ["127.0.0.1", "0x7f000001", "10.0.0.1", "deadbeef", "s3.amazonaws.com", "1"])
def test_other_hosts_are_not_link_local(host: str) -> None:
    assert not is_link_local(host)


def test_a_name_that_resolves_to_a_link_local_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(AddressRefused, match=r"169\.254\.169\.254"):
        checked_addresses("rebind.example", 80)


def test_a_download_from_such_a_name_fails_at_once_naming_the_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.170.2", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(FetchError) as caught:
        _download("http://creds.example/v2/credentials?X-Amz-Signature=s3cr3t", tmp_path)
    assert caught.value.code is ErrorCode.INPUT_DOWNLOAD_FAILED
    assert "169.254.170.2" in caught.value.message
    assert "link-local" in caught.value.message
    assert "s3cr3t" not in caught.value.message
    assert calls == ["creds.example"]  # refused, not retried
    assert not (tmp_path / "inputs").exists() or not any((tmp_path / "inputs").iterdir())


# ---- slow servers ---------------------------------------------------------------------------------------------


Behaviour = Callable[[socket.socket, threading.Event], None]
"""What the server does with a connection once the request arrived; the event is set when the test ends."""


@pytest.fixture
def raw_server() -> Iterator[Callable[[Behaviour], str]]:
    """A loopback server whose connections run `behaviour` (one thread each); returns a URL to it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    stop = threading.Event()
    behaviours: list[Behaviour] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=_run, args=(conn, behaviours[0], stop), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def start(behaviour: Behaviour) -> str:
        behaviours.append(behaviour)
        return f"http://127.0.0.1:{listener.getsockname()[1]}/audio.wav?X-Amz-Signature=s"

    yield start
    stop.set()
    thread.join(timeout=5)
    listener.close()


def _run(conn: socket.socket, behaviour: Behaviour, stop: threading.Event) -> None:
    with conn:
        conn.settimeout(5)
        try:
            conn.recv(65536)
            behaviour(conn, stop)
        except OSError:
            pass


def trickle(data: bytes, every_s: float) -> Behaviour:
    def send(conn: socket.socket, stop: threading.Event) -> None:
        for byte in data:
            conn.sendall(bytes([byte]))
            if stop.wait(every_s):
                return

    return send


def silent(_conn: socket.socket, stop: threading.Event) -> None:
    stop.wait(10)


SLOW_HEADERS = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 1000


def test_headers_trickled_a_byte_at_a_time_cannot_outlast_the_total_timeout(
    tmp_path: Path, raw_server: Callable[[Behaviour], str]
) -> None:
    url = raw_server(trickle(SLOW_HEADERS, 0.05))  # each read succeeds well inside the read timeout
    started = time.monotonic()
    with pytest.raises(FetchError, match="took longer than 1 s"):
        _download(url, tmp_path, total_timeout_s=1.0, read_timeout_s=0.5)
    assert time.monotonic() - started < 2.0


def test_a_cancel_stops_a_download_waiting_on_a_silent_server_at_once(
    tmp_path: Path, raw_server: Callable[[Behaviour], str]
) -> None:
    url = raw_server(silent)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(FetchCancelled):
        _download(url, tmp_path, cancel=cancel, read_timeout_s=30.0)
    assert time.monotonic() - started < 1.5


def test_the_read_timeout_still_applies_across_the_short_waits(
    tmp_path: Path, raw_server: Callable[[Behaviour], str]
) -> None:
    url = raw_server(silent)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"failed after 1 attempt: timed out \(ReadTimeout\)"):
        _download(url, tmp_path, read_timeout_s=0.6, attempts=1)
    assert 0.5 < time.monotonic() - started < 2.0


def test_a_body_longer_than_its_content_length_is_cut_at_the_declared_length(
    tmp_path: Path, raw_server: Callable[[Behaviour], str]
) -> None:
    header = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(WAV)
    url = raw_server(lambda conn, _stop: conn.sendall(header + WAV + b"EXTRA" * 1000))
    assert _download(url, tmp_path).read_bytes() == WAV


def _download(
    url: str,
    tmp_path: Path,
    *,
    cancel: threading.Event | None = None,
    total_timeout_s: float = 30.0,
    read_timeout_s: float = 5.0,
    attempts: int = 2,
) -> Path:
    settings = FetchSettings(
        max_bytes=100_000,
        connect_timeout_s=2.0,
        read_timeout_s=read_timeout_s,
        total_timeout_s=total_timeout_s,
        attempts=attempts,
        backoff_s=0.0,
    )
    with make_client(settings) as client:
        return fetch_input(
            client,
            url,
            role="audio",
            dest_dir=tmp_path / "inputs",
            settings=settings,
            cancel=cancel or threading.Event(),
            jitter=lambda: 1.0,
        ).path
