"""Download one input (a presigned URL) into a render's work directory, safely and only once it is the right kind.

Why each rule exists:
- A cap on bytes (declared `Content-Length` first, then counted) keeps one input from filling the disk.
- Connect/read timeouts and an overall deadline keep a stalled server from holding a worker forever; the
  deadline and the render's cancel flag bound every wait on the network, headers included, so a server that
  trickles bytes (slow loris) cannot outlast them either (`guarded_network`).
- Redirects are followed by hand, a few at most, and every hop passes the same URL check as the request
  (so a redirect cannot lead to `file:` or to the task-credentials address); a host whose DNS answer is a
  link-local address is refused when connecting, whatever its name looks like.
- Only transient failures (connection errors, timeouts, 408, 429, 5xx) are retried, with backoff; a 403 from
  S3 means the presigned URL expired or was wrong, and retrying it only delays the error.
- The first bytes are sniffed as soon as they arrive (`cloudburst.core.media_types.sniff`), so an HTML error
  page or an HLS playlist posing as audio is refused before the rest is downloaded.
- The body goes to a hidden `.part` file renamed on success: a failed download leaves nothing behind.
- URLs are named in messages without their query string: in a presigned URL that is a credential.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin

import httpx

from cloudburst.core.media_types import SNIFF_BYTES, MediaFormat, MediaKind, UnsupportedMedia, sniff
from cloudburst.renderer.errors import ErrorCode, input_field
from cloudburst.renderer.guarded_network import (
    AddressRefused,
    DeadlinePassed,
    DownloadStopped,
    GuardedTransport,
    guard_downloads,
)
from cloudburst.renderer.urls import InputUrlRefused, check_input_url, redact_url
from cloudburst.version import __version__

MAX_BACKOFF_S = 10.0
MAX_RETRY_AFTER_S = 30.0
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
REFUSED_STATUSES = frozenset({401, 403})
MISSING_STATUSES = frozenset({404, 410})
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

KIND_OF_ROLE: dict[str, MediaKind] = {
    "image": MediaKind.IMAGE,
    "audio": MediaKind.AUDIO,
    "subtitles": MediaKind.SUBTITLES,
    "watermark": MediaKind.IMAGE,
}


@dataclass(frozen=True)
class FetchSettings:
    max_bytes: int
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    total_timeout_s: float = 900.0
    attempts: int = 4
    backoff_s: float = 0.5
    max_redirects: int = 5

    def timeout(self) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout_s,
            read=self.read_timeout_s,
            write=self.read_timeout_s,
            pool=self.connect_timeout_s,
        )


@dataclass(frozen=True)
class FetchedInput:
    role: str
    path: Path
    media: MediaFormat
    size_bytes: int
    attempts: int
    seconds: float


class FetchError(Exception):
    """The input cannot be had. `code` is a render error code; the message names the input, never the query."""

    def __init__(self, code: ErrorCode, role: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.role = role
        self.message = message

    @property
    def field(self) -> str:
        return input_field(self.role)


class FetchCancelled(Exception):
    """The render was cancelled while its inputs were downloading."""


class _Transient(Exception):
    """A failure another attempt may cure."""

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


def make_client(settings: FetchSettings) -> httpx.Client:
    """One pooled client per renderer process; redirects are followed by `fetch_input`, hop by hop. Its
    transport (`guarded_network`) refuses link-local addresses after DNS and lets `fetch_input` bound every
    network wait by the download's deadline and cancel flag."""
    return httpx.Client(
        timeout=settings.timeout(),
        follow_redirects=False,
        headers={"User-Agent": f"cloudburst-renderer/{__version__}", "Accept-Encoding": "identity"},
        transport=GuardedTransport(httpx.Limits(max_connections=32, max_keepalive_connections=8)),
    )


def fetch_input(
    client: httpx.Client,
    url: str,
    *,
    role: str,
    dest_dir: Path,
    settings: FetchSettings,
    cancel: threading.Event,
    jitter: Callable[[], float] = lambda: random.uniform(0.5, 1.0),  # noqa: S311 - backoff jitter, not crypto
) -> FetchedInput:
    """Download `url` to `dest_dir/<role>.<format>`; raise `FetchError` or `FetchCancelled` otherwise."""
    started = time.monotonic()
    transfer = _Transfer(
        client, role, KIND_OF_ROLE[role], dest_dir, settings, cancel, started + settings.total_timeout_s
    )
    for attempt in range(1, settings.attempts + 1):
        if cancel.is_set():
            raise FetchCancelled(role)
        try:
            with guard_downloads(transfer.deadline, cancel):
                path, media, size = transfer.attempt(url)
            return FetchedInput(role, path, media, size, attempt, time.monotonic() - started)
        except _Transient as exc:
            last = exc
        if attempt == settings.attempts:
            break
        delay = backoff_delay(attempt, settings.backoff_s, last.retry_after_s, jitter())
        if time.monotonic() + delay > transfer.deadline:
            break
        if cancel.wait(delay):
            raise FetchCancelled(role)
    tries = f"{attempt} attempt" + ("s" if attempt > 1 else "")
    raise FetchError(
        ErrorCode.INPUT_DOWNLOAD_FAILED,
        role,
        f"{role}: the download from {redact_url(url)} failed after {tries}: {last.reason}",
    )


