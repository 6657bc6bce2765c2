"""The one part of the build pyproject.toml cannot state yet (setuptools' table for it is experimental): the
renderer's two C extensions. Both are optional: without them the package still installs and renders the same
videos, with more CPU.

- `_resample` (src/cloudburst/renderer/media/_resample.c), the frame resampler: needs a C compiler and
  Python's headers; without it OpenCV resizes the frames, to the same bytes, more slowly.
- `_x264` (src/cloudburst/renderer/media/_x264.c), libx264 in the renderer's process: also needs libx264's
  headers and library (Debian: libx264-dev); without it moving scenes are piped to ffmpeg's libx264, which
  gives the same stream at the cost of copying every raw frame through a pipe.
"""

from setuptools import Extension, setup

COMPILE_ARGS = ["-O2", "-std=c11", "-Wall", "-Wextra"]

setup(
    ext_modules=[
        Extension(
            "cloudburst.renderer.media._resample",
            sources=["src/cloudburst/renderer/media/_resample.c"],
            extra_compile_args=COMPILE_ARGS,
            optional=True,
        ),
        Extension(
            "cloudburst.renderer.media._x264",
            sources=["src/cloudburst/renderer/media/_x264.c"],
            libraries=["x264"],
            extra_compile_args=COMPILE_ARGS,
            optional=True,
        ),
    ]
)
