"""The HTTP face of the list route through the real handler: gzip by q-value with a tag of its own, caching
headers on 200 and 304, the next page in ``Link``, error codes, request ids on every answer, ``fields``, CSV."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import itertools
import json
import urllib.parse
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from charging_sessions.storage.writer import SessionWriter
from local_toolkit.gateway import LambdaContext
from tests.factories import make_session
from tests.support import assert_error_envelope, event

SESSIONS = 12
PAGE_VARY = {"authorization", "accept", "accept-encoding"}


class Answer:
    """One answer of the function: status, headers, the body as text (gunzipped) and whether it came gzipped."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.status = int(response["statusCode"])
        self.headers: dict[str, str] = dict(response.get("headers") or {})
        raw = response.get("body") or None
        self.gzipped = bool(response.get("isBase64Encoded"))
        self.text = gzip.decompress(base64.b64decode(raw)).decode("utf-8") if raw and self.gzipped else raw

    def json(self) -> Any:
        assert self.text is not None
        return json.loads(self.text)

    def rows(self) -> list[dict[str, str]]:
        assert self.text is not None
        assert self.text.endswith("\r\n") and "\n" not in self.text.replace("\r\n", "")  # CRLF records
        return list(csv.DictReader(io.StringIO(self.text, newline="")))

    def link(self) -> str | None:
        """The target of ``Link: <...>; rel="next"`` (None without one)."""
        header = self.headers.get("Link")
        if header is None:
            return None
        target, _, relation = header.partition(">; ")
        assert target.startswith("<") and relation == 'rel="next"', header
        return target[1:]


def get(function: ModuleType, query: str = "", *, namespace: str = "tenant-alpha", **headers: str) -> Answer:
    request = event(query, namespace=namespace, headers={k.replace("_", "-"): v for k, v in headers.items()})
    return Answer(function.lambda_handler(request, LambdaContext()))


def query_of(link: str) -> str:
    url = urllib.parse.urlsplit(link)
    assert (url.scheme, url.netloc, url.path) == ("https", "api.test", "/api/charging-sessions/list/for/namespace")
    return url.query


@pytest.fixture
def stored(writer: SessionWriter) -> list[dict[str, Any]]:
    sessions = [make_session(minute=i, user=f"user-{i % 3}") for i in range(SESSIONS)]
    writer.load(sessions)
    return sessions


# ---------------------------------------------------------------- compression


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("gzip;q=0.001", True),
        ("deflate, gzip;q=0.5, br", True),
        ("*", True),
        ("x-gzip", True),
        ("gzip;q=0", False),
        ("*, gzip;q=0", False),
        ("*;q=0", False),
        ("identity", False),
        ("deflate, br", False),
        ("", False),
    ],
)
def test_gzip_follows_the_q_values(
    function: ModuleType, stored: list[dict[str, Any]], accept_encoding: str, gzipped: bool
) -> None:
    plain = get(function)
    answer = get(function, accept_encoding=accept_encoding)
    assert answer.status == 200
    assert answer.gzipped is gzipped
    assert ("Content-Encoding" in answer.headers) is gzipped
    if gzipped:
        assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.text == plain.text  # the same representation, compressed or not
    assert {v.strip().lower() for v in answer.headers["Vary"].split(",")} >= PAGE_VARY


