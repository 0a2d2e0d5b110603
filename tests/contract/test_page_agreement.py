"""The OpenAPI document the code generates agrees, field by field, with the API page.

``page_schema.json`` is a machine-readable translation of the page (JSON Schema 2020-12). Both documents are
walked in parallel after resolving ``$ref``: the same property names, required sets, types, enums, string
lengths, numeric bounds, patterns and formats. Pydantic writes an optional field as ``anyOf [X, null]``; that is
read as X (the wire never carries ``null``: absent fields are left out), but a required field may not be nullable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from charging_sessions.models import MAX_SAFE_INTEGER
from charging_sessions.routes import LIST_SESSIONS_PATH
from local_toolkit.openapi_document import generate

PAGE = json.loads((Path(__file__).with_name("page_schema.json")).read_text(encoding="utf-8"))
ROUTE = LIST_SESSIONS_PATH
FACETS = (
    *("type", "enum", "const", "format", "pattern", "minLength", "maxLength"),
    *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems"),
)

KNOWN_RESPONSE_MISMATCHES: dict[tuple[str, str], str] = {
    ("200.nextSkip", "presence"): (
        "additive and optional: where the next page starts, since a page can end early to fit Lambda's 6 MB "
        "response (README, 'Page size')"
    ),
    ("500.code", "presence"): (
        "additive and optional: a short fixed word a program can act on (ErrorCode), on every error the function "
        "answers (README, 'Errors')"
    ),
    ("500.errors", "presence"): (
        "additive and optional: present on 400 and 406 only, one entry per problem with its parameter and code "
        "(README, 'Errors')"
    ),
    ("200.nextCursor", "presence"): (
        "additive and optional: the keyset resume point, where more sessions follow, and always in the update "
        "feed (README, 'Cursors', 'The update feed')"
    ),
}
"""(path, facet) -> why. Differences between the page and our response schemas that are known and reported.

