"""The job webhook over real HTTP: signed body, retried on 5xx, only public https URLs accepted, and the POST
sent to the address that was checked."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
import urllib3

from cloudburst.aws.notify import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookRefused,
    WebhookTarget,
    check_public_https,
    post_webhook,
    sign,
    verify,
)

SECRET = "webhook-secret"


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []
    failures_left: ClassVar[int] = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        if Receiver.failures_left:
            Receiver.failures_left -= 1
            self.send_response(503)
        else:
            self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[WebhookTarget]:
    """A local receiver, named by a host that resolves nowhere (`.invalid`) and pinned to 127.0.0.1: a POST
    that arrives went to the checked address, not to a fresh lookup of the name."""
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield WebhookTarget(f"http://hooks.invalid:{server.server_address[1]}/hook?team=7", "127.0.0.1")
    server.shutdown()
    server.server_close()


def test_the_post_is_signed_and_survives_a_503(receiver: WebhookTarget) -> None:
    Receiver.failures_left = 1
    status = post_webhook(receiver, {"job_id": "j-1", "status": "succeeded"}, SECRET, now=lambda: 1_800_000_000)
    assert status == 204
    assert len(Receiver.received) == 2
    headers, body = Receiver.received[-1]
    assert headers["Host"] == receiver.url.split("/")[2]  # the name, as a virtual host expects
    assert json.loads(body) == {"job_id": "j-1", "status": "succeeded"}
    assert headers[TIMESTAMP_HEADER] == "1800000000"
    assert verify(SECRET, 1_800_000_000, body, headers[SIGNATURE_HEADER])
    assert not verify("other", 1_800_000_000, body, headers[SIGNATURE_HEADER])
    assert not verify(SECRET, 1_800_000_001, body, headers[SIGNATURE_HEADER])  # replayed with another time


def test_the_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    expected = hmac.new(b"key", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("key", 1_700_000_000, b"{}") == f"sha256={expected}"


@pytest.mark.parametrize(
    ("url", "addresses", "reason"),
    [
        ("http://hooks.example.com/x", ["93.184.216.34"], "must be an https:// URL"),
        ("https://internal.example/x", ["10.0.3.7"], "non-public address 10.0.3.7"),
        ("https://meta.example/x", ["169.254.169.254"], "non-public"),
        ("https://[::1]/x", ["::1"], "non-public"),
    ],
)
def test_private_and_plain_http_targets_are_refused(url: str, addresses: list[str], reason: str) -> None:
    with pytest.raises(WebhookRefused, match=reason):
        check_public_https(url, resolve=lambda _: addresses)


def test_a_public_https_target_is_accepted_and_pinned_to_the_checked_address() -> None:
    target = check_public_https("https://hooks.example.com/x", resolve=lambda _: ["93.184.216.34"])
    assert target == WebhookTarget("https://hooks.example.com/x", "93.184.216.34")


def test_a_name_that_rebinds_after_the_check_is_still_called_at_the_checked_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """DNS rebinding: the check's lookup answers a public address, any later lookup 127.0.0.1. The POST goes to
    the checked address (which cannot be reached here), and nothing ever connects to the local server."""
    connections: list[object] = []

    class CountingServer(ThreadingHTTPServer):
        def verify_request(self, request: object, client_address: object) -> bool:
            connections.append(client_address)
            return False

    server = CountingServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    real_getaddrinfo = socket.getaddrinfo

    def rebound(host: str, *args: Any, **kwargs: Any) -> Any:
        return real_getaddrinfo("127.0.0.1" if host == "rebind.example" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    try:
        url = f"https://rebind.example:{server.server_address[1]}/hook"
        target = check_public_https(url, resolve=lambda _: ["93.184.216.34"])
        with pytest.raises(urllib3.exceptions.HTTPError):
            post_webhook(target, {"job_id": "j-1"}, SECRET, attempts=1, timeout_s=1.0)
        assert connections == []
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("url", ["https://hooks.example.com:99999/x", "https://hooks.example.com:port/x"])
def test_a_url_with_a_bad_port_is_refused(url: str) -> None:
    with pytest.raises(WebhookRefused, match="invalid port"):
        check_public_https(url, resolve=lambda _: ["93.184.216.34"])
