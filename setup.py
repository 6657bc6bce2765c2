"""The one part of the build pyproject.toml cannot state yet (setuptools' table for it is experimental):
the renderer's frame resampler, a C extension. It is optional: without a C compiler and Python's headers the
package still installs, and frames are resized by OpenCV instead, to the same bytes, more slowly (see
src/cloudburst/renderer/media/_resample.c)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "cloudburst.renderer.media._resample",
            sources=["src/cloudburst/renderer/media/_resample.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra"],
            optional=True,
        )
    ]
)
