"""The API's OpenAPI 3.1 document, generated from the code (Powertools' OpenAPI support on the resolver).

The committed copy is ``docs/openapi.json``; ``make openapi`` (``charging-sessions openapi --output FILE``)
regenerates it and a contract test fails when the two differ. The local server serves the same text.
"""

from __future__ import annotations

import json
import os
from types import ModuleType
from typing import Any

from . import harness

UNDELIVERED_STATUS_CODES = ("422",)
"""Responses Powertools documents on every validated route but this API never answers: request validation
errors are answered 400 with the error envelope (see ``charging_sessions.http_edge``)."""


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _references(value)
        return found
    if isinstance(node, list):
        return set().union(*(_references(item) for item in node)) if node else set()
    return set()


def _prune_components(document: dict[str, Any]) -> None:
    """Drop component schemas nothing refers to (Powertools adds its validation-error schemas to every document)."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    prefix = "#/components/schemas/"
    while True:
        outside = {key: value for key, value in document.items() if key != "components"}
        used = _references(outside) | _references(schemas)
        unused = [name for name in schemas if prefix + name not in used]
        if not unused:
            return
        for name in unused:
            del schemas[name]


def metadata() -> dict[str, Any]:
    """Title, description, servers and security of the document. Kept here, not configured on the resolver in
    the function: Powertools' OpenAPI models cost ~100 ms of imports that a cold start need not pay."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

    return {
        "title": "Charging sessions API",
        "version": "0.1.0",
        "description": (
            "Lists the charging sessions of the caller's namespace (tenant), newest first. The namespace comes "
            "only from a claim (`NAMESPACE_CLAIM`, default `namespaceId`) of the bearer token that API Gateway's "
            'JWT authorizer verified. Every error is `{"success": false, "message": "...", "code": "..."}`, with '
            "`errors` (each problem's parameter and code) on 400 and 406; a 304 has no body."
        ),
        "servers": [Server(url="/", description="The HTTP API's invoke URL (or `charging-sessions serve` locally)")],
        "security_schemes": {
            "jwt": HTTPBearer(
                bearerFormat="JWT", description="A JWT verified by API Gateway's JWT authorizer; carries the namespace."
            )
        },
        "security": [{"jwt": []}],
    }


def document_of(function: ModuleType) -> dict[str, Any]:
    """The OpenAPI document of a function module's resolver, with what the API never answers left out."""
    document: dict[str, Any] = json.loads(function.app.get_openapi_json_schema(**metadata()))
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            for code in UNDELIVERED_STATUS_CODES:
                operation.get("responses", {}).pop(code, None)
            for response in operation.get("responses", {}).values():
                if response.get("content") == {}:
                    del response["content"]  # a response without a body (304): no content at all
    _prune_components(document)
    return document


def render(function: ModuleType) -> str:
    """Deterministic text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(document_of(function), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate() -> str:
    """The document of the list function, importing it as the local server does.

    The function reads its settings at import; when ``TABLE_NAME`` is unset a harmless local environment is set
    first (nothing is called: generating the document reads no table)."""
    if not os.environ.get("TABLE_NAME"):
        harness.use_emulation(None)
    return render(harness.load_handler())
