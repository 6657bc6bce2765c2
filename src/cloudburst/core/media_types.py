"""What kind of file is this? Decided from its first bytes, never from its name.

The renderer, the Plan Lambda and the CLI all refuse the same inputs for the same reason: an image must be a
PNG, JPEG or WebP; audio MP3, WAV, M4A/AAC, Ogg (Vorbis/Opus) or FLAC (native or in Ogg); subtitles UTF-8
SRT or WebVTT. The detected format also tells the renderer which ffmpeg demuxer to force, so a crafted file
(an HLS playlist named `.mp3`, say) is read as what it claims to be or not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

SNIFF_BYTES = 64 * 1024
"""How much of the start of a file sniffing needs (and what callers should read or fetch)."""


class MediaKind(StrEnum):
    IMAGE = "image"
    AUDIO = "audio"
    SUBTITLES = "subtitles"


class UnsupportedMedia(ValueError):
    """The bytes are not one of the formats allowed for this role; the message says what they look like."""

    def __init__(self, role: str, detail: str) -> None:
        super().__init__(f"{role}: {detail}")
        self.role = role
        self.detail = detail


@dataclass(frozen=True)
class MediaFormat:
    kind: MediaKind
    name: str  # png, jpeg, webp, mp3, wav, m4a, aac, ogg, opus, ogg-flac, flac, srt, vtt
    mime: str
    demuxer: str | None  # the ffmpeg demuxer to force (-f); None for images (decoded by Pillow)


PNG = MediaFormat(MediaKind.IMAGE, "png", "image/png", None)
JPEG = MediaFormat(MediaKind.IMAGE, "jpeg", "image/jpeg", None)
WEBP = MediaFormat(MediaKind.IMAGE, "webp", "image/webp", None)
MP3 = MediaFormat(MediaKind.AUDIO, "mp3", "audio/mpeg", "mp3")
WAV = MediaFormat(MediaKind.AUDIO, "wav", "audio/wav", "wav")
M4A = MediaFormat(MediaKind.AUDIO, "m4a", "audio/mp4", "mov")
AAC = MediaFormat(MediaKind.AUDIO, "aac", "audio/aac", "aac")
OGG = MediaFormat(MediaKind.AUDIO, "ogg", "audio/ogg", "ogg")
OPUS = MediaFormat(MediaKind.AUDIO, "opus", "audio/ogg; codecs=opus", "ogg")
OGG_FLAC = MediaFormat(MediaKind.AUDIO, "ogg-flac", "audio/ogg; codecs=flac", "ogg")
FLAC = MediaFormat(MediaKind.AUDIO, "flac", "audio/flac", "flac")
SRT = MediaFormat(MediaKind.SUBTITLES, "srt", "application/x-subrip", "srt")
VTT = MediaFormat(MediaKind.SUBTITLES, "vtt", "text/vtt", "webvtt")

_M4A_BRANDS = {
    b"M4A ",
    b"M4B ",
    b"mp42",
    b"mp41",
    b"isom",
    b"iso2",
    b"iso5",
    b"iso6",
    b"dash",
    b"MSNV",
    b"3gp4",
}
_SRT_TIMING_SHAPE = re.compile(r"^\s*\d[^>]*-->")
"""A line that means to be an SRT timing line (a number, then an arrow). Whether its times can be read is
the cue parser's to say (`subtitle_cues`), with the line number: the sniffer only tells SRT from the rest."""
_OGG_CODECS: dict[bytes, tuple[MediaFormat | None, str]] = {
    # first bytes of a stream's first packet: (our format, or None when refused; the codec's name)
    b"OpusHead": (OPUS, "Opus"),
    b"\x01vorbis": (OGG, "Vorbis"),
    b"\x7fFLAC": (OGG_FLAC, "FLAC"),
    b"Speex   ": (None, "Speex"),
    b"\x80theora": (None, "Theora video"),
    b"\x80kate": (None, "Kate"),
    b"fishead\x00": (None, "Skeleton"),
    b"CELT    ": (None, "CELT"),
    b"PCM     ": (None, "PCM"),
}
AUDIO_FORMATS = "MP3, WAV, M4A/AAC, Ogg (Vorbis/Opus) or FLAC audio"  # FLAC also in Ogg


def sniff(kind: MediaKind, head: bytes, role: str | None = None) -> MediaFormat:
    """The format of a file from its first bytes (give at least `SNIFF_BYTES`, or the whole file if smaller).

    `role` names the input in the error ("audio", "watermark"...); it defaults to the kind.
    """
    role = role or kind.value
    if not head:
        raise UnsupportedMedia(role, "the file is empty")
    match kind:
        case MediaKind.IMAGE:
            return _sniff_image(head, role)
        case MediaKind.AUDIO:
            return _sniff_audio(head, role)
        case MediaKind.SUBTITLES:
            return _sniff_subtitles(head, role)


