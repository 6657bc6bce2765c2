"""Downloading inputs: caps, sniffing, redirects, retries and specific errors, over an in-memory transport.

The same behaviours are checked over real sockets in tests/integration/renderer_api; here each rule is
exercised on its own, fast and deterministically.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from cloudburst.renderer.errors import ErrorCode
from cloudburst.renderer.fetch import (
    FetchCancelled,
    FetchError,
    FetchSettings,
    backoff_delay,
    classify_status,
    fetch_input,
    parse_retry_after,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 300
HTML = b"<html><body>AccessDenied</body></html>"
SECRET_URL = "https://bucket.example/inputs/a.wav?X-Amz-Signature=s3cr3t"

Handler = Callable[[httpx.Request], httpx.Response]


def _fetch(
    handler: Handler,
    tmp_path: Path,
    *,
    role: str = "audio",
    url: str = SECRET_URL,
    cancel: threading.Event | None = None,
    **settings: float,
) -> Path:
    options: dict[str, float] = {"max_bytes": 10_000, "attempts": 3, "backoff_s": 0.0, **settings}
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        fetched = fetch_input(
            client,
            url,
            role=role,
            dest_dir=tmp_path / "inputs",
            settings=FetchSettings(**options),  # type: ignore[arg-type]
            cancel=cancel or threading.Event(),
            jitter=lambda: 1.0,
        )
    return fetched.path


def _leftovers(tmp_path: Path) -> list[str]:
    inputs = tmp_path / "inputs"
    return sorted(p.name for p in inputs.iterdir()) if inputs.exists() else []


def test_a_good_input_is_saved_under_its_role_and_detected_format(tmp_path: Path) -> None:
    path = _fetch(lambda _: httpx.Response(200, content=WAV), tmp_path)
    assert path.name == "audio.wav"
    assert path.read_bytes() == WAV
    assert _leftovers(tmp_path) == ["audio.wav"]


def test_watermarks_are_sniffed_as_images(tmp_path: Path) -> None:
    assert _fetch(lambda _: httpx.Response(200, content=PNG), tmp_path, role="watermark").name == "watermark.png"


def test_wrong_content_is_refused_by_sniffing_and_nothing_is_kept(tmp_path: Path) -> None:
    with pytest.raises(FetchError) as caught:
        _fetch(lambda _: httpx.Response(200, content=HTML), tmp_path)
    assert caught.value.code is ErrorCode.UNSUPPORTED_INPUT
    assert caught.value.field == "inputs.audio_url"
    assert caught.value.message.startswith("audio: expected MP3")
    assert "XML or HTML" in caught.value.message
    assert _leftovers(tmp_path) == []


def test_sniffing_stops_a_large_wrong_file_after_the_first_bytes(tmp_path: Path) -> None:
    served = []

    def endless_html() -> object:
        for _ in range(10_000):
            served.append(1)
            yield b"<html>" + b"x" * 16_378

    with pytest.raises(FetchError, match="HTML"):
        _fetch(lambda _: httpx.Response(200, content=endless_html()), tmp_path, max_bytes=10**9)  # type: ignore[arg-type]
    assert len(served) <= 5  # 64 KiB sniffed of ~160 MiB offered


def test_a_declared_length_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "999999"}, content=b"")

    with pytest.raises(FetchError) as caught:
        _fetch(handler, tmp_path)
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE
    assert caught.value.message == "audio is 999999 bytes, more than the limit of 10000 bytes (MAX_INPUT_BYTES)"


def test_an_undeclared_body_is_counted_against_the_cap(tmp_path: Path) -> None:
    def chunks() -> object:
        yield WAV
        yield b"\x00" * 20_000

    with pytest.raises(FetchError) as caught:
        _fetch(lambda _: httpx.Response(200, content=chunks()), tmp_path)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.INPUT_TOO_LARGE
    assert "larger than the limit of 10000 bytes" in caught.value.message
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (403, "the presigned URL for audio was refused (403): it may have expired"),
        (401, "the presigned URL for audio was refused (401)"),
        (404, "audio was not found (404) at https://bucket.example/inputs/a.wav?…"),
        (410, "audio was not found (410)"),
        (400, "answered 400 instead of the file"),
    ],
)
def test_permanent_refusals_fail_at_once_with_a_specific_message(tmp_path: Path, status: int, expected: str) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(status, content=b"<Error/>")

    with pytest.raises(FetchError) as caught:
        _fetch(handler, tmp_path)
    assert expected in caught.value.message
    assert caught.value.code is ErrorCode.INPUT_DOWNLOAD_FAILED
    assert "s3cr3t" not in caught.value.message
    assert len(calls) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_transient_statuses_are_retried_until_success(tmp_path: Path, status: int) -> None:
    answers = [httpx.Response(status), httpx.Response(status), httpx.Response(200, content=WAV)]
    assert _fetch(lambda _: answers.pop(0), tmp_path).read_bytes() == WAV


def test_connection_errors_are_retried_then_reported_with_the_attempts(tmp_path: Path) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(FetchError) as caught:
        _fetch(handler, tmp_path, attempts=3)
    assert len(calls) == 3
    assert caught.value.message == (
        "audio: the download from https://bucket.example/inputs/a.wav?… failed after 3 attempts: "
        "connection failed (ConnectError)"
    )


def test_timeouts_are_transient(tmp_path: Path) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, content=WAV)

    _fetch(handler, tmp_path)
    assert len(calls) == 2


def test_redirects_are_followed_and_each_hop_is_checked(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/start":
            return httpx.Response(302, headers={"Location": "/final.wav"})
        return httpx.Response(200, content=WAV)

    assert _fetch(handler, tmp_path, url="http://host.example/start").read_bytes() == WAV


@pytest.mark.parametrize("target", ["file:///etc/passwd", "http://169.254.170.2/v2/credentials"])
def test_a_redirect_to_a_refused_url_fails(tmp_path: Path, target: str) -> None:
    with pytest.raises(FetchError, match="redirected to a refused URL"):
        _fetch(lambda _: httpx.Response(302, headers={"Location": target}), tmp_path)


def test_endless_redirects_are_cut_off(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="more than 2 redirects"):
        _fetch(lambda _: httpx.Response(307, headers={"Location": "/again"}), tmp_path, max_redirects=2)


def test_a_cancelled_download_stops_and_leaves_nothing(tmp_path: Path) -> None:
    cancel = threading.Event()

    def chunks() -> object:
        yield WAV
        cancel.set()
        yield b"\x00" * 100

    with pytest.raises(FetchCancelled):
        _fetch(lambda _: httpx.Response(200, content=chunks()), tmp_path, cancel=cancel)  # type: ignore[arg-type]
    assert _leftovers(tmp_path) == []


def test_an_empty_file_is_unsupported(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="the file is empty") as caught:
        _fetch(lambda _: httpx.Response(200, content=b""), tmp_path)
    assert caught.value.code is ErrorCode.UNSUPPORTED_INPUT


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    assert [backoff_delay(n, 0.5, None, 1.0) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert backoff_delay(10, 0.5, None, 1.0) == 10.0
    assert backoff_delay(1, 0.5, None, 0.5) == 0.25
    assert backoff_delay(1, 0.5, 7.0, 1.0) == 7.0
    assert backoff_delay(1, 0.5, 3600.0, 1.0) == 30.0


def test_retry_after_is_seconds_or_a_date() -> None:
    assert parse_retry_after("5", now=0.0) == 5.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:00:10 GMT", now=4.0) == 6.0
    assert parse_retry_after("soon", now=0.0) is None
    assert parse_retry_after(None, now=0.0) is None


def test_status_classification() -> None:
    assert classify_status(200, "image", "u") is None
    assert isinstance(classify_status(403, "image", "u"), FetchError)
    assert not isinstance(classify_status(599, "image", "u"), FetchError | type(None))


def test_a_content_encoded_body_is_decoded_and_counted_decoded(tmp_path: Path) -> None:
    compressed = gzip.compress(WAV)

    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=compressed, headers={"Content-Encoding": "gzip", "Content-Length": str(len(compressed))}
        )

    assert _fetch(handler, tmp_path).read_bytes() == WAV


def test_a_body_shorter_than_declared_is_retried(tmp_path: Path) -> None:
    answers = [
        httpx.Response(200, content=WAV[:50], headers={"Content-Length": str(len(WAV))}),
        httpx.Response(200, content=WAV),
    ]
    assert _fetch(lambda _: answers.pop(0), tmp_path).read_bytes() == WAV
