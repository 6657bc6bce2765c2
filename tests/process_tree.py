"""The processes a given process started that are still there, read from /proc (no `ps`, no extra package).

Tests use it to prove that a render, a cancel or a failure leaves no encoder behind. A child that exited but
was never waited for (a zombie) still counts: its parent forgot it, which is the bug such tests look for.
"""

from __future__ import annotations

from pathlib import Path


def children_of(pid: int, *, named: str | None = None) -> list[int]:
    """Process ids whose parent is `pid`, optionally only those whose command name (`comm`) is `named`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        name, after_name = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 1 :]
        if int(after_name.split()[1]) == pid and (named is None or name == named):
            found.append(int(entry.name))
    return found
