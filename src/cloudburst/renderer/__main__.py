"""`python -m cloudburst.renderer` / `cloudburst-renderer`: the container's entry point."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    print("cloudburst-renderer: not implemented yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
