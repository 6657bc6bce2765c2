"""Bearer-token authentication for every route but /healthz.

The token is per batch (the state machine passes it to the task and to the Lambdas that drive it), so a
renderer reachable on the VPC still renders only for its own batch. The comparison is constant-time
(`hmac.compare_digest`) so response timing reveals nothing about how much of a guess was right.
"""

from __future__ import annotations

import hmac

from cloudburst.renderer.errors import ApiError, ErrorCode

SCHEME = "bearer"


def presented_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None if the header is absent or another scheme."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != SCHEME or not token.strip():
        return None
    return token.strip()


def token_matches(expected: str, authorization: str | None) -> bool:
    presented = presented_token(authorization)
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def check_authorization(expected: str | None, authorization: str | None) -> None:
    """Raise `unauthorized` unless the header carries `expected`; `expected` None means auth is off
    (only possible with --insecure-local-dev)."""
    if expected is None:
        return
    if not authorization:
        raise ApiError(ErrorCode.UNAUTHORIZED, "missing Authorization header: send 'Authorization: Bearer <token>'")
    if not token_matches(expected, authorization):
        raise ApiError(ErrorCode.UNAUTHORIZED, "the bearer token is missing or wrong")
