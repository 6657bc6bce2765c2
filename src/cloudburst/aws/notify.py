"""Telling the world a job ended: an EventBridge event on the default bus, and an optional webhook.

The webhook's body is signed with HMAC-SHA256 over `<timestamp>.<body>` using a secret the stack keeps in
Secrets Manager, so a receiver can check both origin and freshness (the same scheme as Stripe's and
GitHub's). Only public `https` URLs are called: BuildReport must not become a way to reach addresses inside
the VPC or on the host. The check resolves the host once and the POST connects to the very address it checked
(TLS still verifies the certificate for the host name), so a DNS answer that changes between the two (DNS
rebinding) cannot redirect the call to a private address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import urllib3

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_secretsmanager import SecretsManagerClient

EVENT_SOURCE = "cloudburst"
JOB_FINISHED = "CloudBurst Job Finished"
SIGNATURE_HEADER = "X-CloudBurst-Signature"
TIMESTAMP_HEADER = "X-CloudBurst-Timestamp"


class WebhookRefused(ValueError):
    """The webhook URL is not a public https URL."""


def publish_job_finished(events: EventBridgeClient, detail: Mapping[str, Any], bus: str = "default") -> None:
    response = events.put_events(
        Entries=[
            {"Source": EVENT_SOURCE, "DetailType": JOB_FINISHED, "Detail": json.dumps(detail), "EventBusName": bus}
        ]
    )
    if response.get("FailedEntryCount"):
        entry = response["Entries"][0]
        raise RuntimeError(f"EventBridge refused the event: {entry.get('ErrorCode')}: {entry.get('ErrorMessage')}")


def webhook_secret(secrets: SecretsManagerClient, secret_id: str) -> str:
    return secrets.get_secret_value(SecretId=secret_id)["SecretString"]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>." + body)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify(secret: str, timestamp: int, body: bytes, signature: str) -> bool:
    """What a receiver does (and what the tests check): constant-time comparison of the signatures."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook URL and the address it was checked against, which is where `post_webhook` connects."""

    url: str
    address: str


def check_public_https(url: str, resolve: Callable[[str], list[str]] | None = None) -> WebhookTarget:
    """Refuse anything but https to a host whose addresses are all public; the target pins one of them."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise WebhookRefused(f"notify.webhook_url: {url!r} must be an https:// URL")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise WebhookRefused(f"notify.webhook_url: {url!r} has an invalid port ({exc})") from None
    addresses = (resolve or _resolve)(parts.hostname)
    if not addresses:
        raise WebhookRefused(f"notify.webhook_url: {parts.hostname} has no address")
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not ip.is_global:
            raise WebhookRefused(f"notify.webhook_url: {parts.hostname} resolves to non-public address {address}")
    return WebhookTarget(url, addresses[0])


def _resolve(host: str) -> list[str]:
    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)})
    except socket.gaierror as exc:
        raise WebhookRefused(f"notify.webhook_url: cannot resolve {host}: {exc}") from None


def post_webhook(
    target: WebhookTarget,
    payload: Mapping[str, Any],
    secret: str,
    *,
    now: Callable[[], float] = time.time,
    attempts: int = 3,
    timeout_s: float = 10.0,
) -> int:
    """POST the signed payload to the target's checked address; returns the HTTP status of the last attempt
    (5xx and network errors retry, to the same address)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = int(now())
    parts = urlsplit(target.url)
    host = parts.hostname or ""
    headers = {
        "Host": parts.netloc.rpartition("@")[2],
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body),
    }
    retry = urllib3.Retry(
        total=attempts - 1, backoff_factor=0.5, status_forcelist=(500, 502, 503, 504), allowed_methods=None
    )
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    with _pinned_pool(parts.scheme, target.address, parts.port, host) as pool:
        response = pool.urlopen(
            "POST", path, body=body, headers=headers, retries=retry, redirect=False, timeout=timeout_s
        )
    return int(response.status)


def _pinned_pool(scheme: str, address: str, port: int | None, host: str) -> urllib3.HTTPConnectionPool:
    """A connection pool to `address` that speaks to it as `host`: for https, SNI and certificate checks use
    the host name (plain http is only for tests against a local receiver)."""
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(address, port or 443, server_hostname=host, assert_hostname=host, maxsize=1)
    return urllib3.HTTPConnectionPool(address, port or 80, maxsize=1)
