"""A renderer task that misbehaves on purpose, for the fault tests of the local cloud.

The local cloud runs it in place of the renderer (`task_commands`). Each task takes the next fault from a
queue folder (`FAULT_QUEUE`: files `<n>.<fault>`, taken in order, each by one task); with none left it is
the real renderer. The faults are what Fargate tasks do when things go wrong:

- `exit-<code>`: exit at once with that code (an image that cannot be pulled or a container that crashes
  at start);
- `hang`: run but never answer on the port (a container that never becomes healthy);
- `unavailable-<n>`: the real renderer behind a proxy that answers the first `n` API requests with 503 and
  then passes everything through (a renderer overloaded for a while, then recovering).

Run as `python -m tests.e2e.faulty_renderer`; HOST and PORT are the task's address, as for the renderer.
"""

from __future__ import annotations

import http.client
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Final

QUEUE_VARIABLE: Final = "FAULT_QUEUE"
HOP_HEADERS: Final = frozenset({"connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"})


def queue_fault(queue: Path, fault: str) -> None:
    """Add a fault for the next task that starts (tests call this before submitting their job)."""
    queue.mkdir(parents=True, exist_ok=True)
    taken_or_waiting = len(list(queue.iterdir()))
    (queue / f"{taken_or_waiting:04d}.{fault}").touch()


def take_fault(queue: Path) -> str | None:
    """The oldest waiting fault, claimed by renaming it (so two tasks never take the same one)."""
    for entry in sorted(queue.glob("[0-9]*.*")):
        if entry.name.endswith(".taken"):
            continue
        try:
            entry.rename(entry.with_name(entry.name + ".taken"))
        except FileNotFoundError:
            continue
        return entry.name.split(".", 1)[1]
    return None


def _renderer_command() -> list[str]:
    return [sys.executable, "-m", "cloudburst.renderer"]


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def _hang() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    while True:
        time.sleep(3600)


def _unavailable_then_proxy(refusals: int, host: str, port: int) -> int:
    """The real renderer on a free port of the same address, and a proxy on the task's port in front of it."""
    inner_port = _free_port(host)
    renderer = subprocess.Popen(_renderer_command(), env={**os.environ, "HOST": host, "PORT": str(inner_port)})
    remaining = [refusals]
    lock = threading.Lock()

    class Proxy(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            sys.stderr.write("proxy: " + format % args + "\n")

        def _refuse(self) -> bool:
            if not self.path.startswith("/v1/"):
                return False
            with lock:
                if remaining[0] <= 0:
                    return False
                remaining[0] -= 1
            body = b'{"error": {"code": "queue_full", "message": "injected: the renderer is overloaded"}}'
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return True

        def _forward(self) -> None:
            if self._refuse():
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            upstream = http.client.HTTPConnection(host, inner_port, timeout=60)
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_HEADERS}
            upstream.request(self.command, self.path, body=body, headers=headers)
            answer = upstream.getresponse()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in HOP_HEADERS:
                    self.send_header(name, value)
            self.end_headers()
            while chunk := answer.read(1 << 16):
                self.wfile.write(chunk)
            upstream.close()

        do_GET = do_POST = do_DELETE = _forward  # noqa: N815 - http.server's naming

    server = http.server.ThreadingHTTPServer((host, port), Proxy)

    def stop(*_: object) -> None:
        renderer.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    code = renderer.wait()
    server.shutdown()
    return code


def main() -> int:
    fault = take_fault(Path(os.environ[QUEUE_VARIABLE]))
    host, port = os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "8080"))
    if fault is None:
        os.execv(sys.executable, _renderer_command())
    if fault.startswith("exit-"):
        return int(fault.removeprefix("exit-"))
    if fault == "hang":
        return _hang()
    if fault.startswith("unavailable-"):
        return _unavailable_then_proxy(int(fault.removeprefix("unavailable-")), host, port)
    raise SystemExit(f"unknown fault {fault!r}")


if __name__ == "__main__":
    sys.exit(main())