def test_a_tiny_answer_stays_plain(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    answer = get(function, "take=0", accept_encoding="gzip")
    assert (answer.status, answer.gzipped) == (200, False)
    assert answer.json()["count"] == SESSIONS


def test_each_representation_has_its_own_tag_and_304(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    plain = get(function)
    packed = get(function, accept_encoding="gzip")
    plain_tag, packed_tag = plain.headers["ETag"], packed.headers["ETag"]
    assert plain_tag != packed_tag and packed_tag.endswith('-gzip"')
    # each tag validates its own representation only
    not_modified = get(function, accept_encoding="gzip", if_none_match=packed_tag)
    assert (not_modified.status, not_modified.text) == (304, None)
    assert not_modified.headers["ETag"] == packed_tag
    assert get(function, if_none_match=plain_tag).status == 304
    other = get(function, if_none_match=packed_tag)  # a gzip tag does not validate the identity body
    assert (other.status, other.gzipped, other.headers["ETag"]) == (200, False, plain_tag)
    other = get(function, accept_encoding="gzip", if_none_match=plain_tag)
    assert (other.status, other.gzipped, other.headers["ETag"]) == (200, True, packed_tag)
    assert get(function, accept_encoding="gzip", if_none_match=f'"x", W/{packed_tag}').status == 304


# ---------------------------------------------------------------- caching headers


def test_caching_headers_on_200_304_and_errors(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    ok = get(function, "take=2")
    assert ok.headers["Cache-Control"] == "private, no-cache"
    assert {v.strip().lower() for v in ok.headers["Vary"].split(",")} >= PAGE_VARY
    not_modified = get(function, "take=2", if_none_match=ok.headers["ETag"])
    assert not_modified.status == 304
    for name in ("ETag", "Cache-Control", "Vary", "X-Request-ID"):
        assert not_modified.headers[name] == ok.headers[name] or name == "X-Request-ID", name
    assert "Content-Type" not in not_modified.headers
    refused = get(function, "take=abc")
    assert refused.status == 400
    assert refused.headers["Cache-Control"] == "no-store"
    assert "ETag" not in refused.headers and "Link" not in refused.headers
    assert {v.strip().lower() for v in refused.headers["Vary"].split(",")} >= {"accept-encoding"}


# ---------------------------------------------------------------- Link


def follow_links(function: ModuleType, query: str, **headers: str) -> tuple[list[Answer], list[str]]:
    """Every page from ``query`` on, following ``Link`` alone."""
    pages = [get(function, query, **headers)]
    while (link := pages[-1].link()) is not None:
        assert len(pages) < 50
        pages.append(get(function, query_of(link), **headers))
        assert pages[-1].status == 200, pages[-1].text
    if headers.get("accept") == "text/csv":
        return pages, [row["id"] for page in pages for row in page.rows()]
    return pages, [s["id"] for page in pages for s in page.json()["chargingSessions"]]


@pytest.mark.parametrize(
    "query",
    [
        "take=5",
        "take=4&userId=user-1",
        "take=3&status=Stopped&fields=status",
        "take=5&createdFrom=2026-01-01T00:03:00Z",
    ],
)
def test_link_walks_the_same_pages_as_next_cursor(
    function: ModuleType, stored: list[dict[str, Any]], query: str
) -> None:
    pages, ids = follow_links(function, query)
    everything = get(function, query.split("&", 1)[1] + "&take=1000" if "&" in query else "take=1000")
    assert ids == [s["id"] for s in everything.json()["chargingSessions"]]
    assert pages[-1].link() is None and "nextCursor" not in pages[-1].json()  # absent on the last page
    for page, after in itertools.pairwise(pages):
        cursor = page.json()["nextCursor"]
        parameters = dict(urllib.parse.parse_qsl(query_of(page.link() or "")))
        assert parameters["cursor"] == cursor
        assert parameters["take"] == dict(urllib.parse.parse_qsl(query))["take"]
        by_cursor = get(function, urllib.parse.urlencode({**dict(urllib.parse.parse_qsl(query)), "cursor": cursor}))
        assert by_cursor.text == after.text  # exactly the page cursor=nextCursor gives


def test_link_keeps_the_selection_in_canonical_form(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    answer = get(function, "take=2&status=Stopped&userId=user-1&createdFrom=2026-01-01T01:00:00%2B01:00")
    parameters = dict(urllib.parse.parse_qsl(query_of(answer.link() or "")))
    assert parameters["userId"] == "user-1" and parameters["status"] == "Stopped"
    assert parameters["createdFrom"] == "2026-01-01T00:00:00.000Z"
    assert "skip" not in parameters


def test_the_update_feed_always_links_to_the_next_poll(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    answer = get(function, "sort=updatedAt&take=100")
    assert answer.link() is not None
    assert dict(urllib.parse.parse_qsl(query_of(answer.link() or "")))["sort"] == "updatedAt"


# ---------------------------------------------------------------- errors a program can act on


@pytest.mark.parametrize(
    ("query", "parameter", "code"),
    [
        ("take=abc", "take", "invalid"),
        ("take=100000", "take", "out_of_range"),
        ("skip=-1", "skip", "out_of_range"),
        ("status=Paused", "status", "invalid"),
        ("userId=", "userId", "invalid"),
        ("userId=" + "u" * 129, "userId", "too_long"),
        ("namespaceId=tenant-beta", "namespaceId", "unknown_parameter"),
        ("take=1&take=2", "take", "repeated"),
        ("cursor=abc&skip=1", "skip", "conflict"),
        ("cursor=not-a-cursor", "cursor", "invalid"),
        ("fields=id,nope", "fields", "unknown_field"),
        ("fields=id,,status", "fields", "invalid"),
        ("createdFrom=yesterday", "createdFrom", "invalid"),
        ("userId=user-1&skip=6000", "skip", "out_of_range"),
    ],
)
def test_each_problem_has_its_code(
    function: ModuleType, stored: list[dict[str, Any]], query: str, parameter: str, code: str
) -> None:
    answer = get(function, query, x_request_id="probe-1")
    assert answer.status == 400, answer.text
    body = answer.json()
    assert_error_envelope(400, body)
    assert {"parameter": parameter, "code": code} in [{k: e[k] for k in ("parameter", "code")} for e in body["errors"]]
    assert answer.headers["X-Request-ID"] == "probe-1"


def test_a_cursor_for_other_filters_is_a_mismatch(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    cursor = get(function, "take=2").json()["nextCursor"]
    for query in (f"cursor={cursor}&status=Started&take=2", f"cursor={cursor}&sort=updatedAt"):
        body = get(function, query).json()
        assert_error_envelope(400, body)
        assert [(e["parameter"], e["code"]) for e in body["errors"]] == [("cursor", "cursor_mismatch")]
    body = get(function, f"cursor={cursor}", namespace="tenant-beta").json()
    assert [(e["parameter"], e["code"]) for e in body["errors"]] == [("cursor", "cursor_mismatch")]


def test_several_problems_are_listed_each(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    body = get(function, "foo=1&take=abc&status=Paused&fields=zzz").json()
    assert_error_envelope(400, body)
    assert [(e["parameter"], e["code"]) for e in body["errors"]] == [
        ("foo", "unknown_parameter"),
        ("take", "invalid"),
        ("status", "invalid"),
        ("fields", "unknown_field"),
    ]
    assert body["message"] == "; ".join(e["message"] for e in body["errors"])


@pytest.mark.parametrize("accept", ["application/xml", "text/csv;q=0, application/json;q=0", "image/*"])
def test_406_when_neither_json_nor_csv_is_acceptable(
    function: ModuleType, stored: list[dict[str, Any]], accept: str
) -> None:
    answer = get(function, accept=accept)
    assert answer.status == 406
    assert answer.headers["Content-Type"] == "application/json"
    assert_error_envelope(406, answer.json())
    assert answer.json()["errors"][0]["parameter"] == "accept"


# ---------------------------------------------------------------- request ids


@pytest.mark.parametrize(
    ("make", "status"),
    [
        (lambda f: get(f, "take=1", x_request_id="abc-123_x.y:z"), 200),
        (lambda f: get(f, "take=zz", x_request_id="abc-123_x.y:z"), 400),
        (lambda f: get(f, namespace=None, x_request_id="abc-123_x.y:z"), 401),  # type: ignore[arg-type]
        (lambda f: get(f, accept="text/html", x_request_id="abc-123_x.y:z"), 406),
    ],
)
def test_the_callers_request_id_is_echoed_on_every_answer(
    function: ModuleType, stored: list[dict[str, Any]], make: Callable[[ModuleType], Answer], status: int
) -> None:
    answer = make(function)
    assert answer.status == status
    assert answer.headers["X-Request-ID"] == "abc-123_x.y:z"


@pytest.mark.parametrize("given", ["", "has space", "x" * 129, "a,b", "semi;colon", "é"])
def test_an_unsafe_request_id_is_replaced_by_api_gateways(
    function: ModuleType, stored: list[dict[str, Any]], given: str
) -> None:
    request = event("take=1", headers={"x-request-id": given})
    answer = Answer(function.lambda_handler(request, LambdaContext()))
    assert answer.headers["X-Request-ID"] == request["requestContext"]["requestId"]


def test_the_request_id_is_logged_and_made_when_absent(
    function: ModuleType, stored: list[dict[str, Any]], logs: Callable[[], list[dict[str, Any]]]
) -> None:
    request = event("take=1")
    answer = Answer(function.lambda_handler(request, LambdaContext()))
    assert answer.headers["X-Request-ID"] == request["requestContext"]["requestId"]
    get(function, "take=1", x_request_id="trace-me")
    listed = [record for record in logs() if record.get("message") == "Listed sessions"]
    assert [record["request_id"] for record in listed] == [request["requestContext"]["requestId"], "trace-me"]


def test_a_fault_keeps_the_request_id(
    function: ModuleType, stored: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("boom inside")

    monkeypatch.setattr(function.reader, "read_page", broken)
    answer = get(function, x_request_id="fault-1")
    assert answer.status == 500
    assert answer.headers["X-Request-ID"] == "fault-1"
    assert "boom" not in (answer.text or "")


# ---------------------------------------------------------------- fields


def test_fields_keep_the_sessions_and_the_count(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    full = get(function, "take=5&userId=user-1").json()
    light = get(function, "take=5&userId=user-1&fields=status,createdAt").json()
    assert light["count"] == full["count"]
    assert [s["id"] for s in light["chargingSessions"]] == [s["id"] for s in full["chargingSessions"]]
    for session, whole in zip(light["chargingSessions"], full["chargingSessions"], strict=True):
        assert session == {name: whole[name] for name in ("id", "status", "createdAt")}
    absent = get(function, "take=1&fields=stoppedReason,note").json()["chargingSessions"][0]
    assert set(absent) <= {"id", "stoppedReason", "note"} and "id" in absent


def test_cursors_are_not_bound_to_fields(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    light = get(function, "take=4&fields=status").json()
    full = get(function, "take=4").json()
    assert light["nextCursor"] == full["nextCursor"]
    after = get(function, f"take=4&cursor={light['nextCursor']}").json()
    after_light = get(function, f"take=4&fields=energy&cursor={full['nextCursor']}").json()
    assert [s["id"] for s in after["chargingSessions"]] == [s["id"] for s in after_light["chargingSessions"]]
    assert set(after_light["chargingSessions"][0]) == {"id", "energy"}


def test_fields_have_tags_of_their_own(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    full = get(function, "take=3")
    light = get(function, "take=3&fields=status")
    same = get(function, "take=3&fields=status,id,status")  # the same fieldset, written another way
    assert light.headers["ETag"] != full.headers["ETag"]
    assert same.headers["ETag"] == light.headers["ETag"]
    assert get(function, "take=3&fields=status", if_none_match=light.headers["ETag"]).status == 304
    assert get(function, "take=3", if_none_match=light.headers["ETag"]).status == 200


# ---------------------------------------------------------------- CSV


def test_csv_answers_the_same_page(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    page = get(function, "take=5&userId=user-2").json()
    answer = get(function, "take=5&userId=user-2", accept="text/csv")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/csv")
    rows = answer.rows()
    assert [row["id"] for row in rows] == [s["id"] for s in page["chargingSessions"]]
    assert answer.headers["X-Total-Count"] == str(page["count"])
    first, session = rows[0], page["chargingSessions"][0]
    for name in ("status", "userId", "chargerId", "idTag", "price", "createdAt", "updatedAt", "startedAtTimestamp"):
        assert first[name] == session[name], name
    assert float(first["energy"]) == session["energy"] and int(first["connectorId"]) == session["connectorId"]
    assert first["chargingIntent.type"] == session["chargingIntent"]["type"]
    assert first["stoppedReason"] == session.get("stoppedReason", "")


def test_csv_pages_by_link_and_counts_in_a_header(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    pages, ids = follow_links(function, "take=5", accept="text/csv")
    assert ids == [s["id"] for s in get(function, "take=1000").json()["chargingSessions"]]
    assert all(page.headers["X-Total-Count"] == str(SESSIONS) for page in pages)
    empty = get(function, "take=0", accept="text/csv")
    assert empty.rows() == [] and empty.headers["X-Total-Count"] == str(SESSIONS)


def test_csv_with_fields_has_their_columns(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    answer = get(function, "take=2&fields=energy,chargingIntent", accept="text/csv")
    assert list(answer.rows()[0]) == ["id", "energy", "chargingIntent.type", "chargingIntent.startType"]


def test_csv_quotes_and_defuses_formulas(function: ModuleType, writer: SessionWriter) -> None:
    hostile = {
        '=HYPERLINK("http://x")': 'note with "quotes", a comma\r\nand a line',
        "+1+1": "-2+3",
        "@SUM(A1)": "\tTAB",
        "-cmd|' /C calc'!A0": "plain note",
    }
    writer.load(
        [
            make_session(minute=i, user=user, session_id=f"h-{i}", note=note)
            for i, (user, note) in enumerate(hostile.items())
        ]
    )
    rows = {row["id"]: row for row in get(function, "take=10", accept="text/csv").rows()}
    for i, (user, note) in enumerate(hostile.items()):
        assert rows[f"h-{i}"]["userId"] == "'" + user
        assert rows[f"h-{i}"]["note"] == (note if note[0] not in "=+-@\t\r" else "'" + note)
    assert rows["h-0"]["price"] == "4.20"


def test_errors_and_304_stay_json_under_accept_csv(function: ModuleType, stored: list[dict[str, Any]]) -> None:
    refused = get(function, "take=abc", accept="text/csv")
    assert (refused.status, refused.headers["Content-Type"]) == (400, "application/json")
    assert_error_envelope(400, refused.json())
    answer = get(function, "take=3", accept="text/csv", accept_encoding="gzip")
    assert answer.gzipped
    tag = answer.headers["ETag"]
    assert tag not in {
        get(function, "take=3").headers["ETag"],
        get(function, "take=3", accept="text/csv").headers["ETag"],
    }
    again = get(function, "take=3", accept="text/csv", accept_encoding="gzip", if_none_match=tag)
    assert (again.status, again.text) == (304, None)
