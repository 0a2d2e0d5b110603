"""The sample events (``events/``) and their documentation agree: every file is listed with its status, and every
file is shaped as events/README.md says (an HTTP API payload 2.0 event, as ``sam local invoke`` takes it)."""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

import pytest

from tests.support import EVENTS, documented_events


def test_every_event_file_is_documented_and_every_documented_file_exists() -> None:
    assert set(documented_events()) == {path.name for path in EVENTS.glob("*.json")}


@pytest.mark.parametrize("path", sorted(EVENTS.glob("*.json")), ids=lambda path: path.name)
def test_event_file_is_an_http_api_event_as_the_readme_describes(path: Path) -> None:
    event = json.loads(path.read_text(encoding="utf-8"))
    context = event["requestContext"]
    assert event["version"] == "2.0" and event["isBase64Encoded"] is False
    assert event["rawPath"] == context["http"]["path"] and event["routeKey"] == context["routeKey"]
    assert all(name == name.lower() and isinstance(value, str) for name, value in event["headers"].items())
    joined: dict[str, str] = {}  # a repeated parameter's values joined with commas, as API Gateway does
    for name, value in urllib.parse.parse_qsl(event["rawQueryString"], keep_blank_values=True):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    assert event.get("queryStringParameters", {}) == joined
    claims = context.get("authorizer", {}).get("jwt", {}).get("claims")
    assert (claims is None) == (path.name == "missing-claim.json")
