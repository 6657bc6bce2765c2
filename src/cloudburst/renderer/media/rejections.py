"""Shorthands for the three ways an input is refused, so every refusal names its input the same way.

Messages start with the input's role ('audio: ...'), which is what the API's error `field` and the user's
report show; the codes are those of the renderer API (`unsupported_input`, `input_unreadable`,
`input_too_large`).
"""

from __future__ import annotations

from cloudburst.renderer.media.api import InputRejected

UNSUPPORTED = "unsupported_input"
UNREADABLE = "input_unreadable"
TOO_LARGE = "input_too_large"


def unsupported(role: str, detail: str) -> InputRejected:
    return InputRejected(UNSUPPORTED, role, f"{role}: {detail}")


def unreadable(role: str, detail: str) -> InputRejected:
    return InputRejected(UNREADABLE, role, f"{role}: {detail}")


def too_large(role: str, detail: str) -> InputRejected:
    return InputRejected(TOO_LARGE, role, f"{role}: {detail}")
