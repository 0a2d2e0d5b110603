"""Pages are right whatever the counters hold: sessions written in the documented layout by another writer
that skips the counters, sessions deleted behind the writer (TTL, an erasure job), counters set to anything.

Every walk over every filter combination returns each stored session exactly once, in order, and none that is
gone; every page equals the reference's page over what is really stored; a page that reaches the end of its
view answers the true count, and a count the read proves wrong is reported as drift."""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charging_sessions.listing import build_reader
from charging_sessions.query import SessionFilter, SessionQuery
from charging_sessions.storage.items import counter_item, session_item
from charging_sessions.storage.keys import VIEWS, counter_pk, session_key
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.write_limits import stored_document
from charging_sessions.storage.writer import SessionWriter
from local_toolkit.reference_model import list_page
from tests.conftest import SETTLE_SECONDS, TABLE
from tests.factories import make_session
from tests.integration.test_observability import emf, metric_values
from tests.support import call, event

FILTERS: list[dict[str, str]] = [
    {},
    {"status": "Started"},
    {"userId": "u1"},
    {"userId": "u1", "status": "Stopped"},
    {"chargerId": "c1"},
    {"chargerId": "c2", "status": "Started"},
    {"userId": "u1", "chargerId": "c1"},
    {"userId": "u2", "chargerId": "c2", "status": "Stopped"},
]

session_strategy = st.fixed_dictionaries(
    {
        "minute": st.integers(0, 30),
        "user": st.sampled_from([None, "u1", "u2"]),
        "charger": st.sampled_from(["c1", "c2"]),
        "status": st.sampled_from(["Started", "Stopped"]),
    }
)


def build(drawn: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [make_session(**d) for d in drawn]


def write_behind_the_writer(client: Any, session: dict[str, Any]) -> None:
    """Another writer: the documented item layout, no counter transaction."""
    item = session_item(stored_document(session), 1)
    client.put_item(TableName=TABLE, Item=item)


def delete_behind_the_writer(client: Any, session: dict[str, Any]) -> None:
    """TTL expiry or an erasure job: the item goes, the counters stay."""
    key = session_key(session["namespaceId"], session["createdAt"], session["id"])
    client.delete_item(TableName=TABLE, Key=key)


def set_counters(client: Any, value: int) -> None:
    """Every counter of the namespace set to one (wrong) value."""
    pk = counter_pk("tenant-alpha")
    for view in VIEWS:
        for user in ("u1", "u2"):
            for charger in ("c1", "c2"):
                for status in ("Started", "Stopped"):
                    sk = view.counter_sk(user, charger, status)
                    client.put_item(TableName=TABLE, Item=counter_item(pk, sk, value))


def expected_page(
    stored: list[dict[str, Any]], filters: Mapping[str, str], *, skip: int, take: int
) -> tuple[list[str], int]:
    page, total = list_page(stored, namespace="tenant-alpha", skip=skip, take=take, **filters)
    return [session["id"] for session in page], total


def walk(function: ModuleType, filters: Mapping[str, str], take: int) -> list[tuple[list[str], int, int]]:
    """Pages of a walk with skip += take until an empty page: (ids, count, skip) of each."""
    pages: list[tuple[list[str], int, int]] = []
    skip = 0
    while True:
        query = urllib.parse.urlencode({**filters, "skip": skip, "take": take})
        status, body = call(function, event(query))
        assert status == 200, body
        ids = [s["id"] for s in body["chargingSessions"]]
        pages.append((ids, body["count"], skip))
        if not ids:
            return pages
        skip += take
        assert len(pages) < 100


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    kept=st.lists(session_strategy, max_size=18),
    foreign=st.lists(session_strategy, max_size=8),
    deleted=st.lists(session_strategy, max_size=8),
    counter=st.sampled_from([0, 1, 3, 10_000]),
    take=st.integers(1, 7),
)
def test_walks_are_exact_whatever_the_counters_say(
    function: ModuleType,
    client: Any,
    writer: SessionWriter,
    kept: list[dict[str, Any]],
    foreign: list[dict[str, Any]],
    deleted: list[dict[str, Any]],
    counter: int,
    take: int,
) -> None:
    through_writer, behind, gone = build(kept), build(foreign), build(deleted)
    for session in through_writer + gone:
        writer.put(session)
    for session in behind:
        write_behind_the_writer(client, session)
    for session in gone:
        delete_behind_the_writer(client, session)
    set_counters(client, counter)
    stored = through_writer + behind
    try:
        for filters in FILTERS:
            pages = walk(function, filters, take)
            walked = [session_id for ids, _, _ in pages for session_id in ids]
            expected, total = expected_page(stored, filters, skip=0, take=len(stored) + 1)
            assert walked == expected, filters  # each once, in order, none that is gone
            for ids, count, skip in pages:
                assert ids == expected_page(stored, filters, skip=skip, take=take)[0], (filters, skip)
                assert count >= len(ids) + skip or count == total
            assert pages[-1][1] == total  # the page that reaches the end answers the true count
    finally:
        for session in stored:
            delete_behind_the_writer(client, session)
        set_counters(client, 0)


