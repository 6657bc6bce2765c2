"""End-to-end fixtures: the product's template on the local cloud with the real renderer, and the session-wide
check that no renderer process outlives the tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudburst.local import LocalCloud
from tests.e2e.jobs import renderer_children

REPO = Path(__file__).parents[2]
TIME_SCALE = 0.1
"""Retry intervals and Wait states run ten times faster (FindTask's 3 s backoff becomes 0.3 s)."""


@pytest.fixture(scope="session", autouse=True)
def no_renderer_outlives_the_session() -> Iterator[None]:
    yield
    assert renderer_children() == [], "renderer processes outlived the end-to-end tests"


@pytest.fixture(scope="module")
def product_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(
        template=REPO / "template.yaml", run_dir=tmp_path_factory.mktemp("e2e-run"), time_scale=TIME_SCALE
    ) as cloud:
        yield cloud
        leftovers = cloud.leftover_tasks()
    assert leftovers == [], f"tasks outlived their jobs: {leftovers}"
    assert renderer_children() == []
