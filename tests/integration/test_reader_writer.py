"""The reader and the writer on moto: order, paging, counts, filters and the write side's counter exactness."""

from __future__ import annotations

import itertools
from typing import Any, cast

import pytest

from charging_sessions.query import SessionFilter, SessionQuery
from charging_sessions.storage.counter_check import CounterChecker
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.writer import PutOutcome, SessionWriter
from tests.factories import make_session
from tests.support import oversized_writes, reference

FILTERS: list[dict[str, Any]] = [
    {},
    {"userId": "u1"},
    {"chargerId": "c1"},
    {"status": "Started"},
    {"userId": "u1", "status": "Stopped"},
    {"chargerId": "c2", "status": "Started"},
    {"userId": "u2", "chargerId": "c1"},
    {"userId": "u1", "chargerId": "c2", "status": "Stopped"},
    {"userId": "nobody"},
]


def as_filter(filters: dict[str, Any]) -> SessionFilter:
    return SessionFilter(
        user_id=filters.get("userId"), charger_id=filters.get("chargerId"), status=filters.get("status")
    )


def as_query(filters: dict[str, Any]) -> SessionQuery:
    return SessionQuery(as_filter(filters))


@pytest.fixture
def mixed(writer: SessionWriter) -> list[dict[str, Any]]:
    combos = itertools.cycle(itertools.product(["u1", "u2", None], ["c1", "c2"], ["Started", "Stopped", "Stopped"]))
    sessions = []
    for i, (user, charger, status) in zip(range(60), combos, strict=False):
        # every third session shares its createdAt with the previous one: ties are broken by id
        sessions.append(make_session(minute=i - (i % 3 == 2), user=user, charger=charger, status=status))
    sessions += [make_session(namespace="tenant-beta", minute=i, user="u1", charger="c1") for i in range(10)]
    writer.load(sessions)
    return sessions


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f) or "none")
@pytest.mark.parametrize(("skip", "take"), [(0, 50), (0, 7), (5, 7), (13, 100), (0, 0), (59, 5), (500, 5)])
def test_every_filter_combination_matches_the_reference(
    reader: SessionReader, mixed: list[dict[str, Any]], filters: dict[str, Any], skip: int, take: int
) -> None:
    page = reader.read_page("tenant-alpha", as_query(filters), skip=skip, take=take)
    assert ([s.id for s in page.sessions], page.count) == reference(
        mixed, "tenant-alpha", skip=skip, take=take, **filters
    )


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f) or "none")
def test_paging_through_neither_repeats_nor_misses(
    reader: SessionReader, mixed: list[dict[str, Any]], filters: dict[str, Any]
) -> None:
    seen: list[str] = []
    for skip in range(0, 70, 4):
        seen += [s.id for s in reader.read_page("tenant-alpha", as_query(filters), skip=skip, take=4).sessions]
    assert seen == reference(mixed, "tenant-alpha", take=1000, **filters)[0]


def test_pages_cross_dynamodb_1mb_responses(reader: SessionReader, writer: SessionWriter) -> None:
    # ~20 kB notes make 150 sessions ~3 MB: every query and every skip needs several DynamoDB pages
    sessions = [make_session(minute=i, user="u1", charger="c1", note="n" * 20_000) for i in range(150)]
    with oversized_writes():  # notes that long were stored before the write limits
        writer.load(sessions)
    for filters in ({}, {"userId": "u1"}, {"userId": "u1", "chargerId": "c1"}):
        page = reader.read_page("tenant-alpha", as_query(filters), skip=20, take=120)
        assert [s.id for s in page.sessions] == reference(sessions, "tenant-alpha", skip=20, take=120, **filters)[0]
        assert page.count == 150
        assert page.stats.calls >= 3


def test_namespaces_never_see_each_other(reader: SessionReader, mixed: list[dict[str, Any]]) -> None:
    beta = reader.read_page("tenant-beta", SessionQuery(SessionFilter()), take=100)
    assert {s.namespaceId for s in beta.sessions} == {"tenant-beta"} and beta.count == 10
    assert reader.read_page("tenant-gamma", SessionQuery(SessionFilter()), take=100).count == 0
    assert reader.read_page("tenant", SessionQuery(SessionFilter()), take=100).sessions == []


