"""Bearer tokens: parsed strictly, compared in constant time, refused with a specific 401."""

from __future__ import annotations

import pytest

from cloudburst.renderer.auth import check_authorization, presented_token, token_matches
from cloudburst.renderer.errors import ApiError, ErrorCode


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer abc", "abc"),
        ("  Bearer   abc  ", "abc"),
        ("Basic YWJjOmRlZg==", None),
        ("Bearer", None),
        ("Bearer   ", None),
        ("", None),
        (None, None),
    ],
)
def test_the_token_is_read_from_a_bearer_header_only(header: str | None, token: str | None) -> None:
    assert presented_token(header) == token


def test_only_the_exact_token_matches() -> None:
    assert token_matches("s3cret", "Bearer s3cret")
    assert not token_matches("s3cret", "Bearer s3cre")
    assert not token_matches("s3cret", "Bearer s3cret2")
    assert not token_matches("s3cret", "Basic s3cret")
    assert not token_matches("tökén", "Bearer token")


def test_missing_and_wrong_tokens_are_refused_differently() -> None:
    with pytest.raises(ApiError) as missing:
        check_authorization("s3cret", None)
    with pytest.raises(ApiError) as wrong:
        check_authorization("s3cret", "Bearer nope")
    assert missing.value.failure.code is wrong.value.failure.code is ErrorCode.UNAUTHORIZED
    assert missing.value.failure.http_status == 401
    assert "missing Authorization header" in missing.value.failure.message
    assert "wrong" in wrong.value.failure.message
    assert "s3cret" not in wrong.value.failure.message


def test_no_expected_token_means_authentication_is_off() -> None:
    check_authorization(None, None)
    check_authorization(None, "Bearer anything")
