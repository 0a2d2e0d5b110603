"""Read plans without a table: which view answers a query, which key range confines the read, what its items must
also match, in which direction, where a resumed feed starts, and how the count is read."""

from __future__ import annotations

import pytest

from charging_sessions.query import SessionFilter, SessionQuery, Sort
from charging_sessions.storage.keys import (
    BY_CHARGER_STATUS,
    BY_STATUS,
    BY_USER,
    BY_USER_CHARGER_STATUS,
    FEED,
    NAMESPACE,
    View,
    join,
)
from charging_sessions.storage.plan import page_view, plan_count, plan_page, position_view
from charging_sessions.storage.positions import Resume
from charging_sessions.storage.requests import ItemFilter
from charging_sessions.time_range import TimeRange

NS = "tenant#alpha"
T0, T1, T2, T3 = (f"2026-03-01T1{hour}:00:00.000Z" for hour in range(4))
SETTLED = T2


@pytest.mark.parametrize(
    ("filters", "view"),
    [
        (SessionFilter(), NAMESPACE),
        (SessionFilter(status="Started"), BY_STATUS),
        (SessionFilter(user_id="u"), BY_USER),
        (SessionFilter(charger_id="c", status="Stopped"), BY_CHARGER_STATUS),
        (SessionFilter("u", "c", "Started"), BY_USER_CHARGER_STATUS),
    ],
)
def test_the_page_view_is_the_filters_own_in_the_default_order_and_the_feed_otherwise(
    filters: SessionFilter, view: View
) -> None:
    assert page_view(Sort.NEWEST_FIRST, filters) == view
    assert page_view(Sort.UPDATED, filters) == FEED


def test_positions_are_the_tables_in_the_default_order_and_the_feeds_in_update_order() -> None:
    assert position_view(Sort.NEWEST_FIRST) == NAMESPACE
    assert position_view(Sort.UPDATED) == FEED


def test_the_default_order_reads_the_filters_view_newest_first_by_key() -> None:
    query = SessionQuery(SessionFilter(user_id="u#1"), created=TimeRange(T0, T1))
    plan = plan_page(NS, query, SETTLED)
    assert (plan.view, plan.partition, plan.key_range, plan.newest_first) == (
        BY_USER,
        join(NS, "u#1"),
        TimeRange(T0, T1),
        True,
    )
    assert not plan.item_filter  # an unbounded updatedAt range filters nothing
    request = plan.request("table")
    assert request["IndexName"] == "by-user"
    assert request["ScanIndexForward"] is False
    assert request["KeyConditionExpression"] == "#pk = :pk AND #sk BETWEEN :from AND :to"
    assert "FilterExpression" not in request


def test_an_updated_range_in_the_default_order_is_a_filter() -> None:
    query = SessionQuery(updated=TimeRange(T1, None))
    plan = plan_page(NS, query, SETTLED)
    assert (plan.view, plan.partition, plan.key_range) == (NAMESPACE, join(NS), TimeRange())
    assert plan.item_filter == ItemFilter(ranges=(("updatedAt", T1, None),))
    assert not plan.keys_only  # the keys-only twin holds no updatedAt to filter on
    request = plan.request("table")
    assert request["FilterExpression"] == "#r0 >= :r0a"
    assert request["ExpressionAttributeNames"]["#r0"] == "updatedAt"
    assert "IndexName" not in request  # the table itself


def test_counting_and_skipping_without_a_filter_use_the_keys_only_twin() -> None:
    plan = plan_page(NS, SessionQuery(created=TimeRange(None, T1)), SETTLED)
    assert plan.keys_only
    assert plan.request("table", keys_only=True)["IndexName"] == NAMESPACE.keys_index
    assert plan.request("table", keys_only=True)["ExpressionAttributeNames"]["#pk"] == NAMESPACE.keys_pk_attr
    assert not plan_page(NS, SessionQuery(SessionFilter(user_id="u")), SETTLED).keys_only  # no twin


def test_the_feed_reads_settled_updates_oldest_first_with_the_filters_by_filter() -> None:
    query = SessionQuery(SessionFilter(user_id="u1", status="Started"), created=TimeRange(T0, None), sort=Sort.UPDATED)
    plan = plan_page(NS, query, SETTLED)
    assert (plan.view, plan.partition, plan.newest_first) == (FEED, join(NS), False)
    assert plan.key_range == TimeRange(None, SETTLED)  # only what has settled
    assert plan.item_filter == ItemFilter((("userId", "u1"), ("status", "Started")), (("createdAt", T0, None),))
    request = plan.request("table")
    assert request["IndexName"] == "by-updated"
    assert request["ScanIndexForward"] is True
    assert request["ExpressionAttributeNames"]["#sk"] == "uSk"
    assert request["KeyConditionExpression"] == "#pk = :pk AND #sk < :to"