Each entry must still be a difference (a stale entry fails the test), so fixing one forces its removal here."""

QUERY_DIFFERENCES: dict[tuple[str, str], str] = {
    ("skip", "minimum"): "a count of sessions to pass over cannot be negative (README: 0 <= skip)",
    ("take", "minimum"): "a page size cannot be negative; take=0 answers only the count (README)",
    ("take", "maximum"): "MAX_TAKE (default 1000) bounds one page's size and cost (README, settings.py)",
    ("userId", "minLength"): "an empty id is refused rather than matching nothing (storage key part)",
    ("userId", "maxLength"): "MAX_KEY_PART_CHARS (128): the id is part of a DynamoDB key (docs/storage.md)",
    ("userId", "pattern"): "no control characters: the id is part of a DynamoDB key (docs/storage.md)",
    ("chargerId", "minLength"): "an empty id is refused rather than matching nothing (storage key part)",
    ("chargerId", "maxLength"): "MAX_KEY_PART_CHARS (128): the id is part of a DynamoDB key (docs/storage.md)",
    ("chargerId", "pattern"): "no control characters: the id is part of a DynamoDB key (docs/storage.md)",
}
"""(parameter, facet) -> why. Our query parameters are deliberately stricter than the page here, and only here."""


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(generate())
    return document


def resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follows local ``$ref`` (``#/components/schemas/X`` or ``#/$defs/X``) until a schema without one."""
    seen: set[str] = set()
    while "$ref" in node:
        ref = node["$ref"]
        assert isinstance(ref, str)
        assert ref.startswith("#/"), ref
        assert ref not in seen, f"cyclic $ref {ref}"
        seen.add(ref)
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def unwrap(node: Mapping[str, Any], root: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
    """The schema without pydantic's optional wrapper, and whether ``null`` was allowed."""
    node = resolve(node, root)
    variants = node.get("anyOf")
    if variants is None:
        return node, node.get("type") == "null"
    kept = [variant for variant in variants if resolve(variant, root).get("type") != "null"]
    nullable = len(kept) < len(variants)
    if len(kept) != 1:
        return node, nullable
    return resolve(kept[0], root), nullable


def compare(
    ours: Mapping[str, Any],
    page: Mapping[str, Any],
    *,
    our_root: Mapping[str, Any],
    path: str,
    required: bool,
    differences: dict[tuple[str, str], str],
) -> None:
    """Records in ``differences`` every (path, facet) where our schema says something else than the page's."""
    our_schema, nullable = unwrap(ours, our_root)
    page_schema, _ = unwrap(page, PAGE)
    if nullable and required:
        differences[(path, "nullable")] = "a required field may be null"
    for facet in FACETS:
        if our_schema.get(facet) != page_schema.get(facet):
            differences[(path, facet)] = f"ours {our_schema.get(facet)!r}, page {page_schema.get(facet)!r}"
    if "anyOf" in our_schema or "oneOf" in our_schema or "allOf" in our_schema:
        differences[(path, "composition")] = "ours composes schemas where the page has one"
    if page_schema.get("type") == "object" or our_schema.get("type") == "object":
        our_properties: Mapping[str, Any] = our_schema.get("properties", {})
        page_properties: Mapping[str, Any] = page_schema.get("properties", {})
        for name in sorted(set(our_properties) - set(page_properties)):
            differences[(f"{path}.{name}", "presence")] = "only in ours"
        for name in sorted(set(page_properties) - set(our_properties)):
            differences[(f"{path}.{name}", "presence")] = "only on the page"
        our_required = set(our_schema.get("required", []))
        page_required = set(page_schema.get("required", []))
        for name in sorted(our_required ^ page_required):
            where = "ours" if name in our_required else "the page"
            differences[(f"{path}.{name}", "required")] = f"required only in {where}"
        for name in sorted(set(our_properties) & set(page_properties)):
            compare(
                our_properties[name],
                page_properties[name],
                our_root=our_root,
                path=f"{path}.{name}",
                required=name in our_required,
                differences=differences,
            )
    if page_schema.get("type") == "array" or our_schema.get("type") == "array":
        compare(
            our_schema.get("items", {}),
            page_schema.get("items", {}),
            our_root=our_root,
            path=f"{path}[]",
            required=True,
            differences=differences,
        )


def response_schema(openapi: Mapping[str, Any], status: str) -> Mapping[str, Any]:
    response = openapi["paths"][ROUTE]["get"]["responses"][status]
    schema: Mapping[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def differences_from_page(openapi: Mapping[str, Any], status: str, page_definition: str) -> dict[tuple[str, str], str]:
    differences: dict[tuple[str, str], str] = {}
    compare(
        response_schema(openapi, status),
        PAGE["$defs"][page_definition],
        our_root=openapi,
        path=status,
        required=True,
        differences=differences,
    )
    return differences


def report(differences: Mapping[tuple[str, str], str]) -> str:
    return "\n".join(f"  {path} [{facet}]: {why}" for (path, facet), why in sorted(differences.items()))


def test_page_translation_is_valid_json_schema() -> None:
    jsonschema_rs.meta.validate(PAGE)


@pytest.mark.parametrize(("status", "definition"), [("200", "Response200"), ("500", "Response500")])
def test_response_agrees_with_the_page(openapi: dict[str, Any], status: str, definition: str) -> None:
    differences = differences_from_page(openapi, status, definition)
    known = {key: why for key, why in KNOWN_RESPONSE_MISMATCHES.items() if key[0].split(".")[0] == status}
    unexpected = {key: why for key, why in differences.items() if key not in known}
    stale = {key: why for key, why in known.items() if key not in differences}
    assert not unexpected, f"the {status} body differs from the API page:\n{report(unexpected)}"
    assert not stale, f"known mismatches that are gone (remove them from KNOWN_RESPONSE_MISMATCHES):\n{report(stale)}"


@pytest.mark.parametrize(("status", "description"), [("200", "Response for status ok"), ("500", None)])
def test_response_descriptions(openapi: dict[str, Any], status: str, description: str | None) -> None:
    expected = description or PAGE["$defs"]["Response500"]["description"]
    assert openapi["paths"][ROUTE]["get"]["responses"][status]["description"] == expected


@pytest.mark.parametrize("status", ["400", "401", "503"])
def test_errors_beyond_the_page_are_documented_with_the_error_envelope(openapi: dict[str, Any], status: str) -> None:
    responses = openapi["paths"][ROUTE]["get"]["responses"]
    assert status in responses, f"{status} is answered but not documented"
    assert responses[status]["description"]
    assert response_schema(openapi, status) == response_schema(openapi, "500")  # the envelope, checked above
    envelope = resolve(response_schema(openapi, status), openapi)
    assert set(envelope["properties"]) == {"success", "message", "code", "errors"}
    assert set(envelope["required"]) == {"success", "message"}


def test_documented_statuses_are_the_answered_ones(openapi: dict[str, Any]) -> None:
    operation = openapi["paths"][ROUTE]["get"]
    assert set(operation["responses"]) == {"200", "304", "400", "401", "406", "429", "500", "503"}
    assert "requestBody" not in operation  # the page's "Request Body required" is an artefact: a GET has no body
    assert list(openapi["paths"]) == [ROUTE]
    assert operation["summary"] == "List charging sessions for namespace"


def test_not_modified_is_documented_without_content_and_with_the_tag(openapi: dict[str, Any]) -> None:
    responses = openapi["paths"][ROUTE]["get"]["responses"]
    assert "content" not in responses["304"]
    for status in ("200", "304"):
        assert responses[status]["headers"]["ETag"]["schema"] == {"type": "string"}
    headers = [p for p in openapi["paths"][ROUTE]["get"]["parameters"] if p["in"] == "header"]
    assert [header["name"] for header in headers] == ["if-none-match", "accept", "accept-encoding", "x-request-id"]


def query_parameters(openapi: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    parameters = [p for p in openapi["paths"][ROUTE]["get"]["parameters"] if p["in"] != "header"]
    assert all(parameter["in"] == "query" for parameter in parameters)
    return {parameter["name"]: parameter for parameter in parameters}


ADDITIVE_QUERY_PARAMETERS: dict[str, str] = {
    "createdFrom": "incremental sync: sessions created at or after an instant (README, 'Time ranges')",
    "createdTo": "incremental sync: sessions created before an instant (README, 'Time ranges')",
    "updatedFrom": "incremental sync: sessions last updated at or after an instant",
    "updatedTo": "incremental sync: sessions last updated before an instant",
    "sort": "incremental sync: the update feed (sort=updatedAt); the default is the page's order",
    "cursor": "keyset paging: a previous page's nextCursor (README, 'Cursors')",
    "fields": "a lighter page: only the named top-level session fields (README, 'Fields')",
}
"""Parameters beyond the page: additive (optional; without them the API answers as the page says)."""
TIME_RANGE_PARAMETERS = ("createdFrom", "createdTo", "updatedFrom", "updatedTo")


def test_additive_parameters_are_optional(openapi: dict[str, Any]) -> None:
    ours = query_parameters(openapi)
    for name in ADDITIVE_QUERY_PARAMETERS:
        assert ours[name].get("required", False) is False
    for name in TIME_RANGE_PARAMETERS:
        assert unwrap(ours[name]["schema"], openapi)[0] == {"type": "string", "format": "date-time"}
    sort, _ = unwrap(ours["sort"]["schema"], openapi)
    assert sort["enum"] == ["-createdAt", "updatedAt"]
    assert ours["sort"]["schema"].get("default", sort.get("default")) == "-createdAt"


def test_query_parameters_are_the_pages(openapi: dict[str, Any]) -> None:
    ours = {name: p for name, p in query_parameters(openapi).items() if name not in ADDITIVE_QUERY_PARAMETERS}
    page = PAGE["$defs"]["QueryParameters"]["properties"]
    assert sorted(ours) == sorted(page)
    for name, parameter in ours.items():
        assert parameter.get("required", False) is (name in PAGE["$defs"]["QueryParameters"].get("required", []))
        our_schema, _ = unwrap(parameter["schema"], openapi)
        page_schema, _ = unwrap(page[name], PAGE)
        assert our_schema.get("type") == page_schema.get("type"), name
        assert our_schema.get("enum") == page_schema.get("enum"), name
        assert our_schema.get("format") == page_schema.get("format"), name


def _within(facet: str, ours: Any, page: Any) -> bool:
    """Whether our bound is at least as strict as the page's (the page's absent bound allows anything)."""
    if ours is None:
        return page is None
    if page is None:
        return True
    if facet in ("minimum", "minLength"):
        return bool(ours >= page)
    if facet in ("maximum", "maxLength"):
        return bool(ours <= page)
    return False


def test_query_parameter_bounds_lie_within_the_pages(openapi: dict[str, Any]) -> None:
    ours = {name: p for name, p in query_parameters(openapi).items() if name not in ADDITIVE_QUERY_PARAMETERS}
    page = PAGE["$defs"]["QueryParameters"]["properties"]
    differences: dict[tuple[str, str], str] = {}
    for name in sorted(ours):
        our_schema, _ = unwrap(ours[name]["schema"], openapi)
        page_schema, _ = unwrap(page[name], PAGE)
        for facet in (
            "minimum",
            "maximum",
            "minLength",
            "maxLength",
            "pattern",
            "exclusiveMinimum",
            "exclusiveMaximum",
        ):
            mine, theirs = our_schema.get(facet), page_schema.get(facet)
            if mine == theirs:
                continue
            differences[(name, facet)] = f"ours {mine!r}, page {theirs!r}"
            if facet != "pattern":  # a pattern the page does not have only narrows what is accepted
                assert _within(facet, mine, theirs), (
                    f"{name}: our {facet} {mine!r} is looser than the page's {theirs!r}"
                )
    unexplained = sorted(set(differences) - set(QUERY_DIFFERENCES))
    stale = sorted(set(QUERY_DIFFERENCES) - set(differences))
    assert not unexplained, "undocumented differences from the page:\n" + report(
        {key: differences[key] for key in unexplained}
    )
    assert not stale, f"QUERY_DIFFERENCES lists differences that are gone: {stale}"


def test_query_bounds_are_the_documented_ones(openapi: dict[str, Any]) -> None:
    ours = {name: unwrap(parameter["schema"], openapi)[0] for name, parameter in query_parameters(openapi).items()}
    assert (ours["skip"]["minimum"], ours["skip"]["maximum"]) == (0, MAX_SAFE_INTEGER)
    assert ours["take"]["minimum"] == 0
    for name in ("userId", "chargerId"):
        assert (ours[name]["minLength"], ours[name]["maxLength"]) == (1, 128)


def test_the_walk_sees_differences(openapi: dict[str, Any]) -> None:
    """The comparison is not vacuous: planted differences are all reported."""
    planted = json.loads(json.dumps(openapi))
    schemas = planted["components"]["schemas"]
    schemas["ChargingSession"]["required"].remove("price")
    schemas["ChargingSession"]["properties"]["idTag"]["maxLength"] = 21
    schemas["ChargingSession"]["properties"]["extra"] = {"type": "string"}
    schemas["ChargingSession"]["properties"]["namespaceId"] = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    schemas["TariffElement"]["properties"]["id"]["minLength"] = 20
    schemas["TimeOfDay"]["properties"]["hour"]["type"] = "number"
    schemas["ChargingIntent"]["properties"]["id"].pop("format")
    schemas["StopReason"]["enum"].remove("Other")
    differences = differences_from_page(planted, "200", "Response200")
    session = "200.chargingSessions[]"
    tariff_element = f"{session}.tariff.elements[]"
    assert {
        (f"{session}.price", "required"),
        (f"{session}.idTag", "maxLength"),
        (f"{session}.extra", "presence"),
        (f"{session}.namespaceId", "nullable"),
        (f"{tariff_element}.id", "minLength"),
        (f"{tariff_element}.restrictions.startTime.hour", "type"),
        (f"{tariff_element}.restrictions.endTime.hour", "type"),
        (f"{session}.chargingIntent.id", "format"),
        (f"{session}.stoppedReason", "enum"),
    } <= set(differences)
