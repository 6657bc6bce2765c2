"""The x264 settings every video encode of the pipeline shares: preset, CRF, threads, colour tags.

Frames are produced in BT.709 limited range (see `colour`), and the stream says so, so players do not guess
(BT.601 is the usual wrong guess for HD, which shifts colours).
"""

from __future__ import annotations

from cloudburst.models.render_options import QualityOptions

COLOUR_TAGS = ("-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv")


def x264_args(quality: QualityOptions, threads: int, input_pix_fmt: str = "yuv420p") -> list[str]:
    """Encoder options. NV12 input goes to x264 as is (it is x264's internal layout; the stream is 4:2:0
    either way), so no `-pix_fmt` conversion is requested for it."""
    pix_fmt = [] if input_pix_fmt == "nv12" else ["-pix_fmt", "yuv420p"]
    return [
        "-c:v", "libx264",
        "-preset", quality.preset.value,
        "-crf", str(quality.crf),
        "-threads", str(threads),
        *pix_fmt,
        *COLOUR_TAGS,
    ]  # fmt: skip


MP4_OUTPUT = ("-movflags", "+faststart", "-f", "mp4")
