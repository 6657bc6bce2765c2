"""The S3 adapter against moto: ranged reads that fetch little, and a multipart upload that holds one part."""

from __future__ import annotations

import hashlib
import os
from typing import IO, TYPE_CHECKING, cast

import pytest

from cloudburst.aws.s3 import S3RangeReader, head_object, list_keys, open_ranged, upload_stream
from cloudburst.core.audio_info import audio_length
from cloudburst.core.media_types import WAV
from tests.unit.pipeline.support import BUCKET, wav_bytes

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MIB = 1024 * 1024


def test_head_distinguishes_missing_from_present(s3: S3Client) -> None:
    assert head_object(s3, BUCKET, "nope") is None
    s3.put_object(Bucket=BUCKET, Key="a", Body=b"12345")
    info = head_object(s3, BUCKET, "a")
    assert info is not None
    assert info.size == 5


def test_the_ranged_reader_seeks_and_reads_like_a_file(s3: S3Client) -> None:
    data = os.urandom(700_000)
    s3.put_object(Bucket=BUCKET, Key="blob", Body=data)
    reader = S3RangeReader(s3, BUCKET, "blob", len(data))
    assert reader.read(10) == data[:10]
    reader.seek(-100, os.SEEK_END)
    assert reader.read() == data[-100:]
    reader.seek(300_000)
    assert reader.read(5) == data[300_000:300_005]
    assert reader.read(0) == b""
    assert reader.tell() == 300_005
    with pytest.raises(OSError, match="before the start"):
        reader.seek(-1)
    assert reader.requests == 3  # small reads share one ranged GET


def test_audio_durations_come_from_a_few_ranged_gets(s3: S3Client) -> None:
    audio = wav_bytes(30.0, rate=16000)  # ~1 MB
    s3.put_object(Bucket=BUCKET, Key="a.wav", Body=audio)
    raw = S3RangeReader(s3, BUCKET, "a.wav", len(audio))
    assert audio_length(open_ranged(s3, BUCKET, "a.wav", len(audio)), WAV).seconds == pytest.approx(30.0)
    assert audio_length(cast(IO[bytes], raw), WAV).seconds == pytest.approx(30.0)
    assert raw.requests <= 2


def test_a_stream_is_uploaded_in_parts_and_measured(s3: S3Client) -> None:
    data = os.urandom(11 * MIB + 123)
    chunks = (data[i : i + 300_000] for i in range(0, len(data), 300_000))
    result = upload_stream(s3, BUCKET, "out/v.mp4", chunks, content_type="video/mp4", part_bytes=5 * MIB)
    assert result.size == len(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    stored = s3.get_object(Bucket=BUCKET, Key="out/v.mp4")
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "video/mp4"
    assert result.etag.endswith("-3")  # three parts: 5 + 5 + 1 MiB


def test_a_small_stream_is_one_put(s3: S3Client) -> None:
    result = upload_stream(s3, BUCKET, "out/small.mp4", iter([b"abc", b"def"]), content_type="video/mp4")
    assert (result.size, "-" in result.etag) == (6, False)
    assert list(list_keys(s3, BUCKET, "out/")) == ["out/small.mp4"]


def test_a_broken_stream_aborts_the_upload(s3: S3Client) -> None:
    def broken() -> object:
        yield os.urandom(5 * MIB)
        raise ConnectionResetError("renderer went away")

    with pytest.raises(ConnectionResetError):
        upload_stream(s3, BUCKET, "out/broken.mp4", broken(), content_type="video/mp4", part_bytes=5 * MIB)  # type: ignore[arg-type]
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert head_object(s3, BUCKET, "out/broken.mp4") is None
