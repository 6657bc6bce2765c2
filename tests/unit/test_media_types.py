"""Input formats are decided from the bytes, and refusals say what the file looks like."""

from __future__ import annotations

import pytest

from cloudburst.core import media_types as mt
from cloudburst.core.subtitle_cues import SubtitleSyntaxError, parse_srt


def _ogg_bos(packet: bytes, serial: int = 1) -> bytes:
    """An Ogg beginning-of-stream page holding `packet` (CRC left at 0: sniffing does not check it)."""
    return b"OggS\0\x02" + bytes(8) + serial.to_bytes(4, "little") + bytes(8) + bytes([1, len(packet)]) + packet


VORBIS_HEAD = b"\x01vorbis" + bytes(22)


@pytest.mark.parametrize(
    ("kind", "head", "expected"),
    [
        (mt.MediaKind.IMAGE, b"\x89PNG\r\n\x1a\n" + b"\0" * 20, mt.PNG),
        (mt.MediaKind.IMAGE, b"\xff\xd8\xff\xe0\0\x10JFIF", mt.JPEG),
        (mt.MediaKind.IMAGE, b"RIFF\x10\0\0\0WEBPVP8 ", mt.WEBP),
        (mt.MediaKind.AUDIO, b"ID3\x04\0\0\0\0\0\x02\0\0\xff\xfb\x90\x00", mt.MP3),
        (mt.MediaKind.AUDIO, b"ID3\x04\0\0\0\0\x7f\x7f" + b"\0" * 100, mt.MP3),  # tag longer than the head
        (mt.MediaKind.AUDIO, b"\xff\xfb\x90\x00" + b"\0" * 10, mt.MP3),
        (mt.MediaKind.AUDIO, b"\xff\xf1\x50\x80" + b"\0" * 10, mt.AAC),
        (mt.MediaKind.AUDIO, b"RIFF\x24\0\0\0WAVEfmt ", mt.WAV),
        (mt.MediaKind.AUDIO, b"\0\0\0\x20ftypM4A \0\0\0\0", mt.M4A),
        (mt.MediaKind.AUDIO, _ogg_bos(VORBIS_HEAD), mt.OGG),
        (mt.MediaKind.AUDIO, _ogg_bos(b"OpusHead\x01\x02" + bytes(9)), mt.OPUS),
        (mt.MediaKind.AUDIO, _ogg_bos(b"\x7fFLAC\x01\x00\x00\x01fLaC" + bytes(38)), mt.OGG_FLAC),
        (mt.MediaKind.AUDIO, _ogg_bos(b"fishead\0" + bytes(56)) + _ogg_bos(VORBIS_HEAD, 2), mt.OGG),  # Skeleton first
        (mt.MediaKind.AUDIO, b"fLaC\0\0\0\x22", mt.FLAC),
        (mt.MediaKind.AUDIO, b"ID3\x03\0\0\0\0\0\x0a" + bytes(10) + b"fLaC\0\0\0\x22", mt.FLAC),  # tagged FLAC
        (mt.MediaKind.SUBTITLES, b"1\r\n00:00:01,000 --> 00:00:02,500\r\nHello\r\n", mt.SRT),
        (
            mt.MediaKind.SUBTITLES,
            b"\xef\xbb\xbf1\n00:00:01,000 --> 00:00:02,500\n\xe4\xbd\xa0\xe5\xa5\xbd\n",
            mt.SRT,
        ),
        (mt.MediaKind.SUBTITLES, b"WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n", mt.VTT),
        # A first timing line the cue parser will refuse is still SRT: the parser names its line and fault.
        (mt.MediaKind.SUBTITLES, b"1\n00:0x:00,000 --> 00:00:01,000\nHi\n", mt.SRT),
        (mt.MediaKind.SUBTITLES, b"00:00:00,000 --> 00:00:1,50\nHi\n", mt.SRT),
        (mt.MediaKind.SUBTITLES, b"1\n00:00.000 --> 00:01.000\nNo hours\n", mt.SRT),
    ],
)
def test_allowed_formats_are_recognised(kind: mt.MediaKind, head: bytes, expected: mt.MediaFormat) -> None:
    assert mt.sniff(kind, head) == expected


_SRT = "1\n00:00:00,000 --> 00:00:01,000\nHello\n"
_HINDI_SRT = "1\n00:00:00,000 --> 00:00:01,000\n" + "नमस्ते दुनिया, यह हिंदी है " * 20 + "\n"


