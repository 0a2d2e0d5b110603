"""The committed OpenAPI document (docs/openapi.json) is the one the code generates."""

from __future__ import annotations

import json
from pathlib import Path

from local_toolkit.openapi_document import generate

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_committed_document_is_the_generated_one() -> None:
    generated = generate()
    assert COMMITTED.exists(), f"{COMMITTED} is missing: run make openapi"
    committed = COMMITTED.read_text(encoding="utf-8")
    assert committed == generated, (
        f"{COMMITTED.name} differs from the OpenAPI document the code generates: run make openapi "
        "(and commit docs/openapi.json)"
    )


def test_document_is_openapi_3_1_with_the_bearer_scheme() -> None:
    document = json.loads(generate())
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["jwt"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["jwt"]["description"],
    }
    assert document["security"] == [{"jwt": []}]
