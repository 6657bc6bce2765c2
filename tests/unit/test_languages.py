"""The subtitle language option: codes pass as given, and a refusal says what to write instead."""

from __future__ import annotations

import pytest

from cloudburst.models.languages import checked_language, suggested_language


@pytest.mark.parametrize("code", ["auto", "en", "zh", "zh-Hant", "zh-TW", "yue", "sr-Latn-RS"])
def test_codes_pass_unchanged(code: str) -> None:
    assert checked_language(code) == code


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("chinese", "zh"),  # the older library's default
        ("English", "en"),
        (" japanese ", "ja"),
        ("traditional_chinese", "zh-Hant"),
        ("EN", "en"),
        ("zh_TW", "zh-TW"),
        ("Zh-Hant", "zh-Hant"),
        ("klingon", None),
        ("e", None),
        ("", None),
    ],
)
def test_a_refused_value_gets_the_code_plainly_meant(given: str, meant: str | None) -> None:
    assert suggested_language(given) == meant
    with pytest.raises(ValueError, match="is not a language code") as caught:
        checked_language(given)
    message = str(caught.value)
    assert message.startswith(f"{given!r} is not a language code: give 'auto' or a BCP 47 code such as en, zh")
    assert message.endswith(f"; did you mean {meant!r}?" if meant else "ko")
