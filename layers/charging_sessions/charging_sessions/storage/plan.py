"""Planning a read: which view answers a query, which key condition confines it, what its items must also match,
in which direction; for the page and for the count. Plans are data: :mod:`.reader` executes them."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from ..query import SessionFilter, SessionQuery, Sort
from ..time_range import TimeRange
from .keys import FEED, NAMESPACE, View, choose_view
from .positions import Resume
from .requests import ItemFilter, view_query

MAX_CALL_LIMIT = 10_000
"""The largest ``Limit`` a filtered read asks for: DynamoDB's 1 MB per call bounds what one call reads anyway."""


def next_limit(needed: int, scanned: int, matched: int) -> int:
    """The ``Limit`` of a read's next call, when ``needed`` more items are wanted and the calls so far passed over
    ``scanned`` entries of which ``matched`` passed the filter: ``needed`` entries at the share seen to match (all of
    them without a filter), at most :data:`MAX_CALL_LIMIT`. Items past ``needed`` are read but not answered."""
    if matched >= scanned:
        return needed
    return min(MAX_CALL_LIMIT, math.ceil(needed * scanned / max(matched, 1)))


@dataclass(frozen=True)
class ReadPlan:
    """How one read goes: a view's partition, a time range on its sort key (a key condition), what its items must
    also match (a filter), and the direction."""

    view: View
    partition: str
    key_range: TimeRange
    item_filter: ItemFilter
    newest_first: bool

    @property
    def keys_only(self) -> bool:
        """Whether counting and skipping can use the view's KEYS_ONLY twin (a few dozen bytes an entry): only
        without a filter, since the twin holds no other attribute."""
        return self.view.keys_index is not None and not self.item_filter

    def request(self, table: str, *, keys_only: bool = False) -> dict[str, Any]:
        """The Query arguments of this read (on the keys-only twin with ``keys_only``)."""
        return view_query(
            table,
            self.view,
            self.partition,
            keys_only=keys_only,
            newest_first=self.newest_first,
            start=self.key_range.start,
            end=self.key_range.end,
            item_filter=None if keys_only else self.item_filter,
        )

    def reaches(self, after: Resume | None) -> bool:
        """Whether a read can resume after ``after``'s position: its sort key lies in the key range (DynamoDB refuses
        an ``ExclusiveStartKey`` outside the key condition). A feed position can lie past the settle boundary when
        the window grew since the cursor was issued, or versions with other windows serve one walk."""
        if after is None or after.after is None:
            return True
        key = after.after.get(self.view.sk_attr)
        start, end = self.key_range.start, self.key_range.end
        return key is not None and (start is None or key >= start) and (end is None or key < end)

    def resumed(self, after: Resume | None) -> ReadPlan:
        """This plan from where ``after`` says, when it resumes at a time (the update feed's settle boundary)."""
        if after is None or after.from_time is None:
            return self
        start = max(self.key_range.start or "", after.from_time)
        return replace(self, key_range=TimeRange(start, self.key_range.end))


def page_view(sort: Sort, filters: SessionFilter) -> View:
    """The view a page in ``sort`` order is read from: the one place a view is chosen from the sort."""
    if sort is Sort.UPDATED:
        return FEED
    return choose_view(filters.user_id, filters.charger_id, filters.status)


def position_view(sort: Sort) -> View:
    """The view whose positions a cursor in ``sort`` order holds (every filter's view shares the table's)."""
    return FEED if sort is Sort.UPDATED else NAMESPACE


def _equalities(filters: SessionFilter) -> tuple[tuple[str, str], ...]:
    return tuple(filters.as_dict().items())


def _feed_plan(namespace: str, query: SessionQuery, key_range: TimeRange) -> ReadPlan:
    """The namespace's update feed in ``key_range`` of ``updatedAt`` (by key), the filters and ``createdAt`` by
    filter (the feed has no view per filter)."""
    return ReadPlan(
        FEED,
        FEED.partition_key(namespace, None, None, None),
        key_range,
        ItemFilter(_equalities(query.filters), (("createdAt", query.created.start, query.created.end),)),
        newest_first=False,
    )


def _filters_plan(namespace: str, query: SessionQuery, item_filter: ItemFilter) -> ReadPlan:
    """The filters' own view, newest first, in the ``createdAt`` range (by key), items matching ``item_filter``."""
    filters = query.filters
    view = page_view(Sort.NEWEST_FIRST, filters)
    partition = view.partition_key(namespace, filters.user_id, filters.charger_id, filters.status)
    return ReadPlan(view, partition, query.created, item_filter, newest_first=True)


def plan_page(namespace: str, query: SessionQuery, settled_before: str, after: Resume | None = None) -> ReadPlan:
    """The read that answers the page: the filters' own view, confined to ``createdAt`` by key (``updatedAt`` by
    filter); or, for the feed, the namespace's update feed below the settle boundary, confined to ``updatedAt``
    by key (the filters and ``createdAt`` by filter). From ``after``'s time, when it resumes at one."""
    if query.sort is Sort.UPDATED:
        return _feed_plan(namespace, query, query.updated.before(settled_before)).resumed(after)
    updated = ItemFilter(ranges=(("updatedAt", query.updated.start, query.updated.end),))
    return _filters_plan(namespace, query, updated).resumed(after)


def plan_count_on_filters_view(namespace: str, query: SessionQuery) -> ReadPlan:
    """Another way to count an updated range with filters: the filters' own view (every session they select, the
    ``createdAt`` range by key), ``updatedAt`` by filter. Cheaper than the feed's range when the filters select
    fewer sessions than the range holds."""
    return _filters_plan(namespace, query, ItemFilter(ranges=(("updatedAt", query.updated.start, query.updated.end),)))


def plan_count(namespace: str, query: SessionQuery) -> ReadPlan | None:
    """The read that counts the sessions a query selects (in any order, settled or not); ``None`` when a
    counter holds the figure (no time range)."""
    if not query.ranged:
        return None
    if query.updated.given:
        return _feed_plan(namespace, query, query.updated)
    return _filters_plan(namespace, query, ItemFilter())
