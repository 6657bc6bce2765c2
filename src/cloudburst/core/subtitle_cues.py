"""SRT and WebVTT parsed into cues: times in milliseconds and plain text lines.

Written here rather than left to ffmpeg so that a bad file is refused with the line that is wrong, before any
encoding, and so that the text reaches libass through our own escaping (an SRT line such as `{\\pos(0,0)}` must
show as typed, not move the subtitle). The parser tolerates what real files contain: a UTF-8 BOM, CRLF,
missing or wrong cue numbers, '.' for ',' in times, one-digit hours or no hours, extra blank lines, blank
lines missing between cues, trailing spaces, simple HTML-like tags and entities. SRT has no escape for '<', so
only the tags SRT players know (<i>, <b>, <u>, <font ...> and their closers) are dropped there and any other
'<' or '>' is text ('1 < 2', 'a<b'); WebVTT escapes a literal '<' as '&lt;', so every tag goes (<c.x>,
<v Name>, timestamps). What is refused is what cannot be a cue: a line that should be a timing line and is
not, an end before its start, a time that cannot be parsed, and a NUL character (libass would end the text
there, and a text file holds none unless it is binary or UTF-16 read as UTF-8).

The renderer, the CLI's local checks and the Plan Lambda all read subtitles through `cues_from_bytes`, so a
bad file is refused with the same words (the line and what is wrong with it) wherever it is first seen.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from cloudburst.core.media_types import VTT, MediaFormat, decode_subtitle_text

TIME = r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})(?:[,.:](\d{1,3}))?"
_TIMING = re.compile(rf"^\s*{TIME}\s*-->\s*{TIME}(?:\s+(.*))?$")
_LOOKS_LIKE_TIMING = re.compile(r"-->")
_TAG = re.compile(r"<[^<>\n]*>")
_SRT_TAG = re.compile(r"</?\s*[ibu]\s*>|<font(?:\s[^<>]*)?>|</\s*font\s*>", re.IGNORECASE)
_VTT_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_INDEX = re.compile(r"^\s*\d+\s*$")

MAX_SUBTITLE_CUES = 20_000
"""Cues one subtitle file may hold: the renderer's limit, which the earlier checks apply too."""


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    lines: tuple[str, ...]
    source_line: int  # where the cue's timing line is (1-based), for messages


class SubtitleSyntaxError(ValueError):
    """The text is not valid SRT/WebVTT; `line` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


class TooManyCues(ValueError):
    """The file holds more cues than `max_cues` (parsing stops there: a file is not read past its limit)."""


class SubtitlesRejected(ValueError):
    """A subtitle file that cannot be used; the message says why (the line, for a syntax error).
    `too_large` tells a file over the cue limit from one that is not valid."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.too_large = too_large


def cues_from_bytes(data: bytes, fmt: MediaFormat, max_cues: int = MAX_SUBTITLE_CUES) -> list[Cue]:
    """The cues of a whole subtitle file whose format `media_types.sniff` found, or `SubtitlesRejected`."""
    try:
        text = decode_subtitle_text(data)
    except UnicodeDecodeError as exc:
        raise SubtitlesRejected(f"the file is not valid UTF-8 (byte {exc.start})") from None
    try:
        return parse_vtt(text, max_cues) if fmt == VTT else parse_srt(text, max_cues)
    except SubtitleSyntaxError as exc:
        raise SubtitlesRejected(f"not valid {fmt.name.upper()}: {exc}") from None
    except TooManyCues as exc:
        raise SubtitlesRejected(str(exc), too_large=True) from None


def parse_srt(text: str, max_cues: int | None = None) -> list[Cue]:
    return _parse(text, vtt=False, max_cues=max_cues)


def parse_vtt(text: str, max_cues: int | None = None) -> list[Cue]:
    lines = text.split("\n")
    if not lines or not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise SubtitleSyntaxError(1, "a WebVTT file must start with 'WEBVTT'")
    return _parse(text, vtt=True, max_cues=max_cues)


