"""Schema-driven fuzzing of the running local API from its own OpenAPI document (schemathesis).

`charging-sessions serve` runs in its own process with the demo data. Schemathesis generates valid and
invalid requests from the OpenAPI document (coverage phase: boundary and type-violating values, repeated
parameters; fuzzing phase: random ones, bounded and deterministic) and runs all its built-in checks on every
answer, among them ``not_a_server_error``, ``status_code_conformance``, ``response_schema_conformance``,
``negative_data_rejection`` and ``ignored_auth``. On top: every 4xx is exactly the error envelope, and every
body also fits the API page's translation (``page_schema.json``).

The schema is loaded at collection from ``docs/openapi.json``, and the first test proves that it is what the
running server serves at ``/openapi.json``: schemathesis' lazy ``from_fixture`` loader does not work with
pytest 9.2 (it sets ``Function._nodeid``, which pytest 9.2 no longer has).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import CheckFunction
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
    response_schema_conformance,
    unsupported_method,
)

from charging_sessions.query import SessionQuery
from charging_sessions.storage.plan import plan_page
from charging_sessions.storage.reader import MAX_SKIP_WITHOUT_KEYS
from local_toolkit.gateway import make_token
from tests.local_server import base_url, local_server

pytestmark = pytest.mark.e2e

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
PAGE = json.loads(Path(__file__).with_name("page_schema.json").read_text(encoding="utf-8"))
MAX_EXAMPLES = 60
OTHER_METHODS = {"put", "post", "delete", "options", "patch", "trace", "query"}
"""Every method schemathesis sends besides the route's GET (it cannot send HEAD: tests/e2e/test_raw_http.py does)."""
CONFIG = {
    "seed": 20_260_101,
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
    "phases": {
        "stateful": {"enabled": False},  # one read-only operation: no links to follow
        # Every method, as a fuzzer run from outside would send them: methods other than GET never reach the
        # function, and the local server answers them as API Gateway's HTTP API does (404 in the JSON envelope).
        "coverage": {"unexpected-methods": sorted(OTHER_METHODS), "generate-duplicate-query-parameters": True},
    },
}

schema = schemathesis.openapi.from_path(str(DOCUMENT), config=schemathesis.Config.from_dict(CONFIG))


def _validator(definition: str) -> jsonschema_rs.Validator:
    page_definition = {"$ref": f"#/$defs/{definition}", "$defs": PAGE["$defs"]}
    return jsonschema_rs.Draft202012Validator(page_definition, validate_formats=True)


PAGE_BODIES = {200: _validator("Response200"), 500: _validator("Response500")}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with local_server() as url:
        yield base_url(url)


def test_fuzzed_document_is_the_one_the_server_serves(server: str) -> None:
    with urllib.request.urlopen(f"{server}/openapi.json", timeout=30) as response:  # noqa: S310
        served = response.read().decode("utf-8")
    assert served == DOCUMENT.read_text(encoding="utf-8"), "the server serves another OpenAPI: run make openapi"


def deep_skip(query: dict[str, Any]) -> bool:
    """Whether a query asks for a ``skip`` past ``MAX_SKIP_WITHOUT_KEYS`` where the read has no keys-only twin."""
    try:
        skip = int(query.get("skip", 0))
        plan = plan_page("tenant-alpha", SessionQuery.from_parameters(query), "9999-12-31T23:59:59.999Z")
    except (TypeError, ValueError):
        return False
    return skip > MAX_SKIP_WITHOUT_KEYS and not plan.keys_only


def envelope_problem(status: int, body: Any) -> str | None:
    """Why a 4xx body is not exactly ``{"success": false, "message": <non-empty string>}``, or None."""
    if not 400 <= status < 500:
        return None
    if not isinstance(body, dict) or not {"success", "message"} <= set(body) <= {
        "success",
        "message",
        "code",
        "errors",
    }:
        return f"{status}: the body is not the error envelope: {body!r}"
    if body["success"] is not False:
        return f"{status}: success is {body['success']!r}"
    if not isinstance(body["message"], str) or not body["message"].strip():
        return f"{status}: message is {body['message']!r}"
    return None


def page_problems(status: int, body: Any) -> list[str]:
    """What in the body the API page does not allow (4xx bodies are held to the page's error body)."""
    validator = PAGE_BODIES[200] if status == 200 else PAGE_BODIES[500]
    return [f"{'/'.join(map(str, error.instance_path))}: {error.message}" for error in validator.iter_errors(body)]


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_local_api_answers_as_documented(case: schemathesis.Case[Any], server: str) -> None:
    token = make_token("tenant-alpha")
    # A cursor is opaque and signed: no schema can describe the ones the API issued, so a generated one is
    # refused (400, held to the envelope below) although it fits the schema; every other parameter must be accepted.
    # Likewise a skip deeper than the cap where skipping reads whole sessions: the cap depends on the other
    # parameters (filters), which a JSON schema cannot say; the 400 is held to the envelope below.
    query = case.query or {}
    excluded: list[CheckFunction] = [positive_data_acceptance] if "cursor" in query or deep_skip(query) else []
    fields = query.get("fields")
    if isinstance(fields, str):
        # A sparse page's sessions hold only the named fields, which a JSON schema of the session (its required
        # list) cannot say; the parameter's description does. The sessions are checked against the fields below.
        excluded.append(response_schema_conformance)
    if case.method.lower() in OTHER_METHODS:
        # API Gateway's HTTP API answers a method without a route 404 (not 405 with Allow), and so does the server.
        excluded.append(unsupported_method)
    response = case.call_and_validate(
        base_url=server, headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded, timeout=30
    )
    reproduce = case.as_curl_command(headers={"Authorization": f"Bearer {token}"}, base_url=server)
    headers = {
        name.lower(): value if isinstance(value, str) else ", ".join(value) for name, value in response.headers.items()
    }
    if response.status_code == 304:  # If-None-Match held the tag (or *): no body, the tag
        assert response.text == "", reproduce
        assert headers.get("etag"), reproduce
        return
    assert headers.get("etag") or response.status_code != 200, reproduce
    assert headers.get("x-request-id") or case.method.lower() in OTHER_METHODS, reproduce  # the function's answers
    if response.status_code == 200 and headers.get("content-type", "").startswith("text/csv"):
        assert response.text.startswith("id,"), reproduce  # Accept preferred CSV: the header row first
        return
    assert headers.get("content-type", "").startswith("application/json"), reproduce
    body = json.loads(response.text)
    problem = envelope_problem(response.status_code, body)
    assert problem is None, f"{problem}\nreproduce: {reproduce}"
    if response.status_code == 200 and isinstance(fields, str):
        named = {"id", *(name.strip() for name in fields.split(","))}
        assert all(set(session) <= named for session in body["chargingSessions"]), reproduce
        body = {**body, "chargingSessions": []}  # the envelope is still the page's
    problems = page_problems(response.status_code, body)
    assert not problems, f"{response.status_code} body breaks the API page: {problems}\nreproduce: {reproduce}"
