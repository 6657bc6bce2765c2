"""Content-addressed uploads of local inputs: `inputs/sha256/<hex>/<file name>`.

The key is the file's SHA-256, so an object that is already there (same key, same size, same recorded hash)
is the same bytes and is skipped: re-running a job uploads nothing, and two jobs that share a narration share
one object. Files go up in parallel (and large ones in parallel parts, by boto3's transfer manager), with
progress reported as bytes and files.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from cloudburst.aws.s3 import s3_uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

INPUT_PREFIX = "inputs/sha256/"
SHA256_METADATA = "sha256"
"""User metadata key (`x-amz-meta-sha256`) holding the hex SHA-256 of the object's bytes."""

_HASH_CHUNK = 1024 * 1024
_TRANSFER = TransferConfig(multipart_threshold=64 * 1024 * 1024, multipart_chunksize=16 * 1024 * 1024)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def input_key(sha256_hex: str, file_name: str) -> str:
    """Where an input with this content lives; the file name is kept so logs and errors stay readable."""
    return f"{INPUT_PREFIX}{sha256_hex}/{file_name}"


@dataclass(frozen=True)
class UploadProgress:
    """A snapshot while uploading: files finished (uploaded or skipped) and bytes sent so far."""

    files_done: int
    files_total: int
    bytes_sent: int
    bytes_to_send: int
    skipped: int


@dataclass
class UploadResult:
    uris: dict[str, str] = field(default_factory=dict)  # local key → s3:// URI
    uploaded: list[str] = field(default_factory=list)  # object keys written
    skipped: list[str] = field(default_factory=list)  # object keys already present with the same content
    bytes_uploaded: int = 0


ProgressCallback = Callable[[UploadProgress], None]


@dataclass(frozen=True)
class InputPlan:
    """Where each local input will live in the bucket, worked out from its bytes before anything is sent: the
    URIs (and so the job's id) are known without touching S3, and the files are hashed only once."""

    uris: dict[str, str]  # local key → s3:// URI
    files: dict[str, tuple[Path, str, int]]  # object key → (path, SHA-256, size), one per distinct object


def plan_inputs(bucket: str, files: Mapping[str, Path], *, workers: int = 8) -> InputPlan:
    """Hash `files` (local key → path) and name the object each one becomes in `bucket`."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        planned = dict(zip(files, pool.map(_plan, files.values()), strict=True))
    uris: dict[str, str] = {}
    unique: dict[str, tuple[Path, str, int]] = {}
    for ref, (path, digest, size) in planned.items():
        key = input_key(digest, path.name)
        uris[ref] = s3_uri(bucket, key)
        unique.setdefault(key, (path, digest, size))
    return InputPlan(uris, unique)


def upload_inputs(
    s3: S3Client,
    bucket: str,
    files: Mapping[str, Path],
    *,
    workers: int = 8,
    on_progress: ProgressCallback | None = None,
    plan: InputPlan | None = None,
) -> UploadResult:
    """Upload `files` (local key → path) unless already present; returns each key's `s3://` URI. `plan` is
    `plan_inputs`' answer for the same files and bucket, when the caller already has it."""
    plan = plan if plan is not None else plan_inputs(bucket, files, workers=workers)
    tracker = _Tracker(len(plan.files), on_progress)
    result = UploadResult(uris=dict(plan.uris))
    unique = plan.files

    def send(key: str) -> tuple[str, bool, int]:
        path, digest, size = unique[key]
        if _already_there(s3, bucket, key, digest, size):
            tracker.finished(skipped=True)
            return key, False, 0
        tracker.add_bytes_to_send(size)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        s3.upload_file(
            str(path),
            bucket,
            key,
            ExtraArgs={"Metadata": {SHA256_METADATA: digest}, "ContentType": content_type},
            Callback=tracker.sent,
            Config=_TRANSFER,
        )
        tracker.finished(skipped=False)
        return key, True, size

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for key, uploaded, size in pool.map(send, sorted(unique)):
            (result.uploaded if uploaded else result.skipped).append(key)
            result.bytes_uploaded += size
    return result


def _plan(path: Path) -> tuple[Path, str, int]:
    return path, file_sha256(path), path.stat().st_size


def _already_there(s3: S3Client, bucket: str, key: str, digest: str, size: int) -> bool:
    """True when the object exists with this size and recorded hash; a damaged object is replaced."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return head.get("ContentLength") == size and head.get("Metadata", {}).get(SHA256_METADATA) == digest


class _Tracker:
    """Adds up progress from the worker threads and reports consistent snapshots."""

    def __init__(self, files_total: int, callback: ProgressCallback | None) -> None:
        self.files_total = files_total
        self._callback = callback
        self._lock = threading.Lock()
        self._files_done = 0
        self._skipped = 0
        self._bytes_sent = 0
        self._bytes_to_send = 0

    def add_bytes_to_send(self, size: int) -> None:
        with self._lock:
            self._bytes_to_send += size

    def sent(self, amount: int) -> None:
        with self._lock:
            self._bytes_sent += amount
            snapshot = self._snapshot()
        self._report(snapshot)

    def finished(self, *, skipped: bool) -> None:
        with self._lock:
            self._files_done += 1
            self._skipped += int(skipped)
            snapshot = self._snapshot()
        self._report(snapshot)

    def _snapshot(self) -> UploadProgress:
        return UploadProgress(self._files_done, self.files_total, self._bytes_sent, self._bytes_to_send, self._skipped)

    def _report(self, snapshot: UploadProgress) -> None:
        if self._callback is not None:
            self._callback(snapshot)