def describe(head: bytes) -> str:
    """A short guess at what a refused file is, so the error helps ('an HLS playlist', 'a PNG image')."""
    text = head[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    guesses = [
        (head.startswith(b"\x89PNG"), "a PNG image"),
        (head.startswith(b"\xff\xd8\xff"), "a JPEG image"),
        (head.startswith(b"GIF8"), "a GIF image"),
        (head[:4] == b"RIFF" and head[8:12] == b"WEBP", "a WebP image"),
        (text.startswith(b"#EXTM3U"), "an HLS/M3U playlist"),
        (text.startswith(b"ffconcat") or text.startswith(b"file "), "an ffmpeg concat script"),
        (text[:1] in (b"<",), "an XML or HTML document"),
        (text[:1] in (b"{", b"["), "a JSON document"),
        (head.startswith(b"%PDF"), "a PDF document"),
        (head.startswith(b"PK\x03\x04"), "a ZIP archive"),
        (head[4:8] == b"ftyp", "an MP4/QuickTime file"),
        (head.startswith(b"\x1aE\xdf\xa3"), "a Matroska/WebM file"),
    ]
    for hit, what in guesses:
        if hit:
            return what
    return "an unrecognised format"


def _sniff_image(head: bytes, role: str) -> MediaFormat:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    raise UnsupportedMedia(role, f"expected a PNG, JPEG or WebP image, got {describe(head)}")


def _sniff_audio(head: bytes, role: str) -> MediaFormat:
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"fLaC"):
        return FLAC
    if head.startswith(b"OggS"):
        return _sniff_ogg(head, role)
    if head[4:8] == b"ftyp" and head[8:12] in _M4A_BRANDS:
        return M4A
    body = _skip_id3(head)
    if body is None:  # an ID3 tag larger than the sniffed bytes (cover art): MP3 is what carries ID3v2
        return MP3
    if head.startswith(b"ID3") and body.startswith(b"fLaC"):
        return FLAC  # some taggers put ID3v2 in front of FLAC; ffmpeg skips it whatever demuxer is forced
    if len(body) >= 2 and body[0] == 0xFF:
        if body[1] & 0xF6 == 0xF0:  # 12-bit sync, layer 00: ADTS AAC
            return AAC
        if body[1] & 0xE0 == 0xE0 and (body[1] >> 1) & 0x03 in (1, 2):  # MPEG audio layer III or II
            return MP3
    raise UnsupportedMedia(role, f"expected {AUDIO_FORMATS}, got {describe(head)}")


def _sniff_ogg(head: bytes, role: str) -> MediaFormat:
    """The audio codec of an Ogg file, from its beginning-of-stream pages (which all come first).

    Opus, then Vorbis, then FLAC when a file multiplexes several streams (the renderer takes the first audio
    stream; a file with two audio codecs is rare enough not to be worth more)."""
    found = [
        codec
        for packet in _ogg_stream_heads(head)
        for prefix, codec in _OGG_CODECS.items()
        if packet.startswith(prefix)
    ]
    for fmt in (OPUS, OGG, OGG_FLAC):
        if any(found_fmt is fmt for found_fmt, _name in found):
            return fmt
    names = " and ".join(sorted({name for _fmt, name in found})) or "with an unknown codec"
    raise UnsupportedMedia(role, f"Ogg {names} is not supported; expected {AUDIO_FORMATS}")


def _ogg_stream_heads(head: bytes) -> list[bytes]:
    """The start of each logical stream's first packet, from the leading beginning-of-stream pages."""
    packets = []
    position = 0
    while head[position : position + 4] == b"OggS" and len(head) >= position + 27:
        if not head[position + 5] & 0x02:  # not a beginning-of-stream page: the stream headers are over
            break
        segments = head[position + 26]
        data = position + 27 + segments
        packets.append(head[data : data + 16])
        position = data + sum(head[position + 27 : data])
    return packets


def _skip_id3(head: bytes) -> bytes | None:
    """The bytes after any ID3v2 tags; None when a tag runs past what we have."""
    while head.startswith(b"ID3") and len(head) >= 10:
        size = (head[6] << 21) | (head[7] << 14) | (head[8] << 7) | head[9]
        footer = 10 if head[5] & 0x10 else 0
        end = 10 + size + footer
        if end > len(head):
            return None
        head = head[end:]
    return head


def _sniff_subtitles(head: bytes, role: str) -> MediaFormat:
    if looks_utf16(head):
        raise UnsupportedMedia(role, "subtitles must be UTF-8; this file looks UTF-16")
    try:
        text = decode_subtitle_text(head, partial=True)
    except UnicodeDecodeError:
        raise UnsupportedMedia(role, f"subtitles must be UTF-8 text (SRT or WebVTT), got {describe(head)}") from None
    stripped = text.lstrip()
    if not stripped:
        raise UnsupportedMedia(role, "the file contains no cues (only blank space)")
    if stripped.startswith("WEBVTT"):
        return VTT
    for line in stripped.splitlines()[:3]:
        if _SRT_TIMING_SHAPE.match(line):
            return SRT
    raise UnsupportedMedia(role, f"expected SRT or WebVTT subtitles, got {describe(head)}")


def looks_utf16(head: bytes) -> bool:
    """A UTF-16 byte order mark, or (without one) NUL bytes in every other position, as the ASCII part of any
    SRT or WebVTT file has in UTF-16 (text in UTF-8 has no NUL at all). ASCII in UTF-16 is valid UTF-8 full
    of NULs, so without this check such a file would be called 'an unrecognised format'."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = head[:1024]
    even_nuls, odd_nuls = sample[0::2].count(0), sample[1::2].count(0)
    nuls = even_nuls + odd_nuls
    return nuls >= 4 and min(even_nuls, odd_nuls) * 10 <= nuls


def decode_subtitle_text(data: bytes, *, partial: bool = False) -> str:
    """UTF-8 with or without BOM, CRLF or LF, to text with LF line ends. `partial` tolerates a cut-off
    multibyte character at the end (the sniffed prefix of a longer file)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if partial:
        for cut in range(4):
            try:
                text = data[: len(data) - cut].decode("utf-8")
                break
            except UnicodeDecodeError:
                if cut == 3:
                    raise
    else:
        text = data.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n")
