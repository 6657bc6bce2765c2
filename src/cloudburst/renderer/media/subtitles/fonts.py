"""Which font draws the subtitles: found through fontconfig by family and by language, as libass will.

CJK text needs a font that has the glyphs (or libass draws empty boxes), and the Han variants differ by
region (a Simplified Chinese font draws some characters differently from a Japanese one), so the font follows
the cues' language: `SubtitleStyle.language`, or for 'auto' the scripts found in the text. The lookup asks
fontconfig (`fc-match`) for 'sans-serif:lang=<lang>' and checks that the answer really covers the language,
so it works with whichever CJK font the machine or container has (Noto CJK, WenQuanYi...), never with a
hard-coded path. The file found is also what the line wrapper measures text with.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

CJK_LANGS = {"zh-cn", "zh-tw", "zh-hk", "ja", "ko"}
_FIELDS = "%{family[0]}\\t%{file}\\t%{index}\\t%{lang}"


@dataclass(frozen=True)
class FontChoice:
    family: str  # what the ASS style names; libass asks fontconfig for it
    file: Path | None  # the face fontconfig resolves it to (None if fontconfig is unavailable)
    index: int  # face index inside a collection (.ttc)
    covers_language: bool


def fontconfig_lang(language: str, text: str) -> str:
    """The fontconfig language tag for a style language ('auto' looks at the text's scripts)."""
    language = language.lower()
    if language == "auto":
        return detect_lang(text)
    if language.startswith("zh"):
        if any(tag in language for tag in ("hant", "-tw", "-mo")):
            return "zh-tw"
        return "zh-hk" if "-hk" in language else "zh-cn"
    return language.split("-")[0]


SCRIPT_LANGS = (
    (0x0900, 0x097F, "hi"),  # Devanagari
    (0x0980, 0x09FF, "bn"),  # Bengali
    (0x0A00, 0x0A7F, "pa"),  # Gurmukhi
    (0x0A80, 0x0AFF, "gu"),  # Gujarati
    (0x0B80, 0x0BFF, "ta"),  # Tamil
    (0x0C00, 0x0C7F, "te"),  # Telugu
    (0x0C80, 0x0CFF, "kn"),  # Kannada
    (0x0D00, 0x0D7F, "ml"),  # Malayalam
    (0x0E00, 0x0E7F, "th"),  # Thai
)
"""Scripts whose fonts are separate from the Latin one (Noto Sans Devanagari, Noto Sans Thai...): for 'auto'
the line wrapper must measure with that font, not with a Latin font that lacks the glyphs."""


def detect_lang(text: str) -> str:
    """'ko' if Hangul, 'ja' if kana, 'zh-cn' if Han, the language of the first Indic or Thai letter, else 'en'
    (any Latin/Cyrillic/... font will do)."""
    has_han = False
    script = None
    for char in text:
        code = ord(char)
        if 0xAC00 <= code <= 0xD7AF or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F:
            return "ko"
        if 0x3040 <= code <= 0x30FF or 0x31F0 <= code <= 0x31FF:
            return "ja"
        if 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or code >= 0x20000:
            has_han = True
        if script is None and 0x0900 <= code <= 0x0E7F:
            script = next((lang for first, last, lang in SCRIPT_LANGS if first <= code <= last), None)
    return "zh-cn" if has_han else script or "en"


def is_cjk(char: str) -> bool:
    """Characters a line may break around without a space (Han, kana, Hangul, full-width forms)."""
    code = ord(char)
    return (
        0x2E80 <= code <= 0x9FFF
        or 0xAC00 <= code <= 0xD7AF
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF
        or 0x20000 <= code <= 0x3FFFF
    )


@functools.cache
def choose_font(family: str | None, lang: str, bold: bool) -> FontChoice:
    """The requested family if fontconfig has it and it covers `lang`; otherwise the best sans-serif for `lang`."""
    weight = ":weight=bold" if bold else ""
    if family:
        found = _fc_match(f"{_escape(family)}:lang={lang}{weight}")
        if found is not None and found.family.lower() == family.lower() and found.covers_language:
            return found
    found = _fc_match(f"sans-serif:lang={lang}{weight}")
    if found is not None:
        return found
    fallback = "Noto Sans CJK SC" if lang in CJK_LANGS else "sans-serif"
    return FontChoice(family or fallback, None, 0, covers_language=False)


def _fc_match(pattern: str) -> FontChoice | None:
    binary = shutil.which("fc-match")
    if binary is None:
        return None
    lang = pattern.rsplit(":lang=", 1)[1].split(":", maxsplit=1)[0]
    result = subprocess.run([binary, "-f", _FIELDS, pattern], capture_output=True, text=True, check=False, timeout=30)
    parts = result.stdout.split("\t")
    if result.returncode != 0 or len(parts) != 4 or not parts[0]:
        return None
    family, file, index, langs = parts
    covered = lang in langs.split("|") or lang.split("-")[0] in langs.split("|")
    return FontChoice(family, Path(file) if file else None, int(index or 0), covered)


def _escape(family: str) -> str:
    """fontconfig pattern syntax gives '-', ':' and ',' meanings; a family name must not use them."""
    return "".join("\\" + char if char in "\\-:," else char for char in family)
