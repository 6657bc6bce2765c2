"""Which characters no installed font can draw, found before rendering instead of as empty boxes in the video.

libass draws a character with the style's font, or else with any font fontconfig knows that has it; when
none has it, it draws the missing-glyph box (tofu) and says nothing. So the set of drawable characters is the
union of the character sets of the fonts libass can use: fontconfig's, limited to outline fonts, because
libass skips bitmap-only fonts (a colour emoji font in CBDT format is known to fontconfig but never used).
One `fc-list` call gives every font's character set as hex ranges (a few hundred kB, tens of milliseconds);
the merged ranges are cached for the life of the process, and each lookup is a binary search.

Characters that draw nothing by design are not checked: spaces, line and format controls (joiners, direction
marks, the word joiner our ASS escaping inserts) and variation selectors.
"""

from __future__ import annotations

import bisect
import functools
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


@dataclass(frozen=True)
class Coverage:
    """Sorted, non-overlapping inclusive ranges of code points that some usable font has."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def __contains__(self, code: int) -> bool:
        index = bisect.bisect_right(self.starts, code) - 1
        return index >= 0 and code <= self.ends[index]


def parse_charsets(lines: Iterable[str]) -> Coverage:
    """fontconfig's charset text ('20-7e a0-17f 2013 ...', one font per line) merged into one `Coverage`."""
    items: set[str] = set()
    for line in set(lines):  # the styles of one family share a character set: parse it once
        items.update(line.split())
    ranges = sorted(_hex_range(item) for item in items)
    starts: list[int] = []
    ends: list[int] = []
    for first, last in ranges:
        if ends and first <= ends[-1] + 1:
            ends[-1] = max(ends[-1], last)
        else:
            starts.append(first)
            ends.append(last)
    return Coverage(tuple(starts), tuple(ends))


def _hex_range(item: str) -> tuple[int, int]:
    first, _, last = item.partition("-")
    return int(first, 16), int(last or first, 16)


@functools.cache
def installed_coverage() -> Coverage | None:
    """What the outline fonts fontconfig knows cover; None if fontconfig cannot be asked (nothing is checked)."""
    binary = shutil.which("fc-list")
    if binary is None:
        return None
    result = subprocess.run(
        [binary, "--format", "%{charset}\\n", ":outline=true"], capture_output=True, text=True, check=False, timeout=60
    )
    if result.returncode != 0 or not result.stdout.strip():
        return None
    return parse_charsets(result.stdout.splitlines())


def needs_glyph(char: str) -> bool:
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return False  # variation selectors choose a form; they have no glyph of their own
    return unicodedata.category(char) not in _INVISIBLE_CATEGORIES


def undrawable(text: str, coverage: Coverage) -> list[str]:
    """The distinct characters of `text` that no usable font has, in order of first appearance."""
    missing: dict[str, None] = {}
    for char in text:
        if char not in missing and needs_glyph(char) and ord(char) not in coverage:
            missing[char] = None
    return list(missing)


def describe_chars(chars: list[str], limit: int = 6) -> str:
    """ "'न' (U+0928), 'म' (U+092E)" and how many more, for an error message."""
    shown = ", ".join(f"'{char}' (U+{ord(char):04X})" for char in chars[:limit])
    return shown + (f" and {len(chars) - limit} more" if len(chars) > limit else "")
