"""A page whose count a counter holds waits for one round trip: the counter's GetItem goes out beside the page's
Query (a second thread), with the same answer as one after the other; where the read depends on the count, the
count still comes first. Round trips are simulated by a delay before each call is answered (moto answers at once);
the calls' spans in flight show the overlap (how much time it saves is the benchmark's to measure:
``bench/round_trips.py``)."""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest

from charging_sessions.query import SessionFilter, SessionQuery, Sort
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.writer import SessionWriter
from charging_sessions.time_range import TimeRange
from tests.conftest import SETTLE_SECONDS, TABLE
from tests.factories import make_session
from tests.integration.test_faults import dynamodb_error

ROUND_TRIP = 0.15
NAMESPACE = "tenant-alpha"


class RoundTrips:
    """Holds each call for ``ROUND_TRIP`` seconds before moto answers it and notes when it was in flight; operations
    named in ``failing`` are answered with an error instead (after their round trip)."""

    def __init__(self, failing: frozenset[str] = frozenset()) -> None:
        self.calls: list[tuple[str, float, float]] = []
        self.failing = failing
        self._lock = threading.Lock()

    def __call__(self, request: Any, **_: Any) -> Any:
        operation = request.headers["X-Amz-Target"].decode().split(".")[-1]
        began = time.monotonic()
        time.sleep(ROUND_TRIP)
        with self._lock:
            self.calls.append((operation, began, time.monotonic()))
        if operation in self.failing:
            return dynamodb_error(400, "ValidationException", "refused for the test")
        return None

    def operations(self) -> list[str]:
        return sorted(operation for operation, _, _ in self.calls)

    def overlapped(self) -> bool:
        spans = sorted((began, ended) for _, began, ended in self.calls)
        return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))


@pytest.fixture
def sessions(writer: SessionWriter) -> list[dict[str, Any]]:
    stored = [make_session(minute=i, user="u1" if i % 2 else None) for i in range(12)]
    writer.load(stored)
    return stored


def _reader(client: Any, *, beside: bool = True) -> SessionReader:
    return SessionReader(client, TABLE, settle_seconds=SETTLE_SECONDS, counter_beside_page=beside)


def _answer(page: Any) -> tuple[list[str], int, bool, int]:
    return [session.id for session in page.sessions], page.count, page.more, page.stats.calls


@pytest.mark.parametrize(
    ("query", "skip"),
    [
        (SessionQuery(SessionFilter()), 0),
        (SessionQuery(SessionFilter(user_id="u1")), 0),
        (SessionQuery(SessionFilter(status="Started")), 0),
        (SessionQuery(SessionFilter()), 3),  # an offset page: the skip's count pass and the page, beside the counter
        (SessionQuery(SessionFilter(), sort=Sort.UPDATED), 0),
    ],
    ids=["namespace", "userId", "status", "skip", "feed"],
)
def test_the_counter_and_the_page_are_read_together_with_the_same_answer(
    client: Any, sessions: list[dict[str, Any]], query: SessionQuery, skip: int
) -> None:
    trips = RoundTrips()
    client.meta.events.register_first("before-send.dynamodb", trips)
    one_after_the_other = _reader(client, beside=False).read_page(NAMESPACE, query, take=5, skip=skip)
    assert not trips.overlapped()
    trips.calls.clear()
    together = _reader(client).read_page(NAMESPACE, query, take=5, skip=skip)
    assert _answer(together) == _answer(one_after_the_other)
    assert "GetItem" in trips.operations() and "Query" in trips.operations()
    assert trips.overlapped()
    assert together.stats.calls == len(trips.calls)  # both threads' calls are metered


@pytest.mark.parametrize(
    ("query", "take"),
    [
        (SessionQuery(SessionFilter(), created=TimeRange(start="2026-01-01T00:00:00.000Z")), 5),  # counted: a range
        (SessionQuery(SessionFilter()), 0),  # the count alone
        (SessionQuery(SessionFilter(user_id="nobody"), sort=Sort.UPDATED), 5),  # the feed behind a filter reads 0 first
    ],
    ids=["range", "count-only", "feed+filter"],
)
def test_where_the_read_depends_on_the_count_the_count_comes_first(
    client: Any, sessions: list[dict[str, Any]], query: SessionQuery, take: int
) -> None:
    trips = RoundTrips()
    client.meta.events.register_first("before-send.dynamodb", trips)
    reader = _reader(client)
    together = reader.read_page(NAMESPACE, query, take=take)
    assert not trips.overlapped()
    assert _answer(together) == _answer(_reader(client, beside=False).read_page(NAMESPACE, query, take=take))


@pytest.mark.parametrize("failing", ["Query", "GetItem"])
def test_when_either_call_fails_the_other_has_ended_before_the_error_is_raised(
    client: Any, sessions: list[dict[str, Any]], failing: str
) -> None:
    trips = RoundTrips(failing=frozenset({failing}))
    client.meta.events.register_first("before-send.dynamodb", trips)
    with pytest.raises(client.exceptions.ClientError, match="refused for the test"):
        _reader(client).read_page(NAMESPACE, SessionQuery(SessionFilter()), take=5)
    raised = time.monotonic()
    assert {"GetItem", "Query"} <= set(trips.operations())
    assert all(ended <= raised for _, _, ended in trips.calls)  # no call outlives its request
