"""The use case on a scripted DynamoDB: one listing from a validated query to the answer (its body, where the next
page starts, the entity tag), and a cursor that resumes exactly where it says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from charging_sessions.conditional import entity_tag
from charging_sessions.cursor import CursorCodec, CursorError, CursorKeys
from charging_sessions.listing import Listing, build_reader, list_for_namespace
from charging_sessions.models import ChargingSession, ListChargingSessionsResponse, dump_json
from charging_sessions.observability import logger, metrics
from charging_sessions.query import SessionFilter, SessionQuery
from charging_sessions.settings import Settings
from charging_sessions.storage.dynamodb_json import Item
from charging_sessions.storage.items import session_item
from charging_sessions.storage.keys import COUNT, NAMESPACE, PK, SK, namespace_counter_key
from charging_sessions.storage.reader import SessionReader
from charging_sessions.storage.write_limits import stored_document
from charging_sessions.time_range import TimeRange
from tests.conftest import TABLE
from tests.factories import make_session

NAMESPACE_ID = "tenant-alpha"
CURSORS = CursorCodec(lambda: CursorKeys.from_secret({"current": "unit-test-cursor-key-" + "k" * 32}))


class ScriptedDynamoDB:
    """The table partition of one namespace as DynamoDB answers it: its counter (GetItem) and its sessions in key
    order (Query on the table or its keys-only twin, with a sort-key range, ``Limit``, ``ExclusiveStartKey`` and
    ``Select=COUNT``). Every request is recorded."""

    def __init__(self, sessions: list[dict[str, Any]], *, counter: int | None = None) -> None:
        self.items = sorted(
            (session_item(stored_document(session), 1) for session in sessions), key=lambda item: item[SK]["S"]
        )
        self.counter = len(sessions) if counter is None else counter
        self.requests: list[dict[str, Any]] = []

    def get_item(self, **request: Any) -> dict[str, Any]:
        self.requests.append({"operation": "GetItem", **request})
        assert request["Key"] == namespace_counter_key(NAMESPACE_ID), "only the namespace's counter is read"
        return {"Item": {COUNT: {"N": str(self.counter)}}, "ConsumedCapacity": {"CapacityUnits": 0.5}}

    def query(self, **request: Any) -> dict[str, Any]:
        self.requests.append({"operation": "Query", **request})
        assert request["ExpressionAttributeValues"][":pk"] == {"S": NAMESPACE_ID}, "only the caller's partition"
        assert request.get("IndexName") in (None, NAMESPACE.keys_index)
        values = request["ExpressionAttributeValues"]
        ordered = [
            item
            for item in (self.items if request["ScanIndexForward"] else self.items[::-1])
            if (":from" not in values or item[SK]["S"] >= values[":from"]["S"])
            and (":to" not in values or item[SK]["S"] < values[":to"]["S"])
        ]
        start = request.get("ExclusiveStartKey")
        if start is not None:
            after = start[SK]["S"]
            ordered = [item for item in ordered if (item[SK]["S"] > after) == request["ScanIndexForward"]]
            ordered = [item for item in ordered if item[SK]["S"] != after]
        limit = int(request.get("Limit", len(ordered)))
        passed = ordered[:limit]
        answer: dict[str, Any] = {"Count": len(passed), "ScannedCount": len(passed)}
        if request.get("Select") != "COUNT":
            answer["Items"] = [self._projected(item, request) for item in passed]
        if len(ordered) > limit:
            last = passed[-1]
            answer["LastEvaluatedKey"] = self._projected({PK: last[PK], SK: last[SK], **self._keys(last)}, request)
        return answer

    @staticmethod
    def _keys(item: Item) -> Item:
        attribute = str(NAMESPACE.keys_pk_attr)
        return {attribute: item[attribute]} if attribute in item else {}

    @staticmethod
    def _projected(item: Item, request: dict[str, Any]) -> Item:
        if request.get("IndexName") == NAMESPACE.keys_index:
            return {name: value for name, value in item.items() if name in (PK, SK, NAMESPACE.keys_pk_attr)}
        if "IndexName" not in request:
            return {name: value for name, value in item.items() if name != NAMESPACE.keys_pk_attr}
        return item


@pytest.fixture(autouse=True)
def no_state_left_behind() -> Iterator[None]:
    """The listing records its request and page in the process-wide logger and metrics: leave nothing behind."""
    yield
    metrics.clear_metrics()
    logger.clear_state()


def stored(count: int) -> list[dict[str, Any]]:
    return [make_session(minute=minute, session_id=f"s-{minute:02d}") for minute in range(count)]


def reader_of(client: ScriptedDynamoDB) -> SessionReader:
    return build_reader(client, Settings.model_validate({"TABLE_NAME": TABLE}))  # type: ignore[arg-type]


def listing(
    client: ScriptedDynamoDB,
    query: SessionQuery | None = None,
    *,
    take: int,
    skip: int = 0,
    cursor: str | None = None,
    namespace: str = NAMESPACE_ID,
) -> Listing:
    return list_for_namespace(
        reader_of(client), CURSORS, namespace, query or SessionQuery(), take=take, skip=skip, cursor=cursor
    )


def ids(result: Listing) -> list[str]:
    return [session["id"] for session in json.loads(result.answer.body)["chargingSessions"]]


def test_the_body_is_the_response_model_around_the_page() -> None:
    sessions = stored(7)
    result = listing(ScriptedDynamoDB(sessions), take=3)
    newest = [ChargingSession.model_validate(session) for session in sessions[::-1][:3]]
    assert result.answer.next_cursor is not None
    expected = ListChargingSessionsResponse(
        chargingSessions=newest, count=7, nextSkip=3, nextCursor=result.answer.next_cursor
    )
    assert result.answer.body == dump_json(expected)
    assert (result.answer.returned, result.answer.next_skip, result.answer.cut) == (3, 3, False)
    assert [session.id for session in result.page.sessions] == ["s-06", "s-05", "s-04"]
    assert result.page.view == "namespace"


def test_the_last_page_says_nothing_follows() -> None:
    result = listing(ScriptedDynamoDB(stored(5)), take=5)
    body = json.loads(result.answer.body)
    assert ids(result) == ["s-04", "s-03", "s-02", "s-01", "s-00"]
    assert body["count"] == 5
    assert "nextSkip" not in body and "nextCursor" not in body
    assert (result.answer.next_skip, result.answer.next_cursor) == (None, None)


def test_a_skip_passes_over_keys_and_says_where_the_next_page_starts() -> None:
    client = ScriptedDynamoDB(stored(9))
    result = listing(client, take=3, skip=4)
    assert ids(result) == ["s-04", "s-03", "s-02"]
    assert json.loads(result.answer.body)["nextSkip"] == 7
    counting = [r for r in client.requests if r.get("Select") == "COUNT"]
    assert [(r["IndexName"], r["Limit"]) for r in counting] == [(NAMESPACE.keys_index, 4)]  # keys, not items


def test_take_zero_answers_only_the_count() -> None:
    client = ScriptedDynamoDB(stored(4), counter=4)
    result = listing(client, take=0)
    assert json.loads(result.answer.body) == {"success": True, "chargingSessions": [], "count": 4}
    assert [r["operation"] for r in client.requests] == ["GetItem"]


def test_the_tag_is_the_entity_tag_of_the_answer_to_the_query() -> None:
    client = ScriptedDynamoDB(stored(6))
    result = listing(client, take=2)
    asked = {"skip": 0, "take": 2, "cursor": None}
    assert result.tag == entity_tag(NAMESPACE_ID, asked, result.answer.body)
    assert result.tag == listing(client, take=2).tag  # the same question, the same answer: the same tag


def test_the_tag_changes_with_the_query_and_with_the_body() -> None:
    sessions = stored(6)
    client = ScriptedDynamoDB(sessions)
    tag = listing(client, take=2).tag
    assert listing(client, take=3).tag != tag
    assert listing(client, take=2, skip=1).tag != tag
    everything = SessionQuery(created=TimeRange(None, "2027-01-01T00:00:00.000Z"))
    whole, ranged = listing(client, take=6), listing(client, everything, take=6)
    assert whole.answer.body == ranged.answer.body
    assert whole.tag != ranged.tag  # the same body, another question
    assert listing(client, take=2, namespace="tenant-alpha").tag == tag
    changed = ScriptedDynamoDB([*sessions[:-1], {**sessions[-1], "energy": 99.0}])
    assert listing(changed, take=2).tag != tag


def test_identical_bodies_for_different_queries_have_different_tags() -> None:
    client = ScriptedDynamoDB(stored(2))
    past_the_end = [listing(client, take=2, skip=skip) for skip in (5, 6)]
    assert past_the_end[0].answer.body == past_the_end[1].answer.body
    assert past_the_end[0].tag != past_the_end[1].tag


def test_a_cursor_resumes_where_it_says() -> None:
    client = ScriptedDynamoDB(stored(8))
    first = listing(client, take=3)
    assert first.answer.next_cursor is not None
    client.requests.clear()
    second = listing(client, take=3, cursor=first.answer.next_cursor)
    assert ids(second) == ["s-04", "s-03", "s-02"]
    reads = [r for r in client.requests if r["operation"] == "Query"]
    assert reads[0]["ExclusiveStartKey"][SK]["S"].endswith("#s-05")  # right after the first page's last session
    assert all(r.get("Select") != "COUNT" for r in reads)  # a cursor skips nothing
    body = json.loads(second.answer.body)
    assert "nextSkip" not in body  # a cursor walk is told only where to resume
    assert body["count"] == 8


def test_a_cursor_walk_returns_every_session_once_in_order() -> None:
    client = ScriptedDynamoDB(stored(11))
    walked: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        page = listing(client, take=4, cursor=cursor)
        walked += ids(page)
        cursor = page.answer.next_cursor
        if cursor is None:
            break
    assert walked == [f"s-{minute:02d}" for minute in range(10, -1, -1)]


def test_a_cursor_answers_only_its_namespace_and_query() -> None:
    client = ScriptedDynamoDB(stored(8))
    cursor = listing(client, take=3).answer.next_cursor
    assert cursor is not None
    with pytest.raises(CursorError, match="another namespace or other filters"):
        listing(client, SessionQuery(SessionFilter(status="Stopped")), take=3, cursor=cursor)
    with pytest.raises(CursorError, match="another namespace or other filters"):
        listing(client, take=3, cursor=cursor, namespace="tenant-beta")
    assert ids(listing(client, take=5, cursor=cursor)) == ["s-04", "s-03", "s-02", "s-01", "s-00"]  # take may change


def test_a_created_range_is_read_by_key_and_counted_over_its_keys() -> None:
    client = ScriptedDynamoDB(stored(10), counter=1_000)
    query = SessionQuery(created=TimeRange(make_session(minute=3)["createdAt"], make_session(minute=7)["createdAt"]))
    result = listing(client, query, take=2)
    assert ids(result) == ["s-06", "s-05"]
    assert json.loads(result.answer.body)["count"] == 4  # counted over the range, not the counter
    assert "GetItem" not in [r["operation"] for r in client.requests]


def test_a_counter_the_read_proves_wrong_is_not_answered() -> None:
    drifted = ScriptedDynamoDB(stored(3), counter=10)
    result = listing(drifted, take=5)
    assert json.loads(result.answer.body)["count"] == 3  # the read reached the end: the true count
