"""Which characters no installed font can draw: fontconfig's character sets merged, invisible characters
exempt, and the fonts this project installs (scripts/install-system-deps, the Dockerfile) really covering
the scripts they are installed for."""

from __future__ import annotations

import pytest

from cloudburst.renderer.media.subtitles.coverage import (
    describe_chars,
    installed_coverage,
    needs_glyph,
    parse_charsets,
    undrawable,
)


def test_character_sets_of_several_fonts_merge_into_ranges() -> None:
    coverage = parse_charsets(["20-7e a0-ff", "41-5a 100-17f 2013", "20-7e a0-ff", "", "2014 2016-2017"])
    assert (coverage.starts, coverage.ends) == ((0x20, 0xA0, 0x2013, 0x2016), (0x7E, 0x17F, 0x2014, 0x2017))
    assert [code in coverage for code in (0x1F, 0x20, 0x7E, 0x7F, 0x17F, 0x180, 0x2013, 0x2015, 0x2017)] == [
        False, True, True, False, True, False, True, False, True,
    ]  # fmt: skip


def test_undrawable_characters_are_listed_once_in_order_of_appearance() -> None:
    coverage = parse_charsets(["20-7e"])
    assert undrawable("ab€c€ü a", coverage) == ["€", "ü"]
    assert describe_chars(["€", "ü"]) == "'€' (U+20AC), 'ü' (U+00FC)"
    assert describe_chars(list("abcdefgh"), limit=3) == "'a' (U+0061), 'b' (U+0062), 'c' (U+0063) and 5 more"


@pytest.mark.parametrize(
    "char", ["\u200d", "\u200c", "\u2060", "\u200e", "\ufe0f", "\ufe0e", "\u00a0", "\u3000", "\t", "\u00ad"]
)
def test_characters_that_draw_nothing_need_no_glyph(char: str) -> None:
    assert not needs_glyph(char)
    assert undrawable(f"a{char}b", parse_charsets(["61-62"])) == []


@pytest.mark.parametrize(
    "text",
    [
        "Hello, wörld — ça va?",
        "你好，世界",
        "こんにちは",
        "안녕하세요",
        "नमस्ते दुनिया",
        "สวัสดีชาวโลก",
        "নমস্কার",
        "வணக்கம்",
        "مرحبا",
        "שלום",
        "Привет",
        "😀🎉👍🏽🤖",
    ],
)
def test_the_installed_fonts_cover_the_major_scripts_and_common_emoji(text: str) -> None:
    coverage = installed_coverage()
    assert coverage is not None, "fontconfig is missing: run scripts/install-system-deps"
    assert undrawable(text, coverage) == []


def test_private_use_characters_are_covered_by_no_installed_font() -> None:
    coverage = installed_coverage()
    assert coverage is not None
    assert undrawable("ok \ue000\U000f0000", coverage) == ["\ue000", "\U000f0000"]
