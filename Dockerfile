# syntax=docker/dockerfile:1
# The CloudBurst renderer: one scene (image + narration + subtitles) in, one MP4 out, behind an HTTP API.
# ECS Fargate runs it as the task of each batch; locally the same program runs as a plain process.
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t cloudburst-renderer .
#
# Two stages so that pip, setuptools and the build's caches stay out of the image; Debian's ffmpeg (libx264,
# libass) and fonts are the only system packages the renderer needs.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# A C compiler for the renderer's two extensions: the frame resampler (src/cloudburst/renderer/media/_resample.c)
# and x264 in process (_x264.c, which needs libx264's headers; the runtime's ffmpeg brings the same library,
# libx264-164). The image's Python brings its headers. Every other dependency ships wheels for x86_64 and aarch64.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends gcc libc6-dev libx264-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY src ./src
RUN python -m venv /opt/cloudburst \
    && /opt/cloudburst/bin/pip install --no-compile ".[renderer]" \
    && /opt/cloudburst/bin/python -c "import cloudburst.renderer.media._resample, cloudburst.renderer.media._x264" \
    && /opt/cloudburst/bin/pip uninstall --yes pip setuptools

FROM ${PYTHON_IMAGE} AS runtime
# Versions are not pinned: bookworm's security updates of ffmpeg are exactly what a rebuild should pick up.
# Fonts: Noto CJK; Noto for the other major scripts (Devanagari, Bengali, Tamil, Thai... 42 MB); Symbola for
# emoji (3 MB). libass draws only outline fonts, so a colour emoji font (CBDT, fonts-noto-color-emoji) would
# be 11 MB it never uses: emoji come out monochrome. Characters no font has are refused before rendering.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends ffmpeg fontconfig fonts-noto-cjk fonts-noto-core \
        fonts-symbola \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 renderer \
    && useradd --system --uid 10001 --gid renderer --create-home --home-dir /home/renderer \
        --shell /usr/sbin/nologin renderer
COPY --from=build /opt/cloudburst /opt/cloudburst
ENV PATH=/opt/cloudburst/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOST=0.0.0.0 \
    PORT=8080 \
    WORK_DIR=/tmp/cloudburst
USER 10001:10001
WORKDIR /home/renderer
EXPOSE 8080
# No curl in the image: Python's standard library asks /healthz (unauthenticated, reveals nothing secret);
# urlopen raises on a refused connection or an error status, which makes the exit status 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]
# Exec form: the renderer is PID 1 and receives ECS's SIGTERM itself (it handles it and exits 0).
# RENDERER_TOKEN comes from the task definition or the per-batch overrides; without it the renderer refuses to start.
ENTRYPOINT ["cloudburst-renderer"]