def backoff_delay(attempt: int, base_s: float, retry_after_s: float | None, jitter: float) -> float:
    """Seconds before attempt `attempt + 1`: the server's Retry-After if it gave one (capped), else
    exponential backoff with jitter (so many renderers retrying one bucket do not retry in step)."""
    if retry_after_s is not None:
        return min(max(retry_after_s, 0.0), MAX_RETRY_AFTER_S)
    return min(base_s * 2.0 ** (attempt - 1), MAX_BACKOFF_S) * jitter


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(float(parsedate_to_datetime(value).timestamp()) - now, 0.0)
    except (TypeError, ValueError):
        return None


def classify_status(status: int, role: str, shown_url: str) -> FetchError | _Transient | None:
    """None for a usable answer (200); otherwise the failure, permanent (`FetchError`) or transient."""
    if status == 200:
        return None
    if status in REFUSED_STATUSES:
        return FetchError(
            ErrorCode.INPUT_DOWNLOAD_FAILED,
            role,
            f"the presigned URL for {role} was refused ({status}): it may have expired ({shown_url})",
        )
    if status in MISSING_STATUSES:
        return FetchError(ErrorCode.INPUT_DOWNLOAD_FAILED, role, f"{role} was not found ({status}) at {shown_url}")
    if status in TRANSIENT_STATUSES or 500 <= status <= 599:
        return _Transient(f"the server answered {status}")
    return FetchError(
        ErrorCode.INPUT_DOWNLOAD_FAILED, role, f"{role}: {shown_url} answered {status} instead of the file"
    )


@dataclass(frozen=True)
class _Transfer:
    """One input's download: what every attempt shares."""

    client: httpx.Client
    role: str
    kind: MediaKind
    dest_dir: Path
    settings: FetchSettings
    cancel: threading.Event
    deadline: float

    def attempt(self, url: str) -> tuple[Path, MediaFormat, int]:
        current = url
        try:
            for _hop in range(self.settings.max_redirects + 1):
                with self.client.stream("GET", current) as response:
                    if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                        current = self._next_hop(current, response.headers["location"])
                        continue
                    failure = classify_status(response.status_code, self.role, redact_url(current))
                    if isinstance(failure, _Transient):
                        failure.retry_after_s = parse_retry_after(response.headers.get("retry-after"), time.time())
                    if failure is not None:
                        raise failure
                    return self._save(response)
        except DownloadStopped:
            raise FetchCancelled(self.role) from None
        except DeadlinePassed:
            raise self._took_too_long() from None
        except AddressRefused as exc:
            raise self._failed(f"refused to connect to {redact_url(current)}: {exc}") from None
        except httpx.TimeoutException as exc:
            raise _Transient(f"timed out ({type(exc).__name__})") from None
        except httpx.TransportError as exc:
            raise _Transient(f"connection failed ({type(exc).__name__})") from None
        except httpx.DecodingError:
            raise self._failed("the response body is corrupt") from None
        raise self._failed(f"more than {self.settings.max_redirects} redirects from {redact_url(url)}")

    def _took_too_long(self) -> FetchError:
        return self._failed(f"the download took longer than {self.settings.total_timeout_s:g} s")

    def _failed(self, reason: str) -> FetchError:
        return FetchError(ErrorCode.INPUT_DOWNLOAD_FAILED, self.role, f"{self.role}: {reason}")

    def _next_hop(self, current: str, location: str) -> str:
        try:
            return check_input_url(urljoin(current, location))
        except InputUrlRefused as exc:
            raise self._failed(f"the server redirected to a refused URL: {exc}") from None

    def _save(self, response: httpx.Response) -> tuple[Path, MediaFormat, int]:
        declared = _declared_length(response)
        if declared is not None and declared > self.settings.max_bytes:
            raise _too_large(self.role, self.settings.max_bytes, declared)
        self.dest_dir.mkdir(parents=True, exist_ok=True)
        part = self.dest_dir / f".{self.role}.part"
        try:
            media, count = self._stream_to(part, response)
            encoded = response.headers.get("content-encoding", "identity").lower() != "identity"
            if declared is not None and count != declared and not encoded:  # decoded bodies differ in length
                raise _Transient(f"the connection closed after {count} of {declared} bytes")
            final = self.dest_dir / f"{self.role}.{media.name}"
            part.replace(final)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return final, media, count

    def _stream_to(self, part: Path, response: httpx.Response) -> tuple[MediaFormat, int]:
        """Write the body to `part`, sniffing its first bytes before writing any and counting all of them."""
        head = bytearray()
        media: MediaFormat | None = None
        count = 0
        with part.open("wb") as out:
            for chunk in response.iter_bytes():
                if self.cancel.is_set():
                    raise FetchCancelled(self.role)
                if time.monotonic() > self.deadline:
                    raise self._took_too_long()
                count += len(chunk)
                if count > self.settings.max_bytes:
                    raise _too_large(self.role, self.settings.max_bytes)
                if media is None:
                    head += chunk
                    if len(head) < SNIFF_BYTES:
                        continue
                    media = _sniff(self.kind, bytes(head), self.role)
                    out.write(head)
                else:
                    out.write(chunk)
            if media is None:
                media = _sniff(self.kind, bytes(head), self.role)
                out.write(head)
        return media, count


def _sniff(kind: MediaKind, head: bytes, role: str) -> MediaFormat:
    try:
        return sniff(kind, head, role)
    except UnsupportedMedia as exc:
        raise FetchError(ErrorCode.UNSUPPORTED_INPUT, role, str(exc)) from None


def _declared_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def _too_large(role: str, limit: int, declared: int | None = None) -> FetchError:
    size = f"is {declared} bytes, more" if declared is not None else "is larger"
    return FetchError(
        ErrorCode.INPUT_TOO_LARGE, role, f"{role} {size} than the limit of {limit} bytes (MAX_INPUT_BYTES)"
    )
