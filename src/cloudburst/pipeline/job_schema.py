"""The published JSON Schema of a job (`schemas/job.schema.json`), generated from `cloudburst.models.job`.

Editors and other languages validate jobs with the file; Python code validates with the model itself. The
file is generated, never edited: `python -m cloudburst.pipeline.job_schema` rewrites it, and a test fails
when it no longer matches the model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cloudburst.models.job import JobSpec

SCHEMA_PATH = Path("schemas") / "job.schema.json"


def job_schema() -> dict[str, Any]:
    schema = JobSpec.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def render_schema() -> str:
    return json.dumps(job_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    target = Path((argv or sys.argv[1:] or [str(SCHEMA_PATH)])[0])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_schema(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