def test_a_count_the_read_proves_wrong_is_corrected_and_reported(client: Any, writer: SessionWriter) -> None:
    drift: list[tuple[str, int, int]] = []
    reader = SessionReader(
        client, TABLE, settle_seconds=SETTLE_SECONDS, on_counter_drift=lambda *args: drift.append(args)
    )
    sessions = [make_session(minute=i) for i in range(6)]
    writer.load(sessions[:2])
    for session in sessions[2:]:
        write_behind_the_writer(client, session)
    page = reader.read_page("tenant-alpha", SessionQuery(SessionFilter()), take=10)
    assert (len(page.sessions), page.count, page.more) == (6, 6, False)
    assert drift == [("namespace", 2, 6)]
    page = reader.read_page("tenant-alpha", SessionQuery(SessionFilter()), skip=1, take=2)
    assert (len(page.sessions), page.count) == (2, 3)  # at least the 3 entries read, more than the counter says
    delete_behind_the_writer(client, sessions[0])
    set_counters(client, 50)
    page = reader.read_page("tenant-alpha", SessionQuery(SessionFilter()), skip=4, take=10)
    assert (len(page.sessions), page.count) == (1, 5)  # the view ended: the true count, not 50


def test_deep_skip_past_a_stale_counter_still_reads_the_index(client: Any, writer: SessionWriter) -> None:
    reader = SessionReader(client, TABLE, settle_seconds=SETTLE_SECONDS)
    sessions = [make_session(minute=i) for i in range(8)]
    writer.load(sessions[:3])
    for session in sessions[3:]:
        write_behind_the_writer(client, session)
    page = reader.read_page("tenant-alpha", SessionQuery(SessionFilter()), skip=5, take=2)
    assert [s.id for s in page.sessions] == [sessions[2].get("id"), sessions[1].get("id")]


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "+".join(f) or "none")
def test_an_item_claiming_another_namespace_is_left_out_and_reported(
    client: Any, writer: SessionWriter, filters: dict[str, str]
) -> None:
    reported: list[tuple[Mapping[str, str], str]] = []
    reader = SessionReader(
        client,
        TABLE,
        settle_seconds=SETTLE_SECONDS,
        on_foreign_item=lambda key, claimed: reported.append((key, claimed)),
    )
    mine = make_session(user="u1" if "u1" in filters.values() else "u2", charger=filters.get("chargerId", "c1"))
    mine["status"] = filters.get("status", mine["status"])
    if mine["status"] == "Started":
        for name in ("stoppedAtTimestamp", "stoppedAtEnergy", "stoppedReason"):
            mine.pop(name, None)
    writer.put(mine)
    # A writer that built the keys for tenant-alpha but stamped another namespace into the item.
    intruder = session_item(stored_document({**mine, "id": "intruder"}), 1)
    intruder["namespaceId"] = {"S": "tenant-beta"}
    client.put_item(TableName=TABLE, Item=intruder)
    page = reader.read_page("tenant-alpha", SessionQuery(SessionFilter(**_as_filter(filters))), take=10)
    assert [s.id for s in page.sessions] == [mine["id"]]
    assert page.foreign_items == 1
    assert [claimed for _, claimed in reported] == ["tenant-beta"]


