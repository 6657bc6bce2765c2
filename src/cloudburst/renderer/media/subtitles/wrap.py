"""Breaking long cue lines to fit the frame, for every script, measured with the font libass will use.

libass wraps only at spaces (without libunibreak, as in Debian's build), so a long Chinese or Japanese line
would run off the frame. We break lines ourselves: between words, and between CJK characters except where
typography forbids it (never before closing punctuation such as '，。」', never after opening punctuation such
as '「（'). Lines are then balanced: the fewest lines that fit, with their widths as even as possible, which
reads better than a full first line and a stub. A word wider than the line (a URL, a long compound) would
still run off both edges, so it is cut at character boundaries into pieces that fit, never inside a grapheme
(an accent, an emoji sequence or an Indic conjunct stays whole). Widths come from the same font file through
FreeType (Pillow), at the size libass derives from the ASS font size.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Callable

from PIL import ImageFont

from cloudburst.renderer.media.subtitles.fonts import FontChoice, is_cjk

NO_BREAK_BEFORE = set("，。、．・：；！？）」』】〉》〕］｝”’…‥ー々〜,.!?:;)]}%\"'")
NO_BREAK_AFTER = set("（「『【〈《〔［｛“‘([{¥$")
FALLBACK_CJK_EM = 1.0
FALLBACK_LATIN_EM = 0.6

Measure = Callable[[str], float]


def font_measure(font: FontChoice, font_size: int) -> Measure:
    """Width in pixels of a string drawn by libass at ASS font size `font_size` (PlayResY = frame height)."""
    if font.file is None:
        return functools.partial(_estimate, em=font_size)
    try:
        return _pillow_measure(str(font.file), font.index, font_size)
    except OSError:
        return functools.partial(_estimate, em=font_size)


@functools.cache
def _pillow_measure(file: str, index: int, font_size: int) -> Measure:
    reference = ImageFont.truetype(file, 1000, index=index)
    ascent, descent = reference.getmetrics()
    em = font_size * 1000 / (ascent + descent)  # libass sizes fonts by ascent + descent, not by the em square
    face = ImageFont.truetype(file, max(1, round(em)), index=index)
    lock = threading.Lock()  # one FreeType face shared by concurrent renders: measure one string at a time

    def measure(text: str) -> float:
        with lock:
            return float(face.getlength(text))

    return measure


def _estimate(text: str, em: float) -> float:
    return sum(em * (FALLBACK_CJK_EM if is_cjk(char) else FALLBACK_LATIN_EM) for char in text)


def atoms(text: str) -> list[tuple[str, bool]]:
    """The unbreakable pieces of a line, each with whether a space separates it from the previous one."""
    pieces: list[tuple[str, bool]] = []
    current = ""
    spaced = False
    pending_space = False
    for char in text:
        if char.isspace():
            if current:
                pieces.append((current, spaced))
                current = ""
            pending_space = True
            continue
        breakable_here = bool(current) and (is_cjk(char) or is_cjk(current[-1]))
        if breakable_here and char not in NO_BREAK_BEFORE and current[-1] not in NO_BREAK_AFTER:
            pieces.append((current, spaced))
            current, spaced = "", False
        if not current:
            spaced = pending_space and bool(pieces)
            pending_space = False
        current += char
    if current:
        pieces.append((current, spaced))
    return pieces


ZERO_WIDTH_JOINER = "\u200d"


def graphemes(text: str) -> list[str]:
    """`text` cut where a line may break inside a word: an approximation of Unicode's extended grapheme
    clusters that keeps combining marks, variation selectors, emoji modifiers, tags and ZWJ sequences, flag
    pairs and virama + consonant (Indic conjuncts) with the character before them."""
    clusters: list[str] = []
    for char in text:
        if clusters and _continues(clusters[-1], char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _continues(cluster: str, char: str) -> bool:
    code = ord(char)
    last = cluster[-1]
    if ZERO_WIDTH_JOINER in (char, last):
        return True
    if unicodedata.category(char) in ("Mn", "Mc", "Me"):
        return True
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF or 0xE0020 <= code <= 0xE007F:
        return True  # variation selectors, emoji tag sequences
    if 0x1F3FB <= code <= 0x1F3FF:
        return True  # emoji skin-tone modifiers
    if _regional_indicator(char) and _regional_indicator(last):
        return sum(1 for c in cluster if _regional_indicator(c)) % 2 == 1  # flags are pairs
    return unicodedata.combining(last) == 9 and unicodedata.category(char) == "Lo"  # virama + consonant


def _regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def split_wide(piece: str, max_width: float, measure: Measure) -> list[str]:
    """`piece` in consecutive parts no wider than `max_width` (a single grapheme wider than that stays
    whole), each as long as fits: a binary search per part, so a very long word costs O(n log n) measures."""
    clusters = graphemes(piece)
    parts: list[str] = []
    start = 0
    while start < len(clusters):
        low, high = 1, len(clusters) - start  # low always fits (or is the one grapheme we must take)
        while low < high:
            middle = (low + high + 1) // 2
            if measure("".join(clusters[start : start + middle])) <= max_width:
                low = middle
            else:
                high = middle - 1
        parts.append("".join(clusters[start : start + low]))
        start += low
    return parts


def _fitting(pieces: list[tuple[str, bool]], max_width: float, measure: Measure) -> list[tuple[str, bool]]:
    """The atoms with every one wider than the line split into parts that fit; only the first part keeps the
    space before it, so the parts join up again wherever they end up on the same line."""
    result: list[tuple[str, bool]] = []
    for piece, spaced in pieces:
        if measure(piece) <= max_width:
            result.append((piece, spaced))
            continue
        first, *rest = split_wide(piece, max_width, measure)
        result.append((first, spaced))
        result.extend((part, False) for part in rest)
    return result


def _join(pieces: list[tuple[str, bool]]) -> str:
    return "".join((" " if spaced and index else "") + piece for index, (piece, spaced) in enumerate(pieces))


def _greedy(pieces: list[tuple[str, bool]], width: float, measure: Measure) -> list[list[tuple[str, bool]]]:
    lines: list[list[tuple[str, bool]]] = []
    line: list[tuple[str, bool]] = []
    for piece in pieces:
        if line and measure(_join([*line, piece])) > width:
            lines.append(line)
            line = [piece]
        else:
            line.append(piece)
    if line:
        lines.append(line)
    return lines


def wrap_line(text: str, max_width: float, measure: Measure) -> list[str]:
    """`text` as one or more lines no wider than `max_width` (unless a single grapheme is wider), balanced."""
    text = " ".join(text.split())
    if not text or measure(text) <= max_width:
        return [text] if text else []
    pieces = _fitting(atoms(text), max_width, measure)
    target = len(_greedy(pieces, max_width, measure))
    low, high = max_width / target, max_width
    for _ in range(12):  # shrink the width while the line count stays the same
        middle = (low + high) / 2
        if len(_greedy(pieces, middle, measure)) <= target:
            high = middle
        else:
            low = middle
    return [_join(line) for line in _greedy(pieces, high, measure)]