@pytest.mark.parametrize(
    ("kind", "head", "expected"),
    [
        (mt.MediaKind.AUDIO, b"#EXTM3U\n#EXT-X-VERSION:3\nhttp://evil/x.ts\n", "an HLS/M3U playlist"),
        (mt.MediaKind.AUDIO, b"ffconcat version 1.0\nfile '/etc/passwd'\n", "an ffmpeg concat script"),
        (mt.MediaKind.AUDIO, b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (mt.MediaKind.AUDIO, _ogg_bos(b"Speex   1.2" + bytes(69)), "Ogg Speex is not supported"),
        (mt.MediaKind.AUDIO, _ogg_bos(b"\x80theora" + bytes(35)), "Ogg Theora video is not supported"),
        (mt.MediaKind.AUDIO, _ogg_bos(b"mystery!"), "Ogg with an unknown codec is not supported"),
        (mt.MediaKind.IMAGE, b"GIF89a", "a GIF image"),
        (mt.MediaKind.IMAGE, b"<svg xmlns='http://www.w3.org/2000/svg'/>", "an XML or HTML document"),
        (mt.MediaKind.SUBTITLES, b"\xff\xfe1\x00", "subtitles must be UTF-8; this file looks UTF-16"),
        (mt.MediaKind.SUBTITLES, b"\xfe\xff\x001", "subtitles must be UTF-8; this file looks UTF-16"),
        (mt.MediaKind.SUBTITLES, _SRT.encode("utf-16-le"), "subtitles must be UTF-8; this file looks UTF-16"),
        (mt.MediaKind.SUBTITLES, _SRT.encode("utf-16-be"), "subtitles must be UTF-8; this file looks UTF-16"),
        (mt.MediaKind.SUBTITLES, _HINDI_SRT.encode("utf-16-le"), "subtitles must be UTF-8; this file looks UTF-16"),
        (mt.MediaKind.SUBTITLES, b"   \n\n", "the file contains no cues"),
        (mt.MediaKind.SUBTITLES, b"\xef\xbb\xbf\r\n\t \r\n", "the file contains no cues"),
        (mt.MediaKind.SUBTITLES, b"just some words\nno timings\n", "expected SRT or WebVTT"),
        (mt.MediaKind.SUBTITLES, b"<!DOCTYPE html>\n<!-- x --> y\n", "an XML or HTML document"),
        (mt.MediaKind.IMAGE, b"", "the file is empty"),
    ],
)
def test_refusals_say_what_the_file_looks_like(kind: mt.MediaKind, head: bytes, expected: str) -> None:
    with pytest.raises(mt.UnsupportedMedia, match=expected):
        mt.sniff(kind, head, role="watermark" if kind is mt.MediaKind.IMAGE else None)


def test_refusal_names_the_role() -> None:
    with pytest.raises(mt.UnsupportedMedia) as caught:
        mt.sniff(mt.MediaKind.IMAGE, b"GIF89a", role="watermark")
    assert caught.value.role == "watermark"
    assert str(caught.value).startswith("watermark: expected a PNG, JPEG or WebP image")


def test_subtitle_text_decoding_normalises_bom_and_line_ends() -> None:
    assert mt.decode_subtitle_text(b"\xef\xbb\xbfa\r\nb\rc\n") == "a\nb\nc\n"
    # a sniffed prefix may end inside a multibyte character
    assert mt.decode_subtitle_text("你好".encode()[:-1], partial=True) == "你"


@pytest.mark.parametrize(
    "timing",
    [
        "00:00:01,000 --> 00:00:02,500",
        "00:00:01.5 --> 00:00:02.25",
        "0:00:01,000 --> 0:00:02,000",
        "00:01,000 --> 00:02,000",
        "00:00.000 --> 00:01.000",
        "00:00:01 --> 00:00:02",
        "00:00:01,000-->00:00:02,000",
        "00:00:01:000 --> 00:00:02:000",
        "100:00:01,000 --> 100:00:02,000",
        "00:00:01,000 --> 00:00:02,000 X1:10 X2:20 Y1:5 Y2:9",
    ],
)
def test_sniffing_accepts_every_timing_line_the_cue_parser_reads(timing: str) -> None:
    text = f"1\n{timing}\ntext\n"
    assert len(parse_srt(text)) == 1
    assert mt.sniff(mt.MediaKind.SUBTITLES, text.encode()) == mt.SRT


@pytest.mark.parametrize("timing", ["00:00:01,000 --> later", "00:00:01,000 --> 00:00:02,000x", "1 --> 2"])
def test_a_timing_line_the_parser_refuses_is_left_to_the_parser_to_name(timing: str) -> None:
    # The sniffer only tells SRT from other files; "expected SRT or WebVTT" would hide the line at fault.
    text = f"1\n{timing}\ntext\n"
    assert mt.sniff(mt.MediaKind.SUBTITLES, text.encode()) == mt.SRT
    with pytest.raises(SubtitleSyntaxError, match="line 2: "):
        parse_srt(text)


def test_utf8_text_is_never_taken_for_utf16() -> None:
    for text in (_SRT, _HINDI_SRT, "1\n00:00:00,000 --> 00:00:01,000\n你好 😀\n"):
        assert not mt.looks_utf16(text.encode())
