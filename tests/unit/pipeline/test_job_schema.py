"""schemas/job.schema.json is generated from JobSpec; this fails as soon as the two drift apart."""

from __future__ import annotations

import json
from pathlib import Path

from cloudburst.models.job import JobSpec
from cloudburst.pipeline.job_schema import SCHEMA_PATH, main, render_schema
from tests.unit.pipeline.stack import ROOT


def test_the_published_schema_matches_the_model() -> None:
    published = (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    assert published == render_schema(), "regenerate it: python -m cloudburst.pipeline.job_schema"


def test_the_schema_describes_the_job() -> None:
    schema = json.loads(render_schema())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(schema["properties"]) == set(JobSpec.model_fields)
    assert schema["required"] == ["scenes"]
    scene = schema["$defs"]["SceneSpec"]
    assert scene["properties"]["name"]["pattern"] == "^[A-Za-z0-9._-]{1,100}$"
    assert set(scene["required"]) == {"name", "image", "audio"}


def test_the_generator_writes_where_it_is_told(tmp_path: Path) -> None:
    target = tmp_path / "out" / "job.schema.json"
    assert main([str(target)]) == 0
    assert target.read_text(encoding="utf-8") == render_schema()
