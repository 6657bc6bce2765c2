"""Entry point of the `cloudburst` command (the verbs are added by the CLI issue)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("cloudburst: no commands yet", file=sys.stderr)
    return 2