def _parse(text: str, *, vtt: bool, max_cues: int | None) -> list[Cue]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    _refuse_nul(lines)
    cues: list[Cue] = []
    index = 1 if vtt else 0
    if vtt:  # skip the header block (text after WEBVTT up to the first blank line)
        while index < len(lines) and lines[index].strip():
            index += 1
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            continue
        if vtt and _is_vtt_block(line):
            index = _skip_block(lines, index)
            continue
        timing_at = index
        if not _LOOKS_LIKE_TIMING.search(line):
            # An identifier (SRT number or VTT id) may precede the timing line.
            if index + 1 < len(lines) and _LOOKS_LIKE_TIMING.search(lines[index + 1]):
                timing_at = index + 1
            elif not vtt and _INDEX.match(line):
                example = "'00:00:01,000 --> 00:00:02,500'"
                raise SubtitleSyntaxError(index + 2, f"expected a timing line like {example} after cue {line.strip()}")
            else:
                raise SubtitleSyntaxError(index + 1, f"expected a cue timing line, got {_quote(line)}")
        start, end = _timing(lines[timing_at], timing_at + 1)
        text_lines, index = _cue_text(lines, timing_at + 1, vtt=vtt)
        cleaned = tuple(cleaned_line for raw in text_lines if (cleaned_line := clean_text(raw, vtt=vtt)))
        if cleaned and end > start:
            if max_cues is not None and len(cues) == max_cues:
                raise TooManyCues(
                    f"more cues than the limit of {max_cues} (cue {max_cues + 1} is at line {timing_at + 1})"
                )
            cues.append(Cue(start, end, cleaned, timing_at + 1))
    cues.sort(key=lambda cue: (cue.start_ms, cue.source_line))
    return cues


def _cue_text(lines: list[str], index: int, *, vtt: bool) -> tuple[list[str], int]:
    """The text lines of a cue starting at `index`, and where the next block starts."""
    text_lines: list[str] = []
    while index < len(lines) and lines[index].strip():
        if _LOOKS_LIKE_TIMING.search(lines[index]) and _TIMING.match(lines[index]):
            # A blank line was missing: the previous line may be the next cue's number.
            if text_lines and _INDEX.match(text_lines[-1]) and not vtt:
                text_lines.pop()
                index -= 1
            break
        text_lines.append(lines[index])
        index += 1
    return text_lines, index


def _timing(line: str, number: int) -> tuple[int, int]:
    match = _TIMING.match(line)
    if match is None:
        raise SubtitleSyntaxError(number, f"cannot read the times in {_quote(line)}")
    groups = match.groups()
    start = _milliseconds(groups[0:4], number)
    end = _milliseconds(groups[4:8], number)
    if end < start:
        raise SubtitleSyntaxError(number, f"the cue ends ({_format(end)}) before it starts ({_format(start)})")
    return start, end


def _milliseconds(parts: tuple[str | None, ...], number: int) -> int:
    hours, minutes, seconds, fraction = parts
    if int(minutes or 0) > 59 or int(seconds or 0) > 59:
        raise SubtitleSyntaxError(number, "minutes and seconds must be below 60")
    millis = int((fraction or "0").ljust(3, "0")[:3])
    return ((int(hours or 0) * 60 + int(minutes or 0)) * 60 + int(seconds or 0)) * 1000 + millis


def _refuse_nul(lines: list[str]) -> None:
    for number, line in enumerate(lines, start=1):
        if "\0" in line:
            raise SubtitleSyntaxError(number, "contains a NUL character (U+0000); is the file binary or UTF-16?")


def _is_vtt_block(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in stripped


def _skip_block(lines: list[str], index: int) -> int:
    while index < len(lines) and lines[index].strip():
        index += 1
    return index


def clean_text(raw: str, *, vtt: bool) -> str:
    """Markup-free text of one cue line: tags dropped (a WebVTT voice becomes 'Name: '), entities decoded."""
    text = raw.strip()
    if vtt:
        text = _VTT_VOICE.sub(lambda match: f"{match.group(1).strip()}: " if match.group(1).strip() else "", text)
        text = _TAG.sub("", text)
    else:
        text = _SRT_TAG.sub("", text)
    text = html.unescape(text) if "&" in text else text
    return text.replace("\u200e", "").replace("\u200f", "").strip()


def _format(millis: int) -> str:
    seconds, ms = divmod(millis, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d},{ms:03d}"


def _quote(line: str) -> str:
    shown = line.strip()
    return repr(shown if len(shown) <= 60 else shown[:57] + "...")
