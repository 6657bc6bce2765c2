"""Which input URLs the renderer fetches, and how they appear in logs."""

from __future__ import annotations

import pytest

from cloudburst.renderer.urls import InputUrlRefused, check_input_url, is_link_local, redact_url

PRESIGNED = "https://bucket.s3.eu-west-1.amazonaws.com/inputs/a.mp3?X-Amz-Credential=AKIA&X-Amz-Signature=abc123"


@pytest.mark.parametrize(
    "url",
    [
        PRESIGNED,
        "http://127.0.0.1:9000/bucket/key.png",
        "HTTPS://Example.com/x.png",
        "http://[::1]:8080/a.wav",
    ],
)
def test_http_and_https_urls_are_accepted(url: str) -> None:
    assert check_input_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "file: is refused"),
        ("ftp://example.com/a.mp3", "ftp: is refused"),
        ("data:audio/mpeg;base64,AAAA", "data: is refused"),
        ("gopher://example.com/", "gopher: is refused"),
        ("/local/path.png", "a URL without a scheme is refused"),
        ("http:///no-host.png", "no host"),
        ("https://user:secret@example.com/a.png", "user name or password"),
        ("http://169.254.170.2/v2/credentials", "link-local"),
        ("http://[fe80::1]/x", "link-local"),
        ("http://[::ffff:169.254.169.254]/latest", "link-local"),
        ("http://example.com/a b.png", "whitespace"),
        ("http://example.com:99999/a.png", "cannot be parsed"),
        ("https://example.com/" + "a" * 9000, "longer than"),
    ],
)
def test_other_urls_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(InputUrlRefused, match=reason):
        check_input_url(url)


def test_refusals_never_repeat_the_query_string() -> None:
    with pytest.raises(InputUrlRefused) as caught:
        check_input_url("ftp://example.com/a.mp3?X-Amz-Signature=topsecret")
    assert "topsecret" not in str(caught.value)


def test_redaction_keeps_where_but_drops_the_credentials() -> None:
    assert redact_url(PRESIGNED) == "https://bucket.s3.eu-west-1.amazonaws.com/inputs/a.mp3?…"
    assert redact_url("http://127.0.0.1:9000/b/k.png") == "http://127.0.0.1:9000/b/k.png"
    assert redact_url("https://user:pw@host/p?q=1") == "https://host/p?…"


def test_link_local_detection_ignores_names_and_other_addresses() -> None:
    assert is_link_local("169.254.169.254")
    assert not is_link_local("127.0.0.1")
    assert not is_link_local("10.0.0.5")
    assert not is_link_local("metadata.example")
