"""The update feed (``sort=updatedAt``): settled sessions in update order, a resume point on every page, and a
mirror that polls it ends equal to the table whatever is written between and during its calls."""

from __future__ import annotations

import random
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from charging_sessions.models import format_timestamp
from charging_sessions.storage.keys import session_key
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.writer import PutOutcome, SessionWriter
from local_toolkit.template_table import create_table
from tests.conftest import TABLE
from tests.factories import make_session
from tests.support import call, event, reference

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SETTLE = 5.0


@dataclass
class Clock:
    """The reader's clock, moved by the test."""

    now: datetime = START

    def __call__(self) -> float:
        return self.now.timestamp()

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(function: ModuleType, client: Any, table: str, monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    reader = SessionReader(client, table, settle_seconds=SETTLE, clock=clock)
    monkeypatch.setattr(function, "reader", reader)
    return clock


@pytest.fixture
def writer(client: Any, table: str, clock: Clock) -> SessionWriter:
    """The project's writer on the test's clock, which stamps the changes it stores."""
    return SessionWriter(client, table, settle_seconds=SETTLE, clock=clock)


def session_at(session_id: str, created: datetime, updated: datetime | None = None, **overrides: Any) -> dict[str, Any]:
    session = make_session(session_id=session_id, **overrides)
    session["createdAt"] = format_timestamp(created)
    session["updatedAt"] = format_timestamp(updated or created)
    return session


def feed_page(function: ModuleType, cursor: str | None = None, **parameters: Any) -> dict[str, Any]:
    given = {"sort": "updatedAt", **parameters, **({"cursor": cursor} if cursor else {})}
    status, body = call(function, event(urllib.parse.urlencode(given)))
    assert status == 200, body
    return body


def test_the_feed_is_in_update_order_and_holds_back_unsettled_sessions(
    function: ModuleType, writer: SessionWriter, clock: Clock
) -> None:
    writer.load(
        [
            session_at("b", START - timedelta(hours=2), START - timedelta(minutes=1)),
            session_at("a", START - timedelta(hours=1), START - timedelta(minutes=1)),  # same updatedAt: by id
            session_at("c", START - timedelta(hours=3), START - timedelta(minutes=30)),
            session_at("d", START - timedelta(minutes=5), START - timedelta(seconds=2)),  # not settled yet
        ]
    )
    body = feed_page(function, take=10)
    assert [s["id"] for s in body["chargingSessions"]] == ["c", "a", "b"]
    assert body["count"] == 4  # count is every session that matches, settled or not
    assert "nextCursor" in body  # short page: caught up for now, and where to poll from
    clock.advance(SETTLE)
    later = feed_page(function, body["nextCursor"], take=10)
    assert [s["id"] for s in later["chargingSessions"]] == ["d"]
    empty = feed_page(function, later["nextCursor"], take=10)
    assert empty["chargingSessions"] == [] and empty["nextCursor"]


def test_every_feed_page_carries_a_cursor_even_on_an_empty_namespace(
    function: ModuleType, table: str, clock: Clock
) -> None:
    body = feed_page(function, take=5)
    assert body == {"success": True, "chargingSessions": [], "count": 0, "nextCursor": body["nextCursor"]}
    again = feed_page(function, body["nextCursor"], take=5)
    assert again["chargingSessions"] == []


def test_the_feed_filters_and_ranges_agree_with_the_reference(
    function: ModuleType, writer: SessionWriter, clock: Clock
) -> None:
    rng = random.Random(5)  # noqa: S311 - reproducible test data
    sessions = [
        session_at(
            f"s-{n:02d}",
            START - timedelta(minutes=rng.randint(20, 60)),
            START - timedelta(minutes=rng.randint(0, 19), seconds=rng.choice([0, 30])),
            user=rng.choice(["u1", "u2", None]),
            charger=rng.choice(["c1", "c2"]),
            status=rng.choice(["Started", "Stopped"]),
        )
        for n in range(40)
    ]
    writer.load(sessions)
    boundary = format_timestamp(clock.now - timedelta(seconds=SETTLE))
    for query in (
        {},
        {"userId": "u1"},
        {"chargerId": "c2", "status": "Started"},
        {
            "updatedFrom": format_timestamp(START - timedelta(minutes=10)),
            "updatedTo": format_timestamp(START - timedelta(minutes=3)),
        },
        {"updatedFrom": "2026-03-01T13:50:00+02:00", "userId": "u2"},  # 11:50Z, in another offset
        {"createdFrom": format_timestamp(START - timedelta(minutes=40))},
    ):
        expected, count = reference(
            sessions, "tenant-alpha", sort="updatedAt", settledBefore=boundary, take=10**6, **query
        )
        seen: list[str] = []
        cursor = None
        while True:
            body = feed_page(function, cursor, take=4, **query)
            assert body["count"] == count, query
            seen += [s["id"] for s in body["chargingSessions"]]
            cursor = body["nextCursor"]
            if len(body["chargingSessions"]) < 4:
                break
        assert seen == expected, query


# ---------------------------------------------------------------- a mirror


@dataclass
class Mirror:
    """What a mirror client does: poll the feed from its stored cursor, keep each session's latest version."""

    copy: dict[str, dict[str, Any]] = field(default_factory=dict)
    cursor: str | None = None

    def poll(self, function: ModuleType, take: int) -> int:
        """One poll: pages until caught up; how many pages it took."""
        pages = 0
        while True:
            body = feed_page(function, self.cursor, take=take)
            pages += 1
            for session in body["chargingSessions"]:
                held = self.copy.get(session["id"])
                if held is None or held["updatedAt"] <= session["updatedAt"]:
                    self.copy[session["id"]] = session
            self.cursor = body["nextCursor"]
            if len(body["chargingSessions"]) < take:
                return pages


def table_sessions(function: ModuleType) -> dict[str, dict[str, Any]]:
    status, body = call(function, event("take=1000"))
    assert status == 200
    return {session["id"]: session for session in body["chargingSessions"]}


def settle_everything(function: ModuleType, clock: Clock) -> None:
    """Move the clock past the settle window of the newest stamp stored (updates of one session stamp at least 1 ms
    after its previous version, so a burst of them can stamp a little ahead of the clock)."""
    stamps = [datetime.fromisoformat(session["updatedAt"]) for session in table_sessions(function).values()]
    newest = max([*stamps, clock.now])
    clock.advance((newest - clock.now).total_seconds() + SETTLE + 0.01)


operation = st.one_of(
    st.tuples(st.just("new"), st.floats(0, SETTLE * 0.99)),
    st.tuples(st.just("update"), st.integers(0, 10**6), st.floats(0, SETTLE * 0.99)),
    st.tuples(st.just("status"), st.integers(0, 10**6), st.floats(0, SETTLE * 0.99)),
    st.tuples(st.just("poll"), st.integers(1, 4)),
    st.tuples(st.just("advance"), st.floats(0, 8)),
    st.tuples(st.just("during"), st.integers(1, 3)),
)


_tables = iter(range(10**6))


BURST_AHEAD_OF_THE_CLOCK = [
    ("during", 3),
    ("update", 0, 0.0),
    ("update", 98, 3.80146616512456),
    ("update", 388, 0.0),
    ("update", 12266, 0.95),
    ("poll", 2),
    ("status", 75, 4.037172889724064),
    ("update", 581, 1.9464555548894102),
    ("new", 4.781607794367549),
    ("update", 1111, 0.2),
    ("status", 6498, 0.0),
    ("poll", 4),
    ("new", 0.0),
    ("update", 279, 0.6444954099422118),
    ("status", 17352, 1.3),
    ("during", 2),
    ("new", 3.1549473600148006),
    ("status", 134845, 3.155250925581757),
]
"""Found by the property below: eleven updates of one session within a millisecond of the clock stamp it 11 ms
ahead of it, so the last poll must wait for the newest stamp to settle, not only for the clock's."""


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(operation, min_size=5, max_size=40), seed=st.integers(0, 1000))
@example(operations=BURST_AHEAD_OF_THE_CLOCK, seed=640)
def test_a_mirror_that_polls_the_feed_ends_equal_to_the_table(
    function: ModuleType, client: Any, monkeypatch: pytest.MonkeyPatch, operations: list[Any], seed: int
) -> None:
    """Writes between polls and during them (inside the feed's own DynamoDB calls); each write stamped up to the
    settle window before it commits; new sessions, updates that move a session forward in the feed, status
    changes. After the last write settles, one more poll makes the mirror equal to the table."""
    table = f"{TABLE}-feed-{next(_tables)}"
    create_table(client, table)
    clock = Clock()
    reader = SessionReader(client, table, settle_seconds=SETTLE, clock=clock)
    monkeypatch.setattr(function, "reader", reader)
    writer = SessionWriter(client, table, settle_seconds=SETTLE, clock=clock)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    stored: list[dict[str, Any]] = []
    pending: list[int] = []  # writes to make inside the next feed queries

    def write(kind: str, index: int, lag: float) -> None:
        stamped = clock.now - timedelta(seconds=lag)
        if kind == "new" or not stored:
            session = session_at(f"s-{len(stored):03d}", stamped, user=rng.choice(["u1", "u2"]))
            stored.append(session)
        else:
            session = dict(stored[index % len(stored)])
            previous = datetime.fromisoformat(session["updatedAt"])
            session["updatedAt"] = format_timestamp(max(stamped, previous + timedelta(milliseconds=1)))
            if kind == "status":
                session["status"] = "Started" if session["status"] == "Stopped" else "Stopped"
                if session["status"] == "Started":
                    for name in ("stoppedAtTimestamp", "stoppedAtEnergy", "stoppedReason"):
                        session.pop(name, None)
                else:
                    session.update(
                        stoppedAtTimestamp=session["updatedAt"], stoppedAtEnergy=1013.0, stoppedReason="Local"
                    )
            else:
                session["energy"] = float(session["energy"]) + 1
            stored[index % len(stored)] = session
        writer.put(session)

    original_query = client.query

    def query_with_writes(**request: Any) -> Any:
        while pending:
            pending.pop()
            write(rng.choice(["new", "update", "status"]), rng.randrange(10**6), rng.uniform(0, SETTLE * 0.99))
        return original_query(**request)

    monkeypatch.setattr(client, "query", query_with_writes)
    mirror = Mirror()
    for step in operations:
        kind = step[0]
        if kind in ("new", "update", "status"):
            write(kind, step[1] if kind != "new" else 0, step[-1])
        elif kind == "poll":
            mirror.poll(function, step[1])
        elif kind == "advance":
            clock.advance(step[1])
        else:
            pending.extend(range(step[1]))
    pending.clear()
    # Past the settle window of the newest stamp: updates of one session stamp at least 1 ms after its previous
    # version, so a burst of them can stamp a little ahead of the clock (seed 640 stamped 11 ms ahead).
    monkeypatch.setattr(client, "query", original_query)
    settle_everything(function, clock)
    mirror.poll(function, 3)
    expected = table_sessions(function)
    assert {k: (v["updatedAt"], v["status"]) for k, v in mirror.copy.items()} == {
        k: (v["updatedAt"], v["status"]) for k, v in expected.items()
    }
    client.delete_table(TableName=table)


