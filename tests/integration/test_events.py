"""Every file in events/ through the real handler, with the status events/README.md promises for it, and the
representation its headers ask for: JSON or CSV (``accept``), gzip or not (``accept-encoding``), the fields asked
for (``fields``), the request id echoed (``x-request-id``), 304 for the tag the event holds (``if-none-match``)."""

from __future__ import annotations

import base64
import copy
import csv
import gzip
import io
import json
import re
import time
import urllib.parse
from types import ModuleType
from typing import Any

import pytest

from charging_sessions.compression import MIN_GZIP_BYTES
from charging_sessions.csv_export import CSV_COLUMNS
from charging_sessions.models import ChargingSession
from charging_sessions.storage.writer import SessionWriter
from charging_sessions.time_range import canonical_instant
from local_toolkit.demo_data import generate_session_list
from local_toolkit.gateway import LambdaContext
from tests.support import EVENTS, assert_error_envelope, call, documented_events, reference, run_cli
from tests.support import event as list_event

CSV_CONTENT_TYPE = "text/csv; charset=utf-8; header=present"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/@-]{1,128}")
_NEXT_LINK = re.compile(r'<(?P<url>[^>]+)>; rel="next"')


def load(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return event


def answer(function: ModuleType, event: dict[str, Any]) -> dict[str, Any]:
    """The handler's whole response to ``event`` (``isBase64Encoded`` included, which ``respond`` leaves out)."""
    response: dict[str, Any] = function.lambda_handler(event, LambdaContext())
    return response


def without_header(event: dict[str, Any], name: str) -> dict[str, Any]:
    """``event`` without the request header ``name``."""
    other = copy.deepcopy(event)
    other["headers"].pop(name, None)
    return other


def expected_request_id(event: dict[str, Any]) -> str:
    """What ``X-Request-ID`` echoes: the caller's ``x-request-id`` when safe to echo, else API Gateway's id."""
    given = (event.get("headers") or {}).get("x-request-id")
    if isinstance(given, str) and _SAFE_REQUEST_ID.fullmatch(given):
        return given
    request_id: str = event["requestContext"]["requestId"]
    return request_id


def takes_gzip(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding`` allows gzip: its ``gzip`` (or ``x-gzip``) entry, else ``*``, weighs above 0. The
    sample events' cases only; ``tests/unit/test_negotiation.py`` tests the rule in full."""
    weights: dict[str, float] = {}
    for entry in (accept_encoding or "").split(","):
        coding, *parameters = (part.strip().lower() for part in entry.split(";"))
        weights[coding] = next((float(p.partition("=")[2]) for p in parameters if p.startswith("q=")), 1.0)
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def wants_csv(event: dict[str, Any]) -> bool:
    """Whether the event's ``accept`` (one media type in the sample events) asks for CSV."""
    accept = str((event.get("headers") or {}).get("accept", ""))
    return accept.partition(";")[0].strip().lower() == "text/csv"


def decoded_body(response: dict[str, Any]) -> str:
    """The response's body as text: a gzip body (base64 of the gzip bytes, as Lambda carries it) decoded first."""
    body: str = response["body"]
    if not response.get("isBase64Encoded"):
        return body
    return gzip.decompress(base64.b64decode(body, validate=True)).decode("utf-8")


def check_coding(function: ModuleType, event: dict[str, Any], response: dict[str, Any]) -> None:
    """A 200 is gzip exactly when the event accepts it and the answer is at least 1 KiB; then its tag is the plain
    answer's with ``-gzip``, else the plain answer's, and its text is the plain answer's either way."""
    plain = answer(function, without_header(event, "accept-encoding"))
    plain_headers = plain.get("headers") or {}
    assert int(plain["statusCode"]) == 200, plain.get("body")
    assert not plain.get("isBase64Encoded") and "Content-Encoding" not in plain_headers
    headers = response.get("headers") or {}
    if takes_gzip(event["headers"].get("accept-encoding")) and len(plain["body"]) >= MIN_GZIP_BYTES:
        assert response.get("isBase64Encoded") is True
        assert headers.get("Content-Encoding") == "gzip"
        assert headers["ETag"] == plain_headers["ETag"][:-1] + '-gzip"'
    else:
        assert not response.get("isBase64Encoded")
        assert "Content-Encoding" not in headers
        assert headers["ETag"] == plain_headers["ETag"]
    assert decoded_body(response) == plain["body"]


def check_not_modified(function: ModuleType, event: dict[str, Any], response: dict[str, Any]) -> None:
    """A 304 has no body and the tag the event holds, which is the tag of the answer the same request gets
    without ``if-none-match`` (the gzip form's when it accepts gzip): the event is not stale."""
    headers = response.get("headers") or {}
    assert not response.get("body")
    assert headers["ETag"] == event["headers"]["if-none-match"]
    fresh = answer(function, without_header(event, "if-none-match"))
    fresh_headers = fresh.get("headers") or {}
    assert int(fresh["statusCode"]) == 200, fresh.get("body")
    assert fresh_headers["ETag"] == headers["ETag"]
    gzipped = fresh_headers.get("Content-Encoding") == "gzip"
    assert headers["ETag"].endswith('-gzip"') == gzipped
    assert gzipped == takes_gzip(event["headers"].get("accept-encoding"))


def check_error(event: dict[str, Any], status: int, response: dict[str, Any]) -> None:
    """The error envelope (a 406 like the others), naming ``fields`` for an unknown field, ``accept`` for a 406."""
    assert (response.get("headers") or {}).get("Content-Type") == "application/json"
    body = json.loads(response["body"])
    assert_error_envelope(status, body)
    problems = {(problem["parameter"], problem["code"]) for problem in body.get("errors") or []}
    if status == 406:
        assert ("accept", "not_acceptable") in problems, body
    if status == 400 and "fields" in (event.get("queryStringParameters") or {}):
        assert ("fields", "unknown_field") in problems, body


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


def read_page(event: dict[str, Any], response: dict[str, Any]) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
    """The sessions (CSV records as dicts of text), the count and the JSON body (empty for CSV) of a 200."""
    headers = response.get("headers") or {}
    text = decoded_body(response)
    if wants_csv(event):
        assert headers.get("Content-Type") == CSV_CONTENT_TYPE
        assert text.endswith("\r\n")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        header, records = rows[0], rows[1:]
        fields = (event.get("queryStringParameters") or {}).get("fields")
        asked = None if fields is None else {"id", *fields.split(",")}
        assert header == [c for c in CSV_COLUMNS if asked is None or c.partition(".")[0] in asked]
        assert all(len(record) == len(header) for record in records)
        return [dict(zip(header, record, strict=True)) for record in records], int(headers["X-Total-Count"]), {}
    assert headers.get("Content-Type") == "application/json"
    body: dict[str, Any] = json.loads(text)
    assert body["success"] is True
    assert headers["X-Total-Count"] == str(body["count"])
    return body["chargingSessions"], body["count"], body


def check_next_link(
    event: dict[str, Any], headers: dict[str, str], body: dict[str, Any], *, more: bool, feed: bool
) -> None:
    """``Link`` names the next page while there is one (always in the update feed), with the event's parameters,
    at the body's ``nextCursor`` (or ``nextSkip``) when it is JSON."""
    assert ("Link" in headers) == (more or feed), headers
    if "Link" not in headers:
        return
    link = _NEXT_LINK.fullmatch(headers["Link"])
    assert link, headers["Link"]
    url = urllib.parse.urlsplit(link["url"])
    assert url.path == event["rawPath"]
    parameters = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
    assert set(event.get("queryStringParameters") or {}) - {"cursor", "skip"} <= set(parameters)
    if "nextCursor" in body:
        assert parameters["cursor"] == body["nextCursor"]
    elif "nextSkip" in body:
        assert parameters["skip"] == str(body["nextSkip"])


@pytest.mark.parametrize(("name", "expected"), sorted(documented_events().items()))
def test_event(function: ModuleType, writer: SessionWriter, name: str, expected: int) -> None:
    sessions = generate_session_list()
    writer.load(sessions)
    event = load(name)
    response = answer(function, event)
    status, headers = int(response["statusCode"]), response.get("headers") or {}
    assert status == expected, response.get("body")
    assert headers["X-Request-ID"] == expected_request_id(event)
    if expected == 304:  # the event holds the tag of the demo data's answer in If-None-Match
        check_not_modified(function, event, response)
        return
    if expected != 200:
        check_error(event, expected, response)
        return
    check_coding(function, event, response)
    page, count, body = read_page(event, response)
    parameters = event.get("queryStringParameters") or {}
    query: dict[str, Any] = {k: int(v) if k in ("skip", "take") else v for k, v in parameters.items()}
    fields = query.pop("fields", None)
    cursor = query.pop("cursor", None)
    if cursor is not None:  # the cursor's page is the one after the walk's pages up to the one that made it
        query["skip"] = walked_before(function, event, cursor)
    feed = query.get("sort") == "updatedAt"
    if feed:
        query["settledBefore"] = canonical_instant(time.time() - function.reader.settle_seconds)
    ids, expected_count = reference(
        sessions, event["requestContext"]["authorizer"]["jwt"]["claims"]["namespaceId"], **query
    )
    assert [s["id"] for s in page] == ids
    assert count == expected_count
    assert count > 0
    more = query.get("take") != 0 and query.get("skip", 0) + len(ids) < count  # take=0: the count, no pages
    check_next_link(event, headers, body, more=more, feed=feed)
    stored = {s["id"]: ChargingSession.model_validate(s).model_dump(mode="json", exclude_none=True) for s in sessions}
    asked = None if fields is None else {"id", *fields.split(",")}
    for session in page:
        full = stored[session["id"]]
        if wants_csv(event):  # text cells: compare a few plain ones
            assert (session["status"], session["createdAt"]) == (full["status"], full["createdAt"])
        elif asked is None:
            ChargingSession.model_validate(session)
        else:  # only the fields asked for, with the stored values (those the session has)
            assert session == {k: v for k, v in full.items() if k in asked}


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
    assert response["headers"]["X-Request-ID"] == expected_request_id(load(name))
    if response.get("isBase64Encoded"):  # a gzip body travels as base64 text in the one JSON document
        assert response["headers"]["Content-Encoding"] == "gzip"
        json.loads(decoded_body(response))
