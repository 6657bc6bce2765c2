"""ffmpeg's stderr said in one short phrase, for an error message a person reads.

A failing decode writes a line for every damaged packet, each tagged with the component and its memory
address (`[aac @ 0x55d0c3a1b2c0] Reserved bit set.`), among generic lines that only say that decoding
failed (`Error while decoding stream #0:0: Invalid data found when processing input`). What helps is the
first specific complaint or two, without addresses, scratch paths or repeats; the whole text goes to the
renderer's log instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_MESSAGES = 2
MAX_CHARS = 120
SEPARATOR = "; "
NOTHING = "no error message"

_COMPONENT = re.compile(r"^(?:\[[^\]]*@\s*0x[0-9a-fA-F]+\]\s*)+")
"""`[aac @ 0x55d0c3a1b2c0] `: which decoder said it, and where it lived in memory (newer ffmpegs write two)."""
_ADDRESS = re.compile(r"\s*@?\s*0x[0-9a-fA-F]{6,}")
_PATH_PREFIX = re.compile(r"^(?:file:)?/\S*:\s+")
"""`file:/…/work/<render>/inputs/audio.m4a: `: the renderer's scratch copy, meaningless to the user."""
_PATH = re.compile(r"(?:file:)?/\S*/(\S+)")
_NUMBERS = re.compile(r"\d+")
_GENERIC = re.compile(
    r"^(?:Error while (?:de|en)coding stream|Decoding error|Error while processing the decoded data|Conversion failed"
    r"|Nothing was written into output file|Error (?:closing|opening) (?:output|input) file"
    r"|Error writing trailer|Invalid data found when processing input|Task finished with error code)",
    re.IGNORECASE,
)
"""Lines that say ffmpeg failed without saying why: shown only when nothing more specific was written."""


def summarise_stderr(lines: Iterable[str]) -> str:
    """ffmpeg's first specific message, and the next distinct one if both fit in `MAX_CHARS` (one alone is
    cut to fit). Messages that differ only in their numbers count as one: the same complaint about another
    packet."""
    messages: list[str] = []
    seen: set[str] = set()
    for line in lines:
        message = _clean(line)
        key = _NUMBERS.sub("#", message.lower())
        if message and key not in seen:
            seen.add(key)
            messages.append(message)
    chosen = [message for message in messages if not _GENERIC.match(message)] or messages
    if not chosen:
        return NOTHING
    text = chosen[0] if len(chosen[0]) <= MAX_CHARS else chosen[0][: MAX_CHARS - 1].rstrip() + "…"
    for message in chosen[1:MAX_MESSAGES]:
        if len(text) + len(SEPARATOR) + len(message) <= MAX_CHARS:
            text += SEPARATOR + message
    return text


def _clean(line: str) -> str:
    message = _COMPONENT.sub("", line.strip())
    message = _PATH_PREFIX.sub("", message)
    message = _PATH.sub(r"\1", message)
    message = _ADDRESS.sub("", message)
    return message.strip().rstrip(".").strip()
