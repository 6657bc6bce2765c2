"""The x264 settings every video encode of the pipeline shares: preset, CRF, threads, colour tags.

Frames are produced in BT.709 limited range (see `colour`), and the stream says so, so players do not guess
(BT.601 is the usual wrong guess for HD, which shifts colours).

The same settings exist in two spellings: ffmpeg's command line (`x264_args`, for the encodes ffmpeg runs)
and x264's own option names (`x264_params`, for `libx264`, which drives x264 in this process). They are kept
side by side so they cannot drift apart; a test checks that both give the same stream.
"""

from __future__ import annotations

from cloudburst.models.render_options import QualityOptions

BT709 = "bt709"
COLOUR_TAGS = ("-colorspace", BT709, "-color_primaries", BT709, "-color_trc", BT709, "-color_range", "tv")
X264_COLOUR = (("colormatrix", BT709), ("colorprim", BT709), ("transfer", BT709), ("fullrange", "off"))
"""`COLOUR_TAGS` as ffmpeg's libx264 wrapper hands them to x264 (`-color_range tv` is `fullrange=off`)."""


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


def x264_params(quality: QualityOptions, threads: int) -> list[tuple[str, str]]:
    """`x264_args` as `x264_param_parse` pairs, applied after `quality.preset` (x264 takes the preset first)."""
    return [("crf", str(quality.crf)), ("threads", str(threads)), *X264_COLOUR]


MP4_OUTPUT = ("-movflags", "+faststart", "-f", "mp4")