def counts(reader: SessionReader, namespace: str = "tenant-alpha") -> dict[str, int]:
    return {
        "&".join(f"{k}={v}" for k, v in f.items()) or "all": reader.read_page(namespace, as_query(f), take=0).count
        for f in (
            {},
            {"status": "Started"},
            {"status": "Stopped"},
            {"userId": "u1"},
            {"userId": "u1", "status": "Started"},
            {"chargerId": "c1"},
            {"chargerId": "c1", "status": "Stopped"},
        )
    }


ONE_STOPPED_SESSION = {
    "all": 1,
    "status=Started": 0,
    "status=Stopped": 1,
    "userId=u1": 1,
    "userId=u1&status=Started": 0,
    "chargerId=c1": 1,
    "chargerId=c1&status=Stopped": 1,
}
"""The counters after one Stopped session of user u1 on charger c1."""


def test_put_keeps_counts_exact_through_status_changes_retries_and_duplicates(
    reader: SessionReader, writer: SessionWriter
) -> None:
    started = make_session(user="u1", charger="c1", status="Started")
    assert writer.put(started) is PutOutcome.CREATED
    assert writer.put(started) is PutOutcome.UNCHANGED  # duplicate delivery
    assert counts(reader) == {
        "all": 1,
        "status=Started": 1,
        "status=Stopped": 0,
        "userId=u1": 1,
        "userId=u1&status=Started": 1,
        "chargerId=c1": 1,
        "chargerId=c1&status=Stopped": 0,
    }

    stopped = {**started, "status": "Stopped", "updatedAt": "2026-06-01T00:00:00.000Z", "stoppedReason": "Local"}
    assert writer.put(stopped) is PutOutcome.UPDATED
    assert writer.put(stopped) is PutOutcome.UNCHANGED  # retried delivery
    assert writer.put(started) is PutOutcome.STALE  # late, out-of-order delivery of the older state
    assert counts(reader) == ONE_STOPPED_SESSION
    assert (
        reader.read_page("tenant-alpha", SessionQuery(SessionFilter(status="Stopped")), take=50)
        .sessions[0]
        .stoppedReason
        == "Local"
    )
    assert reader.read_page("tenant-alpha", SessionQuery(SessionFilter(status="Started")), take=50).sessions == []


def test_recount_rebuilds_what_put_maintains(
    reader: SessionReader, writer: SessionWriter, client: Any, table: str, mixed: list[dict[str, Any]]
) -> None:
    before = counts(reader)
    for session in mixed[:10]:
        writer.put({**session, "status": "Started", "updatedAt": "2026-12-01T00:00:00.000Z"})
    after_puts = counts(reader)
    assert after_puts != before
    CounterChecker(client, table).recount("tenant-alpha")
    assert counts(reader) == after_puts


class _Racing:
    """A client whose first consistent read lets another writer slip in before the caller writes."""

    def __init__(self, real: Any, interfere: Any) -> None:
        self._real, self._interfere = real, interfere

    def get_item(self, **request: Any) -> Any:
        response = self._real.get_item(**request)
        if self._interfere is not None:
            interfere, self._interfere = self._interfere, None
            interfere()
        return response

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def test_a_concurrent_writer_is_detected_and_the_write_redone(
    reader: SessionReader, writer: SessionWriter, client: Any
) -> None:
    started = make_session(user="u1", charger="c1", status="Started")
    writer.put(started)
    metered = {**started, "lastMeteredAtEnergy": 1005.0, "updatedAt": "2026-03-01T00:00:00.000Z"}
    stopped = {**started, "status": "Stopped", "stoppedReason": "Remote", "updatedAt": "2026-04-01T00:00:00.000Z"}

    racing = SessionWriter(cast(Any, _Racing(client, lambda: writer.put(metered))), "sessions-test")
    assert racing.put(stopped) is PutOutcome.UPDATED

    [stored] = reader.read_page("tenant-alpha", SessionQuery(SessionFilter()), take=50).sessions
    assert stored.status == "Stopped"
    assert counts(reader) == ONE_STOPPED_SESSION
    item = client.get_item(
        TableName="sessions-test",
        Key={"pk": {"S": "tenant-alpha"}, "sk": {"S": f"{started['createdAt']}#{started['id']}"}},
    )
    assert item["Item"]["rev"] == {"N": "3"}  # create, the concurrent update, then ours redone on top of it
