"""Check a job's inputs where they lie, before any container starts: each object exists, is not too large,
is of an allowed type (sniffed from its first bytes), for audio, how long it is (from its headers), and for
subtitles, that the renderer's cue parser reads every cue (`cloudburst.core.subtitle_cues`), so a bad line is
refused here, with its number, rather than by the renderer after tasks have started.

Reads are ranged (the first 64 KiB, plus what the audio parser seeks to; subtitles, capped at 10 MiB, whole),
HEADs and GETs run with bounded concurrency, and an input shared by many scenes (a watermark) is checked once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from cloudburst.aws.s3 import head_object, open_ranged, read_range
from cloudburst.core.audio_info import AudioUnreadable, audio_length
from cloudburst.core.media_types import SNIFF_BYTES, MediaFormat, MediaKind, UnsupportedMedia, sniff
from cloudburst.core.subtitle_cues import MAX_SUBTITLE_CUES, SubtitlesRejected, cues_from_bytes
from cloudburst.pipeline.job_document import S3Ref

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ROLE_KINDS: dict[str, MediaKind] = {
    "image": MediaKind.IMAGE,
    "audio": MediaKind.AUDIO,
    "subtitles": MediaKind.SUBTITLES,
    "watermark": MediaKind.IMAGE,
}
MIB = 1024 * 1024
SIZE_CAPS: dict[str, int] = {
    "image": 50 * MIB,
    "audio": 2048 * MIB,  # the renderer's default MAX_INPUT_BYTES (2 GiB)
    "subtitles": 10 * MIB,
    "watermark": 10 * MIB,
}
CHECK_CONCURRENCY = 16
WHOLE_SUBTITLE_READS = threading.BoundedSemaphore(4)
"""Subtitles are parsed whole: a 10 MiB file can take ~100 MB while parsed, so at most 4 at once keep a job
of many large ones inside the Plan Lambda's memory, whatever CHECK_CONCURRENCY is."""


@dataclass(frozen=True)
class InputFacts:
    size: int
    format: MediaFormat
    audio_seconds: float | None = None
    audio_estimate: str | None = None  # why `audio_seconds` is only an estimate (the renderer measures it)


class InputProblem(ValueError):
    """One input is unusable; the message says which and why (without the field path, added by the caller)."""


def check_input(s3: S3Client, ref: S3Ref, role: str) -> InputFacts:
    try:
        return _checked_input(s3, ref, role)
    except ClientError as exc:  # deleted between HEAD and GET, or not readable by this role (KMS, bucket policy)
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "error")
        if code in ("NoSuchKey", "404", "NotFound"):
            raise InputProblem(f"{ref.uri} does not exist") from None
        raise InputProblem(f"{ref.uri} cannot be read by CloudBurst ({code}: {error.get('Message', '')})") from None


def _checked_input(s3: S3Client, ref: S3Ref, role: str) -> InputFacts:
    info = head_object(s3, ref.bucket, ref.key)
    if info is None:
        raise InputProblem(f"{ref.uri} does not exist")
    if info.size == 0:
        raise InputProblem(f"{ref.uri} is empty (0 bytes)")
    cap = SIZE_CAPS[role]
    if info.size > cap:
        raise InputProblem(f"{ref.uri} is {info.size / MIB:.1f} MiB, above the {cap // MIB} MiB limit for {role}")
    head = read_range(s3, ref.bucket, ref.key, 0, SNIFF_BYTES)
    try:
        fmt = sniff(ROLE_KINDS[role], head, role)
    except UnsupportedMedia as exc:
        raise InputProblem(f"{ref.uri}: {exc.detail}") from None
    if fmt.kind is MediaKind.SUBTITLES:
        _check_cues(s3, ref, fmt, head, info.size)
    if fmt.kind is not MediaKind.AUDIO:
        return InputFacts(size=info.size, format=fmt)
    try:
        length = audio_length(open_ranged(s3, ref.bucket, ref.key, info.size), fmt)
    except AudioUnreadable as exc:
        raise InputProblem(f"{ref.uri}: {exc}") from None
    return InputFacts(size=info.size, format=fmt, audio_seconds=length.seconds, audio_estimate=length.estimate)


def _check_cues(s3: S3Client, ref: S3Ref, fmt: MediaFormat, head: bytes, size: int) -> None:
    """The renderer's own parse of the whole file (under its 10 MiB cap), so a bad cue is named here."""
    with WHOLE_SUBTITLE_READS:
        rest = read_range(s3, ref.bucket, ref.key, len(head), size - len(head))
        try:
            cues_from_bytes(head + rest, fmt, MAX_SUBTITLE_CUES)
        except SubtitlesRejected as exc:
            raise InputProblem(f"{ref.uri}: {exc}") from None


def check_inputs(
    s3: S3Client, inputs: Iterable[tuple[S3Ref, str]], concurrency: int = CHECK_CONCURRENCY
) -> dict[tuple[S3Ref, str], InputFacts | InputProblem]:
    """Facts or the problem of each distinct (input, role), checked `concurrency` at a time."""
    unique = list(dict.fromkeys(inputs))

    def one(item: tuple[S3Ref, str]) -> InputFacts | InputProblem:
        try:
            return check_input(s3, *item)
        except InputProblem as problem:
            return problem

    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(unique)))) as pool:
        return dict(zip(unique, pool.map(one, unique), strict=True))
