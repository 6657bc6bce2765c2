"""SRT and WebVTT parsing: what real files contain is accepted, garbage is refused with its line number."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cloudburst.core.media_types import SRT, VTT
from cloudburst.core.subtitle_cues import (
    Cue,
    SubtitlesRejected,
    SubtitleSyntaxError,
    TooManyCues,
    clean_text,
    cues_from_bytes,
    parse_srt,
    parse_vtt,
)


def test_a_plain_srt_gives_times_in_milliseconds_and_text_lines() -> None:
    cues = parse_srt("1\n00:00:01,000 --> 00:00:02,500\nHello\nworld\n\n2\n00:01:02,003 --> 01:00:00,000\nBye\n")
    assert cues == [
        Cue(1000, 2500, ("Hello", "world"), 2),
        Cue(62003, 3_600_000, ("Bye",), 7),
    ]


def test_crlf_bare_cr_and_trailing_spaces_are_tolerated() -> None:
    cues = parse_srt("1\r\n00:00:01,000 --> 00:00:02,000  \r\nHi  \r\n\r\n2\r00:00:03,000 --> 00:00:04,000\rYo\r")
    assert [(cue.start_ms, cue.lines) for cue in cues] == [(1000, ("Hi",)), (3000, ("Yo",))]


@pytest.mark.parametrize(
    ("timing", "start", "end"),
    [
        ("00:00:01.5 --> 00:00:02.25", 1500, 2250),  # '.' for ',' and short fractions
        ("0:00:01,000 --> 0:00:02,000", 1000, 2000),  # one-digit hours
        ("00:01,000 --> 00:02,000", 1000, 2000),  # no hours
        ("00:00:01 --> 00:00:02", 1000, 2000),  # no fraction
        ("00:00:01,000-->00:00:02,000", 1000, 2000),  # no spaces
        ("00:00:01,000 --> 00:00:02,000 X1:10 X2:20 Y1:5 Y2:9", 1000, 2000),  # position coordinates
    ],
)
def test_sloppy_timing_lines_are_read(timing: str, start: int, end: int) -> None:
    (cue,) = parse_srt(f"1\n{timing}\ntext\n")
    assert (cue.start_ms, cue.end_ms) == (start, end)


def test_missing_numbers_extra_blank_lines_and_a_missing_blank_line_are_tolerated() -> None:
    text = "\n\n00:00:01,000 --> 00:00:02,000\nno number\n\n\n\n7\n00:00:03,000 --> 00:00:04,000\nfirst\n8\n"
    text += "00:00:05,000 --> 00:00:06,000\nsecond, no blank line before\n"
    cues = parse_srt(text)
    assert [cue.lines for cue in cues] == [("no number",), ("first",), ("second, no blank line before",)]


def test_cues_are_sorted_and_empty_or_zero_length_cues_dropped() -> None:
    text = "1\n00:00:05,000 --> 00:00:06,000\nlate\n\n2\n00:00:01,000 --> 00:00:02,000\nearly\n\n"
    text += "3\n00:00:03,000 --> 00:00:03,000\nzero\n\n4\n00:00:04,000 --> 00:00:05,000\n<i></i>\n"
    assert [cue.lines for cue in parse_srt(text)] == [("early",), ("late",)]


def test_markup_is_dropped_and_entities_decoded_but_braces_kept() -> None:
    assert clean_text("<i>Hello</i> <font color='red'>{world}</font> &amp; &lt;3", vtt=False) == "Hello {world} & <3"
    assert (
        clean_text("<v Roger Bingham>We are <c.loud>here</c><00:00:01.500>", vtt=True) == "Roger Bingham: We are here"
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("1 < 2 and 3 > 2, a<b, x>y", "1 < 2 and 3 > 2, a<b, x>y"),
        ('<I>loud</I> <B>bold</B> <U>under</U> <Font Color="#ff0000" size=3>red</FONT>', "loud bold under red"),
        ("< i >spaced tags</ i >", "spaced tags"),
        ("<html> <c.x>vtt</c> <v Ann>x <span>y</span>", "<html> <c.x>vtt</c> <v Ann>x <span>y</span>"),
        ("<fontsize> <i", "<fontsize> <i"),
        ("a -> b <- c", "a -> b <- c"),
    ],
)
def test_srt_drops_only_the_tags_srt_players_know_and_keeps_every_other_angle_bracket(raw: str, shown: str) -> None:
    assert clean_text(raw, vtt=False) == shown
    (cue,) = parse_srt(f"1\n00:00:00,000 --> 00:00:02,000\n{raw}\n")
    assert cue.lines == (shown,)


def test_webvtt_still_drops_every_tag_and_needs_entities_for_a_literal_angle_bracket() -> None:
    assert clean_text("1 &lt; 2 <b>bold</b> <i.x>i</i> <lang en>x</lang>", vtt=True) == "1 < 2 bold i x"


@pytest.mark.parametrize("parse", [parse_srt, parse_vtt])
def test_a_nul_character_is_refused_with_its_line(parse: Callable[[str], list[Cue]]) -> None:
    head = "WEBVTT\n\n" if parse is parse_vtt else "1\n"
    text = f"{head}00:00:00,000 --> 00:00:02,000\nbefore\n"
    line = text.count("\n") + 1
    with pytest.raises(SubtitleSyntaxError) as caught:
        parse(f"{text}visible\0hidden\n")
    assert caught.value.line == line
    assert "NUL" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\nnot a timing line\nbad\n", 6, "timing line"),
        ("1\n00:00:02,000 --> 00:00:01,000\nbackwards\n", 2, "ends (00:00:01,000) before it starts"),
        ("1\n00:00:01,000 --> 00:61:00,000\nbad minutes\n", 2, "below 60"),
        ("1\n00:00:01,000 --> soon\ntext\n", 2, "cannot read the times"),
        ("hello there\nthis is prose\n", 1, "expected a cue timing line, got 'hello there'"),
    ],
)
def test_garbage_is_refused_with_the_line_that_is_wrong(text: str, line: int, fragment: str) -> None:
    with pytest.raises(SubtitleSyntaxError) as caught:
        parse_srt(text)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"line {line}: ")
    assert fragment in str(caught.value)


def test_webvtt_header_notes_styles_ids_and_settings_are_understood() -> None:
    text = (
        "WEBVTT - a title\nKind: captions\n\nNOTE a comment\nover two lines\n\nSTYLE\n::cue { color: red }\n\n"
        "intro\n00:01.000 --> 00:02.500 align:start position:10%\n<b>Hi</b>\n\n"
        "01:00:00.000 --> 01:00:01.000\nlate\n"
    )
    cues = parse_vtt(text)
    assert [(cue.start_ms, cue.end_ms, cue.lines) for cue in cues] == [
        (1000, 2500, ("Hi",)),
        (3_600_000, 3_601_000, ("late",)),
    ]


def test_webvtt_must_start_with_its_signature() -> None:
    with pytest.raises(SubtitleSyntaxError, match="line 1: a WebVTT file must start with 'WEBVTT'"):
        parse_vtt("00:01.000 --> 00:02.000\nHi\n")


def _srt(count: int) -> str:
    return "".join(f"{n}\n00:00:{n:02d},000 --> 00:00:{n:02d},500\ncue {n}\n\n" for n in range(1, count + 1))


def test_the_cue_limit_stops_the_parse_at_the_first_cue_over_it() -> None:
    assert len(parse_srt(_srt(3), max_cues=3)) == 3
    with pytest.raises(TooManyCues, match=r"^more cues than the limit of 2 \(cue 3 is at line 10\)$"):
        parse_srt(_srt(3), max_cues=2)


def test_a_file_is_refused_with_the_format_line_and_fault() -> None:
    data = (_srt(2) + "3\n00:00:03,000 --> 00:0x:04,000\nbad\n").encode()
    with pytest.raises(SubtitlesRejected) as caught:
        cues_from_bytes(data, SRT)
    assert str(caught.value) == "not valid SRT: line 10: cannot read the times in '00:00:03,000 --> 00:0x:04,000'"
    assert not caught.value.too_large
    with pytest.raises(SubtitlesRejected, match=r"^not valid VTT: line 1: a WebVTT file must start with 'WEBVTT'$"):
        cues_from_bytes(b"00:01.000 --> 00:02.000\nHi\n", VTT)


def test_bytes_that_are_not_utf8_and_files_over_the_limit_are_refused() -> None:
    with pytest.raises(SubtitlesRejected, match=r"^the file is not valid UTF-8 \(byte 36\)$"):
        cues_from_bytes(b"1\n00:00:01,000 --> 00:00:02,000\nbad \xff\n", SRT)
    with pytest.raises(SubtitlesRejected, match="more cues than the limit of 1") as caught:
        cues_from_bytes(_srt(2).encode(), SRT, max_cues=1)
    assert caught.value.too_large


def test_a_bom_and_crlf_are_read_like_the_renderer_reads_them() -> None:
    cues = cues_from_bytes(b"\xef\xbb\xbf" + _srt(2).replace("\n", "\r\n").encode(), SRT)
    assert [(cue.start_ms, cue.lines) for cue in cues] == [(1000, ("cue 1",)), (2000, ("cue 2",))]
