"""Read requests: key conditions for time ranges (never filters), item filters, and the Query, GetItem and Scan
arguments the reader and the counter check send."""

from __future__ import annotations

import pytest

from charging_sessions.storage import keys as layout
from charging_sessions.storage.keys import COUNT, FEED, NAMESPACE, PK, SK, counter_pk
from charging_sessions.storage.requests import (
    COUNTED_ATTRIBUTES,
    COUNTER_PROJECTION,
    ItemFilter,
    counter_partition_query,
    namespace_sessions_query,
    namespace_sweep_scan,
    sort_key_condition,
    view_query,
)
from tests.conftest import TABLE

T0, T1 = "2026-03-01T10:00:00.000Z", "2026-03-01T11:00:00.000Z"


def test_ranges_are_key_conditions_never_filters() -> None:
    both = view_query(TABLE, layout.BY_USER, "p", start="2026-03-01T10:00:00.000Z", end="2026-03-01T11:00:00.000Z")
    assert both["KeyConditionExpression"] == "#pk = :pk AND #sk BETWEEN :from AND :to"
    assert both["ExpressionAttributeValues"][":to"] == {"S": "2026-03-01T11:00:00.000Z"}
    assert both["ExpressionAttributeNames"]["#sk"] == layout.SK
    assert "FilterExpression" not in both
    only_from = view_query(TABLE, layout.NAMESPACE, "p", keys_only=True, start="2026-03-01T10:00:00.000Z")
    assert only_from["KeyConditionExpression"] == "#pk = :pk AND #sk >= :from"
    assert only_from["IndexName"] == "keys-by-namespace"
    only_to = view_query(TABLE, layout.NAMESPACE, "p", end="2026-03-01T10:00:00.000Z")
    assert only_to["KeyConditionExpression"] == "#pk = :pk AND #sk < :to"
    assert view_query(TABLE, layout.NAMESPACE, "p")["KeyConditionExpression"] == "#pk = :pk"


def test_the_sort_key_condition_of_each_kind_of_range() -> None:
    assert sort_key_condition(None, None) == ("", {})
    assert sort_key_condition(T0, None) == (" AND #sk >= :from", {":from": {"S": T0}})
    assert sort_key_condition(None, T1) == (" AND #sk < :to", {":to": {"S": T1}})
    assert sort_key_condition(T0, T1) == (" AND #sk BETWEEN :from AND :to", {":from": {"S": T0}, ":to": {"S": T1}})
    with pytest.raises(AssertionError):
        sort_key_condition(T1, T0)  # an empty range needs no query


def test_a_view_query_reads_its_index_in_its_order() -> None:
    request = view_query(TABLE, layout.BY_USER, "tenant#u1", newest_first=True)
    assert request == {
        "TableName": TABLE,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": layout.BY_USER.pk_attr},
        "ExpressionAttributeValues": {":pk": {"S": "tenant#u1"}},
        "ScanIndexForward": False,
        "IndexName": "by-user",
    }
    feed = view_query(TABLE, FEED, "tenant", keys_only=True, newest_first=False, start=T0)
    assert (feed["IndexName"], feed["ScanIndexForward"]) == (FEED.keys_index, True)
    assert feed["ExpressionAttributeNames"] == {"#pk": FEED.keys_pk_attr, "#sk": layout.UPDATED_SK}


def test_an_item_filter_says_what_the_key_cannot() -> None:
    assert not ItemFilter()
    assert not ItemFilter(ranges=(("updatedAt", None, None),))
    assert ItemFilter(equal=(("userId", "u"),))
    item_filter = ItemFilter((("userId", "u"), ("status", "Started")), (("createdAt", T0, T1), ("updatedAt", None, T1)))
    assert item_filter.expression() == {
        "FilterExpression": "#f0 = :f0 AND #f1 = :f1 AND #r0 >= :r0a AND #r0 < :r0b AND #r1 < :r1b",
        "ExpressionAttributeNames": {"#f0": "userId", "#f1": "status", "#r0": "createdAt", "#r1": "updatedAt"},
        "ExpressionAttributeValues": {
            ":f0": {"S": "u"},
            ":f1": {"S": "Started"},
            ":r0a": {"S": T0},
            ":r0b": {"S": T1},
            ":r1b": {"S": T1},
        },
    }
    assert ItemFilter(ranges=(("updatedAt", None, None),)).expression() == {}


def test_a_filtered_view_query_merges_the_filter_and_the_key_condition() -> None:
    request = view_query(TABLE, NAMESPACE, "tenant", start=T0, item_filter=ItemFilter((("chargerId", "c"),)))
    assert request["FilterExpression"] == "#f0 = :f0"
    assert request["ExpressionAttributeNames"] == {"#pk": PK, "#sk": SK, "#f0": "chargerId"}
    assert set(request["ExpressionAttributeValues"]) == {":pk", ":from", ":f0"}
    with pytest.raises(AssertionError):
        view_query(TABLE, NAMESPACE, "tenant", keys_only=True, item_filter=ItemFilter((("chargerId", "c"),)))


def test_the_counter_check_requests() -> None:
    assert COUNTER_PROJECTION == {"ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": COUNT}}
    counters = counter_partition_query(TABLE, "tenant#alpha")
    assert counters["ExpressionAttributeValues"] == {":pk": {"S": counter_pk("tenant#alpha")}}
    assert counters["ConsistentRead"] is True
    sessions = namespace_sessions_query(TABLE, "tenant#alpha", projection=COUNTED_ATTRIBUTES)
    assert sessions["ExpressionAttributeValues"][":pk"] == {"S": "tenant%23alpha"}
    assert "IndexName" not in sessions
    assert sessions["ProjectionExpression"] == "#a0, #a1, #a2, #a3"
    assert [sessions["ExpressionAttributeNames"][f"#a{n}"] for n in range(4)] == [SK, "userId", "chargerId", "status"]
    first = {"TableName": TABLE, "Limit": 200, "ProjectionExpression": "#pk", "ExpressionAttributeNames": {"#pk": PK}}
    assert namespace_sweep_scan(TABLE, 200, None) == first
    position = {PK: {"S": "a"}, SK: {"S": "b"}}
    assert namespace_sweep_scan(TABLE, 200, position) == {**first, "ExclusiveStartKey": position}
