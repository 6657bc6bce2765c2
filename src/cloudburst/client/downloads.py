"""Fetch each finished video as soon as it lands in S3, and prove it is the video that was rendered.

The renderer hashes every video it makes; that SHA-256 travels with the video (the object's `sha256`
metadata, when CopyOutput sets it) and into the batch record (`SceneRecord.sha256`). A download is written to
a `.part` file while it is hashed, checked against the object's size and the recorded hash, then renamed into
place, so a video in the destination folder is always whole. A video whose hash is not known yet (no
metadata; its batch not recorded yet) is kept and checked when the batch record arrives (`confirm`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from cloudburst.client.errors import DownloadFailed
from cloudburst.client.uploads import SHA256_METADATA, file_sha256

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_CHUNK = 1024 * 1024
_ATTEMPTS = 3


@dataclass(frozen=True)
class RemoteVideo:
    """A video object seen in the job's output folder."""

    scene: str
    key: str
    size: int
    landed_at: float  # the object's LastModified, epoch seconds


@dataclass(frozen=True)
class DownloadedVideo:
    scene: str
    path: Path
    size_bytes: int
    sha256: str
    landed_at: float
    downloaded_at: float
    verified: bool  # the SHA-256 matched the one recorded when the video was rendered
    reused: bool = False  # the file was already there with the same bytes; nothing was fetched


class VideoDownloader:
    """Downloads videos into `destination`, each once, in parallel; remembers what it has."""

    def __init__(
        self,
        s3: S3Client,
        bucket: str,
        destination: Path,
        *,
        workers: int = 4,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self.destination = destination
        self._workers = workers
        self._clock = clock
        self._lock = threading.Lock()
        self.downloaded: dict[str, DownloadedVideo] = {}

    def fetch(self, videos: Iterable[RemoteVideo]) -> list[DownloadedVideo]:
        """Download the videos not downloaded yet; returns the new ones in the order they finished."""
        with self._lock:
            pending = [video for video in videos if video.scene not in self.downloaded]
        if not pending:
            return []
        self.destination.mkdir(parents=True, exist_ok=True)
        finished: list[DownloadedVideo] = []
        with ThreadPoolExecutor(max_workers=max(1, min(self._workers, len(pending)))) as pool:
            for video in pool.map(self._download, pending):
                with self._lock:
                    self.downloaded[video.scene] = video
                finished.append(video)
        return sorted(finished, key=lambda video: video.downloaded_at)

    def confirm(self, recorded: Mapping[str, str]) -> list[DownloadedVideo]:
        """Check not-yet-verified videos against recorded hashes (scene → SHA-256); returns those newly
        verified. A mismatch removes the file and raises `DownloadFailed`."""
        confirmed = []
        with self._lock:
            for scene, video in list(self.downloaded.items()):
                expected = recorded.get(scene)
                if video.verified or expected is None:
                    continue
                if video.sha256 != expected:
                    video.path.unlink(missing_ok=True)
                    del self.downloaded[scene]
                    if video.reused:  # an older file of the same size: fetch the real one on the next pass
                        continue
                    raise DownloadFailed(
                        f"{video.path.name}: SHA-256 {video.sha256[:12]}… does not match the rendered video's "
                        f"{expected[:12]}…",
                        "The object in S3 is not the video that was rendered; run the job again.",
                    )
                self.downloaded[scene] = confirmed_video = replace(video, verified=True)
                confirmed.append(confirmed_video)
        return confirmed

    @property
    def unverified(self) -> list[str]:
        with self._lock:
            return sorted(scene for scene, video in self.downloaded.items() if not video.verified)

    def _download(self, video: RemoteVideo) -> DownloadedVideo:
        target = self.destination / f"{video.scene}.mp4"
        reused = self._reuse(video, target)
        if reused is not None:
            return reused
        last_error: Exception | None = None
        for _ in range(_ATTEMPTS):
            try:
                return self._fetch_once(video, target)
            except (BotoCoreError, ClientError, OSError, _Mismatch) as exc:
                last_error = exc
        raise DownloadFailed(
            f"{video.scene}.mp4: could not be downloaded after {_ATTEMPTS} attempts ({last_error})",
            "Run `cloudburst download` with the job id to try again.",
        )

    def _fetch_once(self, video: RemoteVideo, target: Path) -> DownloadedVideo:
        partial = target.with_name(f".{target.name}.part")
        response = self._s3.get_object(Bucket=self._bucket, Key=video.key)
        expected_size = int(response["ContentLength"])
        recorded = response.get("Metadata", {}).get(SHA256_METADATA)
        digest = hashlib.sha256()
        size = 0
        try:
            with partial.open("wb") as out:
                body = response["Body"]
                while chunk := body.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if size != expected_size:
                raise _Mismatch(f"got {size} bytes of {expected_size}")
            if recorded is not None and digest.hexdigest() != recorded:
                raise _Mismatch(f"SHA-256 {digest.hexdigest()[:12]}… is not the recorded {recorded[:12]}…")
            os.replace(partial, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()
        return DownloadedVideo(
            scene=video.scene,
            path=target,
            size_bytes=size,
            sha256=digest.hexdigest(),
            landed_at=video.landed_at,
            downloaded_at=self._clock(),
            verified=recorded is not None,
        )

    def _reuse(self, video: RemoteVideo, target: Path) -> DownloadedVideo | None:
        """The local file, when it is already this video (same size and recorded hash): no download."""
        if not target.is_file() or target.stat().st_size != video.size:
            return None
        recorded = self._s3.head_object(Bucket=self._bucket, Key=video.key).get("Metadata", {}).get(SHA256_METADATA)
        local = file_sha256(target)
        if recorded is not None and local != recorded:
            return None
        return DownloadedVideo(
            scene=video.scene,
            path=target,
            size_bytes=video.size,
            sha256=local,
            landed_at=video.landed_at,
            downloaded_at=self._clock(),
            verified=recorded is not None,
            reused=True,
        )


class _Mismatch(Exception):
    """What arrived is not what S3 holds (a short read or a wrong hash): worth another attempt."""
