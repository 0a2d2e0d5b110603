"""Time ranges on createdAt (``createdFrom`` / ``createdTo``, half-open, exact to the millisecond): served by key
conditions on the sort key, counted over the range's keys, equal to the reference for random ranges and filters."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime, timedelta, timezone
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charging_sessions.models import format_timestamp
from charging_sessions.query import SessionFilter, SessionQuery
from charging_sessions.storage.items import counter_item
from charging_sessions.storage.keys import counter_pk
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.writer import SessionWriter
from charging_sessions.time_range import TimeRange
from tests.conftest import SETTLE_SECONDS, TABLE
from tests.factories import make_session, timestamp
from tests.support import call, event, reference
from tests.unit.test_time_range import REFUSED_BOUNDS

EPOCH = datetime(2026, 3, 1, 10, tzinfo=UTC)
POINTS = [0, 1, 249, 250, 251, 999, 1000, 60_000, 60_001, 3_600_000]
"""Milliseconds after EPOCH where sessions are created: neighbours one millisecond apart, ties."""


def at(ms: int, **kwargs: Any) -> dict[str, Any]:
    return make_session(createdAt=format_timestamp(EPOCH + timedelta(milliseconds=ms)), **kwargs)


def rfc3339(ms: int, offset_minutes: int = 0, digits: int = 3) -> str:
    """EPOCH + ms written with a UTC offset and a number of fraction digits (0: none; needs whole seconds)."""
    zone = timezone(timedelta(minutes=offset_minutes))
    local = (EPOCH + timedelta(milliseconds=ms)).astimezone(zone)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{local.microsecond:06d}"[:digits].ljust(digits, "0")
    text += f".{fraction}" if digits else ""
    if offset_minutes == 0:
        return text + "Z"
    sign = "+" if offset_minutes > 0 else "-"
    return text + f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"


def ids(function: ModuleType, **query: Any) -> tuple[list[str], int]:
    status, body = call(function, event(urllib.parse.urlencode(query)))
    assert status == 200, body
    return [s["id"] for s in body["chargingSessions"]], body["count"]


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(("value", "problem"), [bound for bound in REFUSED_BOUNDS if bound[0]])
@pytest.mark.parametrize("name", ["createdFrom", "createdTo"])
def test_a_bad_bound_answers_400_naming_the_parameter(
    function: ModuleType, table: str, name: str, value: str, problem: str
) -> None:
    status, body = call(function, event(urllib.parse.urlencode({name: value})))
    assert status == 400
    assert body["success"] is False
    assert body["message"].startswith(f"Invalid query parameter '{name}': "), body
    assert problem in body["message"], body


def test_a_repeated_bound_answers_400(function: ModuleType, table: str) -> None:
    status, body = call(function, event("createdFrom=2026-03-01T10:00:00Z&createdFrom=2026-03-02T10:00:00Z"))
    assert status == 400
    assert "'createdFrom': must be given at most once" in body["message"]


# ---------------------------------------------------------------- answers


def test_sessions_created_exactly_at_the_bounds(function: ModuleType, writer: SessionWriter) -> None:
    before, at_from, inside, before_to, at_to = (at(ms, session_id=f"s{ms}") for ms in (999, 1000, 1500, 1999, 2000))
    writer.load([before, at_from, inside, before_to, at_to])
    page, count = ids(function, createdFrom=rfc3339(1000), createdTo=rfc3339(2000))
    assert (page, count) == (["s1999", "s1500", "s1000"], 3)  # from included, to excluded
    page, count = ids(function, createdFrom=rfc3339(1000, offset_minutes=120), createdTo=rfc3339(2000, -330))
    assert (page, count) == (["s1999", "s1500", "s1000"], 3)  # the same instants with offsets
    assert ids(function, createdFrom=rfc3339(2000)) == (["s2000"], 1)
    assert ids(function, createdTo=rfc3339(1000)) == (["s999"], 1)
    assert ids(function, createdFrom="2026-03-01T10:00:00.9995Z", createdTo="2026-03-01T10:00:01.0001Z") == (
        ["s1000"],
        1,
    )


def test_an_empty_range_matches_nothing_and_reads_nothing(
    function: ModuleType, writer: SessionWriter, client: Any
) -> None:
    writer.load([at(ms) for ms in POINTS])
    assert ids(function, createdFrom=rfc3339(1000), createdTo=rfc3339(1000)) == ([], 0)
    assert ids(function, createdFrom=rfc3339(2000), createdTo=rfc3339(1000), take=0) == ([], 0)
    page = SessionReader(client, TABLE, settle_seconds=SETTLE_SECONDS).read_page(
        "tenant-alpha",
        SessionQuery(SessionFilter(), created=TimeRange("2026-03-01T10:00:01.000Z", "2026-03-01T10:00:00.000Z")),
        take=5,
    )
    assert (page.sessions, page.count, page.stats.calls) == ([], 0, 0)


def test_a_range_count_ignores_the_counters(function: ModuleType, writer: SessionWriter, client: Any) -> None:
    writer.load([at(ms) for ms in POINTS])
    client.put_item(TableName=TABLE, Item=counter_item(counter_pk("tenant-alpha"), "all", 1_000))
    assert ids(function, take=0)[1] == 1_000  # without a range: the counter, as before
    assert ids(function, take=0, createdFrom=rfc3339(0), createdTo=rfc3339(1000))[1] == 6
    assert ids(function, take=0, createdFrom=rfc3339(0))[1] == len(POINTS)


def test_the_count_follows_dynamodb_pages(writer: SessionWriter, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    writer.load([at(ms) for ms in range(0, 30)])
    calls: list[dict[str, Any]] = []
    original = client.query

    def small_pages(**request: Any) -> Any:
        calls.append(request)
        return original(**{**request, "Limit": min(request.get("Limit", 7), 7)})

    monkeypatch.setattr(client, "query", small_pages)
    reader = SessionReader(client, TABLE, settle_seconds=SETTLE_SECONDS)
    page = reader.read_page(
        "tenant-alpha",
        SessionQuery(
            SessionFilter(),
            created=TimeRange(format_timestamp(EPOCH), format_timestamp(EPOCH + timedelta(milliseconds=25))),
        ),
        skip=3,
        take=4,
    )
    assert page.count == 25
    assert [s.createdAt for s in page.sessions] == [
        format_timestamp(EPOCH + timedelta(milliseconds=ms)) for ms in (21, 20, 19, 18)
    ]
    counting = [c for c in calls if c.get("Select") == "COUNT" and "Limit" not in c]
    assert len(counting) == 4  # 25 keys in pages of 7, each with the same key condition, on the keys-only index
    assert {c["KeyConditionExpression"] for c in calls} == {"#pk = :pk AND #sk BETWEEN :from AND :to"}
    assert {c.get("IndexName") for c in counting} == {"keys-by-namespace"}


# ---------------------------------------------------------------- against the reference

USERS = [None, "u1", "u2"]
CHARGERS = ["c1", "c2"]
session_strategy = st.fixed_dictionaries(
    {
        "ms": st.sampled_from(POINTS),
        "user": st.sampled_from(USERS),
        "charger": st.sampled_from(CHARGERS),
        "status": st.sampled_from(["Started", "Stopped"]),
    }
)
bound_strategy = st.none() | st.builds(
    lambda point, nudge, offset, digits: (point + nudge, offset, digits),
    st.sampled_from(POINTS),
    st.sampled_from([-1, 0, 1]),
    st.sampled_from([0, 60, -90, 330, -720, 840]),
    st.sampled_from([3, 6]),
)
request_strategy = st.fixed_dictionaries(
    {"createdFrom": bound_strategy, "createdTo": bound_strategy},
    optional={
        "userId": st.sampled_from(["u1", "u2"]),
        "chargerId": st.sampled_from(CHARGERS),
        "status": st.sampled_from(["Started", "Stopped"]),
        "skip": st.integers(0, 12),
        "take": st.integers(0, 12),
    },
)


def render(bound: tuple[int, int, int] | None) -> str | None:
    if bound is None:
        return None
    ms, offset, digits = bound
    return rfc3339(ms, offset, digits)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(drawn=st.lists(session_strategy, max_size=25), requests=st.lists(request_strategy, min_size=1, max_size=6))
def test_pages_and_counts_equal_the_reference(
    function: ModuleType,
    writer: SessionWriter,
    client: Any,
    drawn: list[dict[str, Any]],
    requests: list[dict[str, Any]],
) -> None:
    sessions = [at(d["ms"], user=d["user"], charger=d["charger"], status=d["status"]) for d in drawn]
    for session in sessions:
        if session["status"] == "Started":
            for name in ("stoppedAtTimestamp", "stoppedAtEnergy", "stoppedReason"):
                session.pop(name, None)
    writer.load(sessions)
    try:
        for request in requests:
            query = {name: value for name, value in request.items() if name not in ("createdFrom", "createdTo")}
            for name in ("createdFrom", "createdTo"):
                if (text := render(request[name])) is not None:
                    query[name] = text
            assert ids(function, **query) == reference(sessions, "tenant-alpha", **query), query
    finally:
        for session in sessions:
            writer.delete("tenant-alpha", session["id"])


def test_a_selective_filter_is_read_in_a_few_calls(function: ModuleType, writer: SessionWriter) -> None:
    """An ``updatedAt`` range in the default order is a filter on the createdAt view: DynamoDB's Limit counts the
    entries passed over, so asking for take + 1 per call took one call per few entries (902 calls for a page at
    100,000 sessions in the benchmark). Each call after the first asks for what the share matched so far needs."""
    late = timestamp(10 * 24 * 60)  # ten days after every createdAt
    sessions = [
        make_session(minute=i, updatedAt=late if i % 40 == 0 else timestamp(i), session_id=f"s-{i:04d}")
        for i in range(800)
    ]
    writer.load(sessions)
    query = {"updatedFrom": late, "take": 5}
    page = function.reader.read_page("tenant-alpha", SessionQuery(updated=TimeRange(late, None)), take=5)
    assert [s.id for s in page.sessions] == reference(sessions, "tenant-alpha", updatedFrom=late, take=5)[0]
    assert page.count == 20
    assert page.stats.calls <= 4  # the count, then reads that adapt to the 1-in-40 share (98 calls before it adapted)
    assert ids(function, **query) == reference(sessions, "tenant-alpha", updatedFrom=late, take=5)
    walked: list[str] = []
    skip = 0
    while True:  # offset pages over the filter stay exact
        page_ids, _ = ids(function, updatedFrom=late, take=3, skip=skip)
        walked += page_ids
        if len(page_ids) < 3:
            break
        skip += 3
    assert walked == reference(sessions, "tenant-alpha", updatedFrom=late, take=100)[0]
