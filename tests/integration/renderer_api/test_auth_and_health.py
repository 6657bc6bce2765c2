"""Every route but /healthz needs the bearer token; /healthz answers without one and reveals nothing secret."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.renderer_api.conftest import TOKEN, Renderer

ROOT = Path(__file__).resolve().parents[3]

PROTECTED = [
    ("POST", "/v1/renders"),
    ("GET", "/v1/renders/abc"),
    ("GET", "/v1/renders/abc/output"),
    ("DELETE", "/v1/renders/abc"),
    ("POST", "/v1/shutdown"),
]


def test_healthz_needs_no_token_and_says_only_what_it_should(stub_renderer: Renderer) -> None:
    with stub_renderer.client(token=None) as client:
        response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "version", "ffmpeg", "busy", "queued", "running", "uptime_s"}
    assert body["status"] == "ok"
    assert body["ffmpeg"].startswith("ffmpeg version ")
    assert body["busy"] is False
    assert (body["queued"], body["running"]) == (0, 0)
    assert TOKEN not in response.text
    assert str(stub_renderer.work_dir) not in response.text


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_routes_refuse_a_missing_token(stub_renderer: Renderer, method: str, path: str) -> None:
    with stub_renderer.client(token=None) as client:
        response = client.request(method, path, json={"mode": "cancel"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"
    assert "missing Authorization header" in response.json()["error"]["message"]


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_protected_routes_refuse_a_wrong_token(stub_renderer: Renderer, method: str, path: str) -> None:
    with stub_renderer.client(token=TOKEN + "x") as client:
        response = client.request(method, path, json={"mode": "cancel"})
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "unauthorized", "message": "the bearer token is missing or wrong"}


def test_the_right_token_is_let_through(stub_renderer: Renderer) -> None:
    with stub_renderer.client() as client:
        response = client.get("/v1/renders/does-not-exist")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_the_containers_healthcheck_command_passes_against_a_live_renderer(stub_renderer: Renderer) -> None:
    """The Dockerfile's HEALTHCHECK, run as written (the image's python is this python)."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    line = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK"))
    command = json.loads(line.split(" CMD ", 1)[1])
    port = stub_renderer.base_url.rsplit(":", 1)[1]
    env = {**os.environ, "PORT": port}
    assert subprocess.run([sys.executable, *command[1:]], env=env, timeout=10, check=False).returncode == 0
    env["PORT"] = "9"  # nothing listens there: the check must fail
    failed = subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True, timeout=10, check=False)
    assert failed.returncode != 0
