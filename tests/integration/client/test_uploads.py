"""Content-addressed uploads against S3 semantics (moto): keys, metadata, skipping, repair, progress."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from cloudburst.client.uploads import UploadProgress, input_key, upload_inputs

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "cloudburst-test"


@pytest.fixture
def s3() -> Iterator[S3Client]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "a.png").write_bytes(b"\x89PNG" + b"a" * 1000)
    (tmp_path / "b.mp3").write_bytes(b"ID3" + b"b" * 3000)
    (tmp_path / "copy").mkdir()
    (tmp_path / "copy" / "a.png").write_bytes(b"\x89PNG" + b"a" * 1000)  # same bytes, same name: one object
    return {"a.png": tmp_path / "a.png", "b.mp3": tmp_path / "b.mp3", "copy/a.png": tmp_path / "copy" / "a.png"}


def test_uploads_by_content_with_hash_metadata(s3: S3Client, tmp_path: Path) -> None:
    files = _files(tmp_path)
    result = upload_inputs(s3, BUCKET, files)
    digest = hashlib.sha256(files["b.mp3"].read_bytes()).hexdigest()
    assert result.uris["b.mp3"] == f"s3://{BUCKET}/inputs/sha256/{digest}/b.mp3"
    assert result.uris["a.png"] == result.uris["copy/a.png"]
    assert sorted(result.uploaded) == sorted({uri.removeprefix(f"s3://{BUCKET}/") for uri in result.uris.values()})
    assert result.skipped == []
    assert result.bytes_uploaded == 1004 + 3003
    head = s3.head_object(Bucket=BUCKET, Key=input_key(digest, "b.mp3"))
    assert head["Metadata"] == {"sha256": digest}
    assert head["ContentType"] == "audio/mpeg"
    body = s3.get_object(Bucket=BUCKET, Key=input_key(digest, "b.mp3"))["Body"].read()
    assert body == files["b.mp3"].read_bytes()


def test_second_run_uploads_nothing_and_reports_progress(s3: S3Client, tmp_path: Path) -> None:
    files = _files(tmp_path)
    upload_inputs(s3, BUCKET, files)
    seen: list[UploadProgress] = []
    again = upload_inputs(s3, BUCKET, files, on_progress=seen.append)
    assert again.uploaded == []
    assert len(again.skipped) == 2
    assert again.bytes_uploaded == 0
    assert seen[-1] == UploadProgress(files_done=2, files_total=2, bytes_sent=0, bytes_to_send=0, skipped=2)


def test_a_damaged_object_at_the_key_is_replaced(s3: S3Client, tmp_path: Path) -> None:
    files = _files(tmp_path)
    first = upload_inputs(s3, BUCKET, files)
    key = first.uris["b.mp3"].removeprefix(f"s3://{BUCKET}/")
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"truncated")
    again = upload_inputs(s3, BUCKET, files)
    assert again.uploaded == [key]
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == files["b.mp3"].read_bytes()


def test_progress_counts_every_byte_sent(s3: S3Client, tmp_path: Path) -> None:
    seen: list[UploadProgress] = []
    upload_inputs(s3, BUCKET, _files(tmp_path), on_progress=seen.append, workers=1)
    last = seen[-1]
    assert (last.files_done, last.files_total, last.skipped) == (2, 2, 0)
    assert last.bytes_sent == last.bytes_to_send == 1004 + 3003
    assert [p.files_done for p in seen] == sorted(p.files_done for p in seen)
