"""Line breaking: words and CJK characters, typographic rules, balanced lines."""

from __future__ import annotations

from cloudburst.renderer.media.subtitles.fonts import detect_lang, fontconfig_lang
from cloudburst.renderer.media.subtitles.wrap import atoms, graphemes, split_wide, wrap_line


def _monospace(text: str) -> float:
    """10 px per Latin character, 20 per CJK character: enough to test the rules."""
    return sum(20.0 if ord(char) > 0x2E80 else 10.0 for char in text)


def test_a_line_that_fits_is_left_alone() -> None:
    assert wrap_line("short line", 200, _monospace) == ["short line"]


def test_latin_breaks_between_words_into_balanced_lines() -> None:
    lines = wrap_line("the quick brown fox jumps over the lazy dog again", 300, _monospace)
    assert lines == ["the quick brown fox jumps", "over the lazy dog again"]
    assert all(_monospace(line) <= 300 for line in lines)


def test_cjk_breaks_between_characters_but_never_before_closing_punctuation() -> None:
    text = "这是一个很长的中文字幕，用来测试自动换行是否正常。"
    lines = wrap_line(text, 300, _monospace)
    assert "".join(lines) == text
    assert len(lines) == 2
    assert all(_monospace(line) <= 300 for line in lines)
    assert not any(line[0] in "，。" for line in lines)


def test_opening_punctuation_stays_with_what_follows() -> None:
    pieces = [piece for piece, _spaced in atoms("他说「你好」，然后走了")]
    assert "「你" in pieces
    assert "好」，" in pieces


def test_mixed_scripts_keep_their_spaces() -> None:
    assert atoms("Hello 世界 ok") == [("Hello", False), ("世", True), ("界", False), ("ok", True)]


def test_a_word_longer_than_the_line_is_cut_into_pieces_that_fit() -> None:
    url = "https://example.com/a/very/long/path"
    lines = wrap_line(f"a {url} b", 100, _monospace)
    assert lines[0] == "a"  # the word starts on a line of its own, as long as a line allows
    assert "".join(lines[1:]).removesuffix(" b") == url
    assert lines[-1].endswith(" b")
    assert all(_monospace(line) <= 100 for line in lines)
    assert [len(line) for line in lines[1:-1]] == [10, 10, 10]


def test_pieces_of_a_long_word_never_split_a_grapheme() -> None:
    word = "e\u0301" * 12 + "👍🏽" + "🇫🇷" * 3 + "👩\u200d💻" + "क्ष" * 4  # accents, emoji sequences, conjuncts
    lines = wrap_line(word, 30, lambda text: 10.0 * len(graphemes(text)))
    assert "".join(lines) == word
    assert all(len(graphemes(line)) <= 3 for line in lines)
    assert all(set(graphemes(line)) <= set(graphemes(word)) for line in lines)
    assert graphemes("e\u0301👍🏽🇫🇷🇩🇪👩\u200d💻क्ष") == ["e\u0301", "👍🏽", "🇫🇷", "🇩🇪", "👩\u200d💻", "क्ष"]


def test_a_single_grapheme_wider_than_the_line_is_kept_whole() -> None:
    assert split_wide("abc", 5, _monospace) == ["a", "b", "c"]


def test_the_font_language_follows_the_text_or_the_style() -> None:
    assert detect_lang("Hello there") == "en"
    assert detect_lang("你好") == "zh-cn"
    assert detect_lang("こんにちは世界") == "ja"
    assert detect_lang("안녕하세요") == "ko"
    assert detect_lang("Say नमस्ते") == "hi"
    assert detect_lang("สวัสดี and வணக்கம்") == "th"
    assert detect_lang("ভালো") == "bn"
    assert fontconfig_lang("zh-Hant", "") == "zh-tw"
    assert fontconfig_lang("zh-HK", "") == "zh-hk"
    assert fontconfig_lang("zh", "") == "zh-cn"
    assert fontconfig_lang("auto", "日本語のテキスト") == "ja"
