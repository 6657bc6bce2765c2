"""S3 as the pipeline uses it: small JSON documents, presigned GETs for the renderer, ranged reads of file
headers, and a constant-memory streaming upload of finished videos.

Why ranged reads: the Plan Lambda checks every input's type and audio duration before any container starts;
it needs the first bytes (and, for some audio formats, a few bytes near the end), never the whole file.
Why streaming multipart: a 1080p scene can be hundreds of megabytes; CopyOutput holds one part at a time.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, cast

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

PART_BYTES = 8 * 1024 * 1024
"""Multipart part size: S3's minimum is 5 MiB (except the last part); 8 MiB keeps CopyOutput's memory flat."""
READ_BLOCK_BYTES = 256 * 1024
"""Ranged reads fetch at least this much, so header parsers that read a few bytes at a time stay cheap."""
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str
    version_id: str | None = None


@dataclass(frozen=True)
class UploadResult:
    size: int
    sha256: str
    etag: str


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def head_object(s3: S3Client, bucket: str, key: str) -> ObjectInfo | None:
    """Size and ETag of an object; None when it does not exist (any other error propagates)."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in _NOT_FOUND:
            return None
        raise
    return ObjectInfo(size=int(head["ContentLength"]), etag=head["ETag"].strip('"'), version_id=head.get("VersionId"))


def read_range(s3: S3Client, bucket: str, key: str, start: int, length: int) -> bytes:
    """Bytes [start, start+length) of an object (fewer at its end)."""
    if length <= 0:
        return b""
    response = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{start + length - 1}")
    return response["Body"].read()


def get_bytes(s3: S3Client, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def get_json(s3: S3Client, bucket: str, key: str) -> Any:
    return json.loads(get_bytes(s3, bucket, key))


def put_json(s3: S3Client, bucket: str, key: str, value: Any) -> None:
    body = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def put_bytes(s3: S3Client, bucket: str, key: str, body: bytes, content_type: str) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)


def list_keys(s3: S3Client, bucket: str, prefix: str) -> Iterator[str]:
    """Every key under `prefix`, across pages."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"]


def presign_get(s3: S3Client, bucket: str, key: str, expires_s: int) -> str:
    """A GET URL the renderer can fetch without AWS credentials (it has none for the bucket)."""
    return s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_s)


def open_ranged(s3: S3Client, bucket: str, key: str, size: int) -> IO[bytes]:
    """A buffered, seekable file over an S3 object that downloads only what is read."""
    return cast(IO[bytes], io.BufferedReader(S3RangeReader(s3, bucket, key, size), buffer_size=64 * 1024))


class S3RangeReader(io.RawIOBase):
    """A read-only, seekable file over one S3 object, fetching only the ranges that are read.

    Audio header parsers (mutagen) seek and read small pieces, sometimes near the end of the file; each miss
    costs one ranged GET of at least `READ_BLOCK_BYTES`, and the last block read is kept.
    """

    def __init__(self, s3: S3Client, bucket: str, key: str, size: int) -> None:
        super().__init__()
        self._s3, self._bucket, self._key, self._size = s3, bucket, key, size
        self._pos = 0
        self._block_start = 0
        self._block = b""
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise OSError("seek before the start of the object")
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        wanted = min(len(view), max(0, self._size - self._pos))
        if wanted == 0:
            return 0
        block_end = self._block_start + len(self._block)
        if not (self._block_start <= self._pos and self._pos + wanted <= block_end):
            self._block_start = self._pos
            self._block = read_range(self._s3, self._bucket, self._key, self._pos, max(wanted, READ_BLOCK_BYTES))
            self.requests += 1
        offset = self._pos - self._block_start
        chunk = self._block[offset : offset + wanted]
        view[: len(chunk)] = chunk
        self._pos += len(chunk)
        return len(chunk)


def upload_stream(
    s3: S3Client,
    bucket: str,
    key: str,
    chunks: Iterable[bytes],
    *,
    content_type: str,
    part_bytes: int = PART_BYTES,
) -> UploadResult:
    """Upload a stream of unknown length holding at most one part in memory; returns its size and SHA-256.

    Small streams (one part or less) go up with a single PUT. A failure aborts the multipart upload, so no
    invisible, billed parts are left behind.
    """
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray()
    upload_id: str | None = None
    parts: list[CompletedPartTypeDef] = []
    try:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            buffer += chunk
            while len(buffer) >= part_bytes:
                if upload_id is None:
                    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)["UploadId"]
                part = bytes(buffer[:part_bytes])
                del buffer[:part_bytes]
                number = len(parts) + 1
                etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=part)["ETag"]
                parts.append({"PartNumber": number, "ETag": etag})
        if upload_id is None:
            etag = s3.put_object(Bucket=bucket, Key=key, Body=bytes(buffer), ContentType=content_type)["ETag"]
            return UploadResult(size=size, sha256=digest.hexdigest(), etag=etag.strip('"'))
        if buffer:
            number = len(parts) + 1
            etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=bytes(buffer))[
                "ETag"
            ]
            parts.append({"PartNumber": number, "ETag": etag})
        done = s3.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
        return UploadResult(size=size, sha256=digest.hexdigest(), etag=str(done.get("ETag", "")).strip('"'))
    except BaseException:
        if upload_id is not None:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        raise


def delete_object(s3: S3Client, bucket: str, key: str) -> None:
    s3.delete_object(Bucket=bucket, Key=key)
