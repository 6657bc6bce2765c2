"""The published OpenAPI document is what the app generates, and it documents the contract's essentials."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cloudburst.renderer.openapi import openapi_document, openapi_json

ROOT = Path(__file__).resolve().parents[3]
PUBLISHED = ROOT / "schemas" / "renderer-openapi.json"
REGENERATE = "python -m cloudburst.renderer --export-openapi schemas/renderer-openapi.json"


def test_the_published_document_matches_the_app() -> None:
    assert PUBLISHED.read_text(encoding="utf-8") == openapi_json(), f"the API changed: run `{REGENERATE}`"


def test_it_documents_every_route_of_the_contract() -> None:
    paths: dict[str, Any] = openapi_document()["paths"]
    routes = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert routes == {
        ("GET", "/healthz"),
        ("POST", "/v1/renders"),
        ("GET", "/v1/renders/{render_id}"),
        ("GET", "/v1/renders/{render_id}/output"),
        ("DELETE", "/v1/renders/{render_id}"),
        ("POST", "/v1/shutdown"),
    }


def test_refusals_are_documented_as_400_error_bodies_never_422_lists() -> None:
    document = openapi_document()
    text = json.dumps(document)
    assert "HTTPValidationError" not in text
    post = document["paths"]["/v1/renders"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RenderRequest"
    }
    assert set(post["responses"]) == {"200", "202", "400", "401", "503"}
    assert document["paths"]["/v1/renders/{render_id}/output"]["get"]["responses"]["422"]["content"]


def test_every_route_but_healthz_requires_the_bearer_token() -> None:
    document = openapi_document()
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearer": []}]
    assert document["paths"]["/healthz"]["get"]["security"] == []


def test_request_schemas_carry_the_shared_render_options() -> None:
    schemas = openapi_document()["components"]["schemas"]
    request = schemas["RenderRequest"]
    assert request["required"] == ["inputs"]
    assert request["additionalProperties"] is False
    assert set(schemas["RenderInputs"]["required"]) == {"image_url", "audio_url"}
    assert "quality" in schemas["RenderOptions"]["properties"]
