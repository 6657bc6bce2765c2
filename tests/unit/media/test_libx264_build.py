"""The in-process x264 extension is optional for an install, so a build that failed silently must be caught."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cloudburst.renderer.media import libx264


def _x264_headers_installed() -> bool:
    compiler = shutil.which("cc")
    if compiler is None:
        return False
    probe = subprocess.run(
        [compiler, "-E", "-x", "c", "-"],
        check=False,
        input=b"#include <stdint.h>\n#include <x264.h>\n",
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _x264_headers_installed(), reason="no C compiler or no libx264 headers here")
def test_the_extension_is_built_where_libx264_headers_are_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    # `make` installs the headers on Debian and Ubuntu; without the extension every moving scene would pay
    # for a pipe of raw frames while producing the same bytes, so nothing else would notice.
    assert libx264.BUILT
    monkeypatch.delenv(libx264.ENCODER_VARIABLE, raising=False)
    assert libx264.encoder_name().startswith("libx264 build ")
