"""The subtitle `language` option: what it accepts, and the code for what people type instead.

A language name ('chinese', the older library's value) or a code in the wrong case ('EN', 'zh_TW') is a
common slip; refusing it with the regular expression behind the check tells nobody what to write, so the
message says what is accepted and, where the intent is plain, which code was meant.
"""

from __future__ import annotations

import re

LANGUAGE_PATTERN = r"^(auto|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$"
_LANGUAGE = re.compile(LANGUAGE_PATTERN)
ACCEPTED = "'auto' or a BCP 47 code such as en, zh, zh-Hant, ja, ko"

LANGUAGE_NAMES = {
    "arabic": "ar",
    "cantonese": "yue",
    "chinese": "zh",
    "dutch": "nl",
    "english": "en",
    "french": "fr",
    "german": "de",
    "hebrew": "he",
    "hindi": "hi",
    "indonesian": "id",
    "italian": "it",
    "japanese": "ja",
    "korean": "ko",
    "malay": "ms",
    "mandarin": "zh",
    "polish": "pl",
    "portuguese": "pt",
    "russian": "ru",
    "simplified chinese": "zh-Hans",
    "spanish": "es",
    "thai": "th",
    "traditional chinese": "zh-Hant",
    "turkish": "tr",
    "ukrainian": "uk",
    "vietnamese": "vi",
}
"""Names people give instead of codes (lower case), and the code each means."""


def checked_language(value: str) -> str:
    """`value` if it is a language the renderer accepts; otherwise ValueError saying what to write."""
    if _LANGUAGE.match(value):
        return value
    meant = suggested_language(value)
    hint = f"; did you mean {meant!r}?" if meant else ""
    raise ValueError(f"{value[:40]!r} is not a language code: give {ACCEPTED}{hint}")


def suggested_language(value: str) -> str | None:
    """The accepted code a refused value plainly means: a known name, or the code in its usual spelling."""
    text = value.strip()
    named = LANGUAGE_NAMES.get(" ".join(text.lower().replace("-", " ").replace("_", " ").split()))
    if named:
        return named
    primary, _, rest = text.replace("_", "-").partition("-")
    respelt = f"{primary.lower()}-{rest}" if rest else primary.lower()
    return respelt if _LANGUAGE.match(respelt) and respelt != value else None