def test_a_change_stamped_long_before_it_commits_is_stamped_by_the_writer_and_reaches_mirrors(
    function: ModuleType, writer: SessionWriter, clock: Clock
) -> None:
    """A source stamp 6 s old (a charger's queued StopTransaction) lies behind a mirror's resume point already: kept
    as it is, the change would never reach the mirror. The writer stamps the change itself (the source's stamp
    stays apart, for ordering deliveries), so the mirror's next poll receives it."""
    writer.load([session_at("early", START - timedelta(minutes=1))])
    body = feed_page(function, take=10)
    assert [s["id"] for s in body["chargingSessions"]] == ["early"]
    writer.put(session_at("late", START - timedelta(seconds=SETTLE + 1)))
    clock.advance(SETTLE + 0.01)
    again = feed_page(function, body["nextCursor"], take=10)
    assert [s["id"] for s in again["chargingSessions"]] == ["late"]
    assert again["chargingSessions"][0]["updatedAt"] == format_timestamp(START)  # the writer's stamp


def test_a_re_put_backfills_a_session_stored_before_the_feed_existed(
    function: ModuleType, writer: SessionWriter, client: Any, table: str, clock: Clock
) -> None:
    old = session_at("old", START - timedelta(hours=1))
    writer.put(old)
    client.update_item(
        TableName=table,
        Key=session_key("tenant-alpha", old["createdAt"], "old"),
        UpdateExpression="REMOVE gUpd, kUpd, uSk",
    )
    assert feed_page(function, take=5)["chargingSessions"] == []  # not in the feed's index
    assert writer.put(old) is PutOutcome.UPDATED  # identical fields, but the item lacks the feed's keys
    clock.advance(SETTLE + 0.01)  # a backfill is a change now: it enters the feed at the writer's stamp
    assert [s["id"] for s in feed_page(function, take=5)["chargingSessions"]] == ["old"]
    assert writer.put(old) is PutOutcome.UNCHANGED


