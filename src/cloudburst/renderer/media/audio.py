"""The scene's narration: measured exactly before any video work, then encoded once to AAC.

Measuring first (a quick decode) proves ffmpeg can read the audio, so a corrupt file is refused as bad input
before anything is encoded, and gives the exact duration, which fixes the frame count (header estimates can be
wrong for VBR MP3). The AAC (stereo 48 kHz) is then encoded once, by the ffmpeg that writes the MP4, while
the video reaches it on a pipe (`mp4_with_audio_args`): no separate audio process and no final mux, for
moving and still scenes alike.

Gaps in the source's timestamps are closed: the AAC is the decoded samples back to back, starting at 0
(`contiguous`). The measurement counts samples too, so the frame count and the AAC agree. Left as they were,
a gap (an Ogg file missing pages, two files joined with `cat`, a recorder that dropped packets) became
silence in the MP4 that the frame count did not include, and the video ended before the narration. A
narration is meant to be heard without holes, and the timestamps of a damaged file are not worth keeping.

Safety: the demuxer is forced from the sniffed format and only the `file` protocol is allowed, so a crafted
file cannot make ffmpeg open a playlist, a concat list or an external reference.
"""

from __future__ import annotations

from pathlib import Path

from cloudburst.renderer.media.api import FfmpegFailed
from cloudburst.renderer.media.encoder import MP4_OUTPUT
from cloudburst.renderer.media.inputs import SniffedInput
from cloudburst.renderer.media.process import Cancel, FfmpegProcess
from cloudburst.renderer.media.rejections import too_large, unreadable

SAMPLE_RATE = 48_000
CHANNELS = 2


def safe_input_args(path: Path, demuxer: str) -> list[str]:
    """ffmpeg input options that read exactly this local file with exactly this demuxer, nothing else."""
    args = ["-protocol_whitelist", "file", "-f", demuxer]
    if demuxer == "mov":
        args += ["-enable_drefs", "0"]  # never follow an MP4's data references to other files
    return [*args, "-i", file_url(path)]


def file_url(path: Path) -> str:
    """The `file:` form of a path, so a ':' in a name is never read as a protocol prefix."""
    return "file:" + str(path.resolve())


MEASURE_RATE = 8000
"""Sample rate of the measuring decode: exact enough (1/8000 s), and cheap to count."""
MEASURE_MARGIN_S = 1.0
"""The measuring decode stops this far past the limit, so a file of any length costs at most that much decoding."""


def measure_audio(audio: SniffedInput, *, max_seconds: float, cancel: Cancel | None = None) -> float:
    """Seconds of audio, by decoding it (to 8 kHz mono PCM whose bytes we count).

    This is the first time ffmpeg touches the file, so it doubles as the proof that it decodes; headers alone
    can be wrong (a VBR MP3 without a Xing header) and the frame count must match what will be played. The
    samples are counted whatever their timestamps say, as the AAC encode lays them out (`contiguous`).
    """
    assert audio.format.demuxer is not None
    counted = 0

    def count(chunk: bytes) -> None:
        nonlocal counted
        counted += len(chunk)

    try:
        with FfmpegProcess(
            [
                *safe_input_args(audio.path, audio.format.demuxer),
                "-map", "0:a:0", "-vn", "-sn", "-dn", "-t", f"{max_seconds + MEASURE_MARGIN_S:.3f}",
                "-af", contiguous(MEASURE_RATE), "-ac", "1", "-ar", str(MEASURE_RATE), "-f", "s16le", "pipe:1",
            ],
            label="audio check",
            cancel=cancel,
            on_stdout_chunk=count,
        ) as proc:  # fmt: skip
            proc.wait()
    except FfmpegFailed as exc:  # `from exc`: the renderer logs the whole stderr, the message has its summary
        raise unreadable(
            audio.role, f"ffmpeg cannot decode this {audio.format.name.upper()} audio: {exc.summary}"
        ) from exc
    seconds = counted / 2 / MEASURE_RATE
    if seconds <= 0:
        raise unreadable(audio.role, "the audio decodes to nothing (0 s)")
    if seconds >= max_seconds + MEASURE_MARGIN_S:
        raise too_large(
            audio.role,
            f"the audio is longer than the limit of {max_seconds:.1f} s (decoding stopped at {seconds:.1f} s)",
        )
    if seconds > max_seconds:
        raise too_large(audio.role, f"{seconds:.1f} s of audio is more than the limit of {max_seconds:.1f} s")
    return seconds


FAST_CODER_MIN_KBPS = 96
NO_MID_SIDE_MIN_KBPS = 128


def aac_coder_args(bitrate_kbps: int) -> list[str]:
    """Cheaper AAC encoder settings where the bitrate leaves room for them (measured on speech, 30 s):

    - ffmpeg's `fast` coder at 96 kb/s and above: its documentation calls it better and much faster than the
      default at higher bitrates (about 2x less CPU here);
    - no mid/side stereo search at 128 kb/s and above (64 kb/s per channel is plenty for narration, and the
      search costs half of what remains).
    Below those bitrates ffmpeg's defaults are kept for quality.
    """
    args = ["-aac_coder", "fast"] if bitrate_kbps >= FAST_CODER_MIN_KBPS else []
    return args + (["-aac_ms", "0"] if bitrate_kbps >= NO_MID_SIDE_MIN_KBPS else [])


def contiguous(rate: int) -> str:
    """The audio filter that lays the samples back to back from 0: resampled first (a chained Ogg may change
    rate between links), then each sample timed by its index."""
    return f"aresample={rate},asetpts=STARTPTS+N/SR/TB"


def aac_output_args(bitrate_kbps: int) -> list[str]:
    """Encoder options of the AAC track every output carries: stereo, 48 kHz, the samples back to back, the
    chosen bitrate."""
    return [
        "-af", contiguous(SAMPLE_RATE), "-ac", str(CHANNELS), "-ar", str(SAMPLE_RATE),
        "-c:a", "aac", *aac_coder_args(bitrate_kbps), "-b:a", f"{bitrate_kbps}k",
    ]  # fmt: skip


COMPRESSED_VIDEO_QUEUE = ("-thread_queue_size", "1024")
"""Input option for compressed video arriving on the MP4 writer's stdin. With the audio file as a second
input, ffmpeg reads each input on a thread through a queue of 8 packets by default; a held stream arrives in
a burst of tiny packets, the queue stays full, and ffmpeg's main loop spends its time in 10 ms sleeps: a
300 s still scene took 2.5 s of wall time for 1.5 s of CPU, 1.5 s with this. Never for raw frames: a queue
of 1024 uncompressed 1080p frames would be 3 GB."""


def mp4_with_audio_args(
    video_input: list[str], video_output: list[str], audio: SniffedInput, *, bitrate_kbps: int, target: Path
) -> list[str]:
    """The command line of the ffmpeg that writes a scene's MP4: the video from stdin (first input, read with
    `video_input`, written with `video_output`) and the audio file (second input, read safely), encoded to AAC
    alongside the video, into `target` with the moov first."""
    assert audio.format.demuxer is not None
    return [
        *video_input, "-i", "pipe:0",
        *safe_input_args(audio.path, audio.format.demuxer),
        "-map", "0:v", "-map", "1:a:0", "-map_metadata", "-1",
        *video_output,
        *aac_output_args(bitrate_kbps),
        *MP4_OUTPUT, "-y", file_url(target),
    ]  # fmt: skip
