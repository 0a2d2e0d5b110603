"""Every file in events/ through the real handler, with the status events/README.md promises for it."""

from __future__ import annotations

import json
import time
import urllib.parse
from types import ModuleType
from typing import Any

import pytest

from charging_sessions.models import ChargingSession
from charging_sessions.storage.writer import SessionWriter
from charging_sessions.time_range import canonical_instant
from local_toolkit.demo_data import generate_session_list
from tests.support import EVENTS, call, documented_events, reference, respond, run_cli
from tests.support import event as list_event


def walked_before(function: ModuleType, event: dict[str, Any], cursor: str) -> int:
    """How many sessions a walk of the event's query (without its cursor) answers before ``cursor``."""
    query = {k: v for k, v in (event.get("queryStringParameters") or {}).items() if k != "cursor"}
    passed, given = 0, ""
    for _ in range(100):
        status, body = call(
            function, list_event(urllib.parse.urlencode({**query, **({"cursor": given} if given else {})}))
        )
        assert status == 200, body
        passed += len(body["chargingSessions"])
        given = body.get("nextCursor", "")
        if given == cursor:
            return passed
        assert given, "the walk ended before it answered the event's cursor"
    raise AssertionError("the walk did not reach the event's cursor")


@pytest.mark.parametrize(("name", "expected"), sorted(documented_events().items()))
def test_event(function: ModuleType, writer: SessionWriter, name: str, expected: int) -> None:
    sessions = generate_session_list()
    writer.load(sessions)
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    if expected == 304:  # the event holds the tag of the demo data's answer in If-None-Match
        status, headers, raw = respond(function, event)
        assert (status, raw) == (304, None)
        assert headers["ETag"] == event["headers"]["if-none-match"]
        return
    status, body = call(function, event)
    assert status == expected, body
    if expected != 200:
        assert body["success"] is False
        assert body["message"]
        return
    parameters = event.get("queryStringParameters") or {}
    query: dict[str, Any] = {k: int(v) if k in ("skip", "take") else v for k, v in parameters.items()}
    cursor = query.pop("cursor", None)
    if cursor is not None:  # the cursor's page is the one after the walk's pages up to the one that made it
        query["skip"] = walked_before(function, event, cursor)
    if query.get("sort") == "updatedAt":
        query["settledBefore"] = canonical_instant(time.time() - function.reader.settle_seconds)
    ids, count = reference(sessions, event["requestContext"]["authorizer"]["jwt"]["claims"]["namespaceId"], **query)
    assert [s["id"] for s in body["chargingSessions"]] == ids
    assert body["count"] == count
    assert count > 0
    for session in body["chargingSessions"]:
        ChargingSession.model_validate(session)


@pytest.mark.parametrize(("name", "expected"), sorted(documented_events().items()))
def test_invoke_prints_the_response_alone_on_stdout(name: str, expected: int) -> None:
    """``charging-sessions invoke EVENT | jq .statusCode`` works as with ``sam local invoke``: stdout is the
    response and nothing else (one JSON document), the function's logs and metrics go to stderr."""
    completed = run_cli("invoke", str(EVENTS / name))
    assert completed.returncode == 0, completed.stderr[-3000:]
    response = json.loads(completed.stdout)
    assert response["statusCode"] == expected
    assert completed.stdout.count("\n") == 1
    assert '"Listed sessions"' in completed.stderr or expected != 200