def test_the_feed_range_ends_at_the_settle_boundary_at_the_latest() -> None:
    early = SessionQuery(updated=TimeRange(T0, T1), sort=Sort.UPDATED)
    assert plan_page(NS, early, SETTLED).key_range == TimeRange(T0, T1)
    late = SessionQuery(updated=TimeRange(T1, T3), sort=Sort.UPDATED)
    assert plan_page(NS, late, SETTLED).key_range == TimeRange(T1, SETTLED)
    unsettled = SessionQuery(updated=TimeRange(T3, None), sort=Sort.UPDATED)
    assert plan_page(NS, unsettled, SETTLED).key_range.empty


def test_a_resumed_feed_starts_at_its_time() -> None:
    query = SessionQuery(updated=TimeRange(T0, None), sort=Sort.UPDATED)
    assert plan_page(NS, query, SETTLED, Resume(from_time=T1)).key_range == TimeRange(T1, SETTLED)
    assert plan_page(NS, SessionQuery(sort=Sort.UPDATED), SETTLED, Resume(from_time=T1)).key_range == TimeRange(
        T1, SETTLED
    )
    later = SessionQuery(updated=TimeRange(T2, None), sort=Sort.UPDATED)
    assert plan_page(NS, later, T3, Resume(from_time=T1)).key_range == TimeRange(T2, T3)  # never before the range
    assert plan_page(NS, query, SETTLED, Resume(after={"sk": "x", "uSk": "y"})).key_range == TimeRange(T0, SETTLED)
    assert plan_page(NS, query, SETTLED, None) == plan_page(NS, query, SETTLED)


def test_a_read_resumes_only_after_a_position_inside_its_key_range() -> None:
    feed = plan_page(NS, SessionQuery(updated=TimeRange(T1, None), sort=Sort.UPDATED), SETTLED)  # [T1, T2)
    assert feed.reaches(None) and feed.reaches(Resume(from_time=T3))  # no position to start after
    assert feed.reaches(Resume(after={"sk": "x", "uSk": f"{T1}#a"}))
    assert not feed.reaches(Resume(after={"sk": "x", "uSk": f"{SETTLED}#a"}))  # at the boundary: past it
    assert not feed.reaches(Resume(after={"sk": "x", "uSk": f"{T3}#a"}))
    assert not feed.reaches(Resume(after={"sk": "x", "uSk": f"{T0}#a"}))
    assert not feed.reaches(Resume(after={"sk": "x"}))  # a position without the view's sort key
    newest = plan_page(NS, SessionQuery(), SETTLED)
    assert newest.reaches(Resume(after={"sk": f"{T3}#a"}))  # an unbounded range holds every position


def test_a_counter_holds_the_count_without_a_range() -> None:
    assert plan_count(NS, SessionQuery()) is None
    assert plan_count(NS, SessionQuery(SessionFilter("u", "c", "Started"), sort=Sort.UPDATED)) is None


def test_a_created_range_is_counted_on_the_filters_view_by_key() -> None:
    plan = plan_count(NS, SessionQuery(SessionFilter(status="Stopped"), created=TimeRange(T0, T1)))
    assert plan is not None
    assert (plan.view, plan.partition, plan.key_range, plan.newest_first) == (
        BY_STATUS,
        join(NS, "Stopped"),
        TimeRange(T0, T1),
        True,
    )
    assert plan.item_filter == ItemFilter()
    unfiltered = plan_count(NS, SessionQuery(created=TimeRange(T0, None)))
    assert unfiltered is not None and unfiltered.keys_only


def test_an_updated_range_is_counted_on_the_feed_settled_or_not() -> None:
    query = SessionQuery(SessionFilter(charger_id="c"), created=TimeRange(T0, None), updated=TimeRange(T1, T3))
    plan = plan_count(NS, query)
    assert plan is not None
    assert (plan.view, plan.key_range) == (FEED, TimeRange(T1, T3))  # no settle boundary: every session counts
    assert plan.item_filter == ItemFilter((("chargerId", "c"),), (("createdAt", T0, None),))
    assert not plan.keys_only
