"""Which input URLs the renderer will fetch, and how to name one in a log line without leaking credentials.

Inputs arrive as presigned S3 URLs: their query string *is* a credential, so nothing the renderer logs or
reports may contain it. Only http(s) is fetched; every other scheme (file:, ftp:, data:, gopher:...) would let
a request read the container's own files or reach services it should not, so it is refused before anything
is queued. Link-local addresses are refused too: on Fargate 169.254.170.2 serves the task's AWS credentials.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")
MAX_URL_LENGTH = 8192


class InputUrlRefused(ValueError):
    """The URL is not one the renderer fetches; the message says why without repeating the URL."""


def check_input_url(url: str) -> str:
    """Return `url` if the renderer may fetch it, else raise `InputUrlRefused` with a specific reason."""
    if len(url) > MAX_URL_LENGTH:
        raise InputUrlRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(char.isspace() or ord(char) < 0x20 for char in url):
        raise InputUrlRefused("the URL contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputUrlRefused(f"the URL cannot be parsed ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        shown = f"{scheme}:" if scheme else "a URL without a scheme"
        raise InputUrlRefused(f"{shown} is refused: inputs must be http:// or https:// URLs (presigned S3 URLs)")
    if not parts.hostname:
        raise InputUrlRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise InputUrlRefused("the URL carries a user name or password; use a presigned URL instead")
    if port == 0:
        raise InputUrlRefused("the URL's port must be between 1 and 65535")
    if is_link_local(parts.hostname):
        raise InputUrlRefused("link-local addresses (instance and task metadata) are refused")
    return url


def is_link_local(host: str) -> bool:
    """True for 169.254.0.0/16 and fe80::/10 literals: where cloud metadata and task credentials live.

    IPv4 literals count in every spelling the resolver accepts (`2852039166`, `0xa9fea9fe`, `0251.0376.169.254`,
    `169.254.43518`), since `getaddrinfo` turns each of them into 169.254.169.254. Names are not resolved here;
    the download's network layer checks the addresses a name resolves to (`guarded_network`).
    """
    literal = host.strip("[]")
    try:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(literal.split("%", 1)[0])
    except ValueError:
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(literal))
        except OSError:
            return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_link_local or (mapped is not None and mapped.is_link_local))


def redact_url(url: str) -> str:
    """`https://bucket.s3.amazonaws.com/key?X-Amz-Signature=...` → `https://bucket.s3.amazonaws.com/key?…`:
    what a log line or an error message may show of an input URL."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<unparseable URL>"
    query = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path}{query}"
