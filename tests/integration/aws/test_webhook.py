"""The job webhook over real HTTP: signed body, retried on 5xx, and only public https URLs accepted."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from cloudburst.aws.notify import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookRefused,
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
def receiver() -> Iterator[str]:
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_the_post_is_signed_and_survives_a_503(receiver: str) -> None:
    Receiver.failures_left = 1
    status = post_webhook(receiver, {"job_id": "j-1", "status": "succeeded"}, SECRET, now=lambda: 1_800_000_000)
    assert status == 204
    assert len(Receiver.received) == 2
    headers, body = Receiver.received[-1]
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


def test_a_public_https_target_is_accepted() -> None:
    check_public_https("https://hooks.example.com/x", resolve=lambda _: ["93.184.216.34"])