def _as_filter(filters: Mapping[str, str]) -> dict[str, str]:
    names = {"userId": "user_id", "chargerId": "charger_id", "status": "status"}
    return {names[name]: value for name, value in filters.items()}


def test_a_put_committed_between_the_counter_read_and_the_page_read_is_not_drift(
    function: ModuleType,
    client: Any,
    writer: SessionWriter,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The counter is read first (4), then a put commits (5), then the page sees 5 sessions and the view's end: the
    answer is the proven 5, and a consistent read of the counter (5) shows no drift to report (it was alarmed).
    The reader reads the counter before the page here (the order this race needs); read beside the page, the other
    order is the next test's."""
    monkeypatch.setattr(function, "reader", build_reader(client, function.settings, counter_beside_page=False))
    writer.load([make_session(minute=i) for i in range(4)])
    late = make_session(minute=10)

    def put_after_the_counter_read(**_: Any) -> None:
        client.meta.events.unregister("after-call.dynamodb.GetItem", put_after_the_counter_read)
        writer.put(late)

    client.meta.events.register("after-call.dynamodb.GetItem", put_after_the_counter_read)
    status, body = call(function, event("take=10"))
    assert (status, body["count"], len(body["chargingSessions"])) == (200, 5, 5)
    assert metric_values(emf(capsys.readouterr().out)).get("CounterDrift") is None


def test_a_put_committed_between_the_page_read_and_a_counter_read_beside_it_is_not_drift(
    function: ModuleType, client: Any, writer: SessionWriter, capsys: pytest.CaptureFixture[str]
) -> None:
    """Read beside the page, the counter can be read after it: the page sees 4 sessions and the view's end, a put
    commits (5), then the counter says 5. The answer is what the page saw (4 sessions, count 4); the view counted
    again after a consistent counter read agrees with it (5), so nothing is reported as drift."""
    writer.load([make_session(minute=i) for i in range(4)])
    late = make_session(minute=10)
    page_read = threading.Event()

    def counter_waits_for_the_page(**_: Any) -> None:
        if threading.current_thread() is not threading.main_thread():
            client.meta.events.unregister("before-send.dynamodb.GetItem", counter_waits_for_the_page)
            assert page_read.wait(timeout=10)

    def put_after_the_page_read(**_: Any) -> None:
        client.meta.events.unregister("after-call.dynamodb.Query", put_after_the_page_read)
        writer.put(late)
        page_read.set()

    client.meta.events.register_first("before-send.dynamodb.GetItem", counter_waits_for_the_page)
    client.meta.events.register("after-call.dynamodb.Query", put_after_the_page_read)
    status, body = call(function, event("take=10"))
    assert (status, body["count"], len(body["chargingSessions"])) == (200, 4, 4)
    assert metric_values(emf(capsys.readouterr().out)).get("CounterDrift") is None
    status, body = call(function, event("take=10"))
    assert (status, body["count"], len(body["chargingSessions"])) == (200, 5, 5)


def test_a_counter_that_disagrees_with_a_recount_after_it_is_drift_when_read_beside_the_page(
    client: Any, writer: SessionWriter
) -> None:
    drift: list[tuple[str, int, int]] = []
    reader = SessionReader(
        client, TABLE, settle_seconds=SETTLE_SECONDS, on_counter_drift=lambda *args: drift.append(args)
    )
    writer.load([make_session(minute=i) for i in range(3)])
    set_counters(client, 7)
    page = reader.read_page("tenant-alpha", SessionQuery(SessionFilter()), take=10)
    assert (len(page.sessions), page.count, page.more) == (3, 3, False)
    assert drift == [("namespace", 7, 3)]