def test_a_cursor_past_the_settle_boundary_answers_an_empty_page_and_keeps_its_place(
    function: ModuleType, client: Any, table: str, writer: SessionWriter, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feed cursor issued under a 5 s window, presented to a reader whose window is an hour (the window raised, or a
    canary serving the walk with other settings): its position lies past that reader's boundary, where DynamoDB
    refuses an ``ExclusiveStartKey`` outside the key condition. The answer is an empty page carrying the same
    cursor, and no Query starts there; once the sessions settle under the larger window, the walk goes on."""
    writer.load([session_at(f"s{n}", START - timedelta(hours=3), START - timedelta(minutes=30 - n)) for n in range(4)])
    first = feed_page(function, take=2)
    assert [s["id"] for s in first["chargingSessions"]] == ["s0", "s1"]
    starts: list[dict[str, Any]] = []
    client.meta.events.register(
        "provide-client-params.dynamodb.Query", lambda params, **_: starts.append(params.get("ExclusiveStartKey"))
    )
    monkeypatch.setattr(function, "reader", SessionReader(client, table, settle_seconds=3600.0, clock=clock))
    held = feed_page(function, first["nextCursor"], take=2)
    assert held["chargingSessions"] == [] and held["nextCursor"] == first["nextCursor"]
    assert held["count"] == 4
    assert [start for start in starts if start is not None] == []
    clock.advance(3600)
    rest = feed_page(function, held["nextCursor"], take=2)
    assert [s["id"] for s in rest["chargingSessions"]] == ["s2", "s3"]


@pytest.mark.parametrize(
    "parameters",
    [
        {"userId": "nobody"},  # no range: the counter says 0 and one Limit=1 count on the user's view proves it
        {"status": "Started"},
        {"createdFrom": "2099-01-01T00:00:00Z"},  # a range: its count (over keys) is 0
        {"updatedFrom": "2020-01-01T00:00:00Z", "updatedTo": "2020-01-02T00:00:00Z"},
        {"updatedFrom": "2020-01-01T00:00:00Z", "userId": "nobody"},  # counted on the user's view: nothing there
    ],
)
def test_a_feed_page_known_to_be_empty_reads_no_page(
    function: ModuleType, client: Any, writer: SessionWriter, clock: Clock, parameters: dict[str, str]
) -> None:
    """Without this, each of these polls passed over the whole namespace's feed behind its filter to find nothing."""
    writer.load([session_at(f"s{n}", START - timedelta(hours=3), START - timedelta(minutes=n)) for n in range(30)])
    queries: list[dict[str, Any]] = []
    client.meta.events.register("provide-client-params.dynamodb.Query", lambda params, **_: queries.append(params))
    body = feed_page(function, take=10, **parameters)
    assert (body["chargingSessions"], body["count"]) == ([], 0)
    assert "nextCursor" in body  # caught up: the cursor to poll with
    assert [query.get("IndexName") for query in queries if query.get("Select") != "COUNT"] == []
    assert all(query.get("Limit") == 1 for query in queries if "Limit" in query)


# ---------------------------------------------------------------- adversarial writers

STALE_SOURCE = 30.0
"""How old a source's stamp can be when its change is put (a queue, a charger offline, a re-export)."""

adversarial = st.one_of(
    st.tuples(st.just("new"), st.floats(0, STALE_SOURCE)),
    st.tuples(st.sampled_from(["update", "status", "same-stamp", "move"]), st.integers(0, 10**6), st.floats(0, 30)),
    st.tuples(st.just("late-arrival"), st.integers(0, 10**6)),
    st.tuples(st.just("slow-commit"), st.integers(0, 10**6)),
    st.tuples(st.just("poll"), st.integers(1, 4)),
    st.tuples(st.just("advance"), st.floats(0, 8)),
)


class _SlowCommits:
    """The writer's client, whose next transaction commits ``SETTLE + 1`` seconds after it was sent, a mirror
    polling while it is on its way (a slow network, the SDK's own retries, a queue in the writing service)."""

    def __init__(self, real: Any, clock: Clock, during: Any) -> None:
        self._real, self._clock, self._during = real, clock, during
        self.slow_next = False

    def transact_write_items(self, **request: Any) -> Any:
        if self.slow_next:
            self.slow_next = False
            self._clock.advance(SETTLE + 1)
            self._during()
        return self._real.transact_write_items(**request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(adversarial, min_size=5, max_size=30), seed=st.integers(0, 1000))
def test_a_mirror_ends_equal_to_the_table_whatever_the_writers_stamp(
    function: ModuleType, client: Any, monkeypatch: pytest.MonkeyPatch, operations: list[Any], seed: int
) -> None:
    """Sources that stamp what they like: corrections with the same ``updatedAt`` (a re-export), stamps up to 30 s
    old (a queued StopTransaction), late arrivals of older versions (ignored), a corrected ``createdAt`` (the session
    moves), and commits slower than the settle window while a mirror polls. Whatever arrives, every change ``put``
    accepts reaches the mirror: after the last write settles, one more poll makes it equal to the table."""
    table = f"{TABLE}-feed-{next(_tables)}"
    create_table(client, table)
    clock = Clock()
    monkeypatch.setattr(function, "reader", SessionReader(client, table, settle_seconds=SETTLE, clock=clock))
    mirror = Mirror()
    slow = _SlowCommits(client, clock, lambda: mirror.poll(function, 2))
    writer = SessionWriter(cast(Any, slow), table, settle_seconds=SETTLE, clock=clock)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    sources: list[dict[str, Any]] = []  # each session as its source last sent it

    def send(kind: str, index: int, lag: float) -> None:
        stamped = clock.now - timedelta(seconds=lag)
        if kind == "new" or not sources:
            session = session_at(f"s-{len(sources):03d}", stamped, user=rng.choice(["u1", "u2"]))
            sources.append(session)
            writer.put(session)
            return
        position = index % len(sources)
        session = dict(sources[position])
        previous = datetime.fromisoformat(session["updatedAt"])
        if kind == "late-arrival":
            session["updatedAt"] = format_timestamp(previous - timedelta(seconds=1))  # an older version, late
            session["energy"] = -1.0
            writer.put(session)  # STALE: the table keeps what it has
            return
        if kind != "same-stamp":
            session["updatedAt"] = format_timestamp(max(stamped, previous + timedelta(milliseconds=1)))
        session["energy"] = float(session["energy"]) + 1
        if kind == "status":
            session["status"] = "Started" if session["status"] == "Stopped" else "Stopped"
            for name in ("stoppedAtTimestamp", "stoppedAtEnergy", "stoppedReason"):
                session.pop(name, None)
            if session["status"] == "Stopped":
                session.update(stoppedAtTimestamp=session["updatedAt"], stoppedAtEnergy=1013.0, stoppedReason="Local")
        if kind == "move":
            created = datetime.fromisoformat(session["createdAt"]) + timedelta(minutes=1)
            session["createdAt"] = session["startedAtTimestamp"] = format_timestamp(created)
        slow.slow_next = kind == "slow-commit"
        sources[position] = session
        writer.put(session)

    for step in operations:
        kind = step[0]
        if kind == "poll":
            mirror.poll(function, step[1])
        elif kind == "advance":
            clock.advance(step[1])
        else:
            send(kind, step[1] if kind != "new" else 0, step[-1] if kind not in ("late-arrival", "slow-commit") else 0)
    settle_everything(function, clock)
    mirror.poll(function, 3)
    expected = table_sessions(function)
    assert {k: (v["updatedAt"], v["energy"], v["status"], v["createdAt"]) for k, v in mirror.copy.items()} == {
        k: (v["updatedAt"], v["energy"], v["status"], v["createdAt"]) for k, v in expected.items()
    }
    client.delete_table(TableName=table)


@pytest.mark.parametrize("few", [0, 10**9], ids=["compare-with-the-range", "filters-view-first"])
@pytest.mark.parametrize("sort", ["updatedAt", "-createdAt"])
def test_an_updated_range_with_filters_counts_the_same_on_either_view(
    function: ModuleType, writer: SessionWriter, clock: Clock, monkeypatch: pytest.MonkeyPatch, few: int, sort: str
) -> None:
    """Such a count is taken on the filters' own view or on the feed's range, whichever reads less: both give the
    reference's figure (``FEW_SESSIONS`` moved to force each way)."""
    from charging_sessions.storage import reader as reader_module

    monkeypatch.setattr(reader_module, "FEW_SESSIONS", few)
    rng = random.Random(11)  # noqa: S311 - reproducible test data
    sessions = [
        session_at(
            f"s{n:02d}",
            START - timedelta(hours=rng.uniform(2, 4)),
            START - timedelta(minutes=rng.uniform(1, 100)),
            user=rng.choice(["u1", "u2", "u3"]),
            status=rng.choice(["Started", "Stopped"]),
        )
        for n in range(40)
    ]
    writer.load(sessions)
    for query in (
        {"updatedFrom": format_timestamp(START - timedelta(minutes=50)), "userId": "u1"},
        {"updatedFrom": format_timestamp(START - timedelta(minutes=80)), "status": "Started"},
        {"updatedTo": format_timestamp(START - timedelta(minutes=30)), "userId": "u2", "status": "Stopped"},
        {"updatedFrom": format_timestamp(START - timedelta(minutes=90)), "userId": "nobody"},
    ):
        _, count = reference(sessions, "tenant-alpha", sort=sort, settledBefore=format_timestamp(START), **query)
        status, body = call(function, event(urllib.parse.urlencode({"sort": sort, "take": 0, **query})))
        assert (status, body["count"]) == (200, count), query
