"""The read path: one page of a namespace's sessions, newest first, with an exact total ``count``.

What the function runs. The write side (``put``, ``load``, ``recount``) is :mod:`charging_sessions.writer`;
both build their keys, items and requests with :mod:`charging_sessions.storage_layout`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from . import storage_layout as layout
from .dynamodb_json import Item, from_item
from .models import ChargingSession
from .time_range import TimeRange, canonical_instant

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

InvalidItemHook = Callable[[Mapping[str, str], ValidationError], None]
ForeignItemHook = Callable[[Mapping[str, str], str], None]
"""Called with an item's key and the namespace it claims, when it is not the caller's."""
DriftHook = Callable[[str, int, int], None]
"""Called with the view, the counter's value and the count the read proved, when they disagree."""


FULL_PAGES_PER_ANSWER = 6
"""DynamoDB ends a Query call at 1 MB of items read. Six calls ended that way (behind a filter, counting only the
share of each call's entries that matched) hold more than one answer can carry (``answers.DEFAULT_BUDGET_BYTES``,
5.5 MB as the runtime encodes it: a session's encoded JSON is at least its stored size, less the keys and attributes
the answer does not carry), so a page read stops there and continues from there: take=1000 of sessions at the write
limit (64 KB) reads about 6 MB for the ~85 it can answer, not 64 MB (memory, read units, time)."""


MAX_CALL_LIMIT = 10_000
"""The largest ``Limit`` a filtered read asks for: DynamoDB's 1 MB per call bounds what one call reads anyway."""


def next_limit(needed: int, scanned: int, matched: int) -> int:
    """The ``Limit`` of a read's next call, when ``needed`` more items are wanted and the calls so far passed over
    ``scanned`` entries of which ``matched`` passed the filter: ``needed`` entries at the share seen to match (all of
    them without a filter), at most :data:`MAX_CALL_LIMIT`. Items past ``needed`` are read but not answered."""
    if matched >= scanned:
        return needed
    return min(MAX_CALL_LIMIT, math.ceil(needed * scanned / max(matched, 1)))


@dataclass
class ReadStats:
    """What one listing cost: DynamoDB calls, read capacity DynamoDB reported, time spent waiting on it."""

    calls: int = 0
    consumed_capacity: float = 0.0
    items_read: int = 0
    retries: int = 0
    """Attempts the SDK retried (throttling, 5xx) before a call succeeded."""
    dynamodb_seconds: float = 0.0


@dataclass(frozen=True)
class Resume:
    """Where a walk continues: right after an entry (``after``, a ``storage_layout.entry_position``), or, in the
    update feed only, at every entry whose ``updatedAt`` is at or after ``from_time`` (a canonical timestamp: the
    settle boundary of a read that reached it)."""

    after: Mapping[str, str] | None = None
    from_time: str | None = None


@dataclass
class SessionPage:
    sessions: list[ChargingSession]
    count: int
    invalid_items: int = 0
    """Entries of the page left out because they do not fit the contract."""
    foreign_items: int = 0
    """Entries of the page left out because they belong to another namespace (a writer's key bug)."""
    view: str = ""
    more: bool = False
    """Whether the view may hold entries after this page (``False``: the read reached its end)."""
    entries: int = 0
    """Index entries this page consumed (answered + left out): the next page starts at ``skip + entries``."""
    stats: ReadStats = field(default_factory=ReadStats)
    positions: list[int] = field(default_factory=list)
    """For each session, how many of the page's entries come before it (a page cut there resumes there)."""
    entry_positions: list[dict[str, str]] = field(default_factory=list)
    """Where each of the page's entries is in its view (``storage_layout.entry_position``): a cursor cut after
    entry ``i`` resumes after ``entry_positions[i]``."""
    resume: Resume | None = None
    """Where the next page starts, after the whole page; ``None`` when nothing follows (default order)."""
    read_cut: bool = False
    """The read stopped short of ``take``: it already held more than one answer can carry."""


class Sort(StrEnum):
    """The orders a page can be in."""

    NEWEST_FIRST = "-createdAt"
    """``createdAt`` descending, ties by id descending: the documented order."""
    UPDATED = "updatedAt"
    """``updatedAt`` ascending, ties by id ascending: the update feed, settled sessions only."""


@dataclass(frozen=True)
class SessionFilter:
    user_id: str | None = None
    charger_id: str | None = None
    status: str | None = None

    def as_dict(self) -> dict[str, str]:
        given = {"userId": self.user_id, "chargerId": self.charger_id, "status": self.status}
        return {name: value for name, value in given.items() if value is not None}

    @property
    def combination(self) -> str:
        """Which filters are set, e.g. ``userId+status`` (``none`` without filters): low cardinality."""
        return "+".join(self.as_dict()) or "none"


@dataclass(frozen=True)
class SessionQuery:
    """Which sessions a listing selects and in which order (paging aside)."""

    filters: SessionFilter = field(default_factory=SessionFilter)
    created: TimeRange = field(default_factory=TimeRange)
    updated: TimeRange = field(default_factory=TimeRange)
    sort: Sort = Sort.NEWEST_FIRST

    def as_dict(self) -> dict[str, str]:
        """Every parameter that selects or orders the sessions, by its API name, in canonical form (absent
        ones and the default sort left out): what a cursor is bound to and an entity tag covers."""
        ranges = {
            "createdFrom": self.created.start,
            "createdTo": self.created.end,
            "updatedFrom": self.updated.start,
            "updatedTo": self.updated.end,
        }
        given = {name: value for name, value in ranges.items() if value is not None}
        if self.sort is not Sort.NEWEST_FIRST:
            given["sort"] = self.sort.value
        return {**self.filters.as_dict(), **given}

    @property
    def empty(self) -> bool:
        return self.created.empty or self.updated.empty


@dataclass(frozen=True)
class _Plan:
    """How one read goes: a view's partition, a time range on its sort key (a key condition), what its items must
    also match (a filter), and the direction."""

    view: layout.View
    partition: str
    key_range: TimeRange
    item_filter: layout.ItemFilter
    newest_first: bool

    @property
    def keys_only(self) -> bool:
        """Whether counting can use the view's KEYS_ONLY twin (a few dozen bytes an entry): only without a
        filter, since the twin holds no other attribute."""
        return self.view.keys_index is not None and not self.item_filter

    def request(self, table: str, *, keys_only: bool = False) -> dict[str, Any]:
        return layout.view_query(
            table,
            self.view,
            self.partition,
            keys_only=keys_only,
            newest_first=self.newest_first,
            start=self.key_range.start,
            end=self.key_range.end,
            item_filter=None if keys_only else self.item_filter,
        )


def _equalities(filters: SessionFilter) -> tuple[tuple[str, str], ...]:
    return tuple(filters.as_dict().items())


def _feed_plan(namespace: str, query: SessionQuery, key_range: TimeRange) -> _Plan:
    """The namespace's update feed in ``key_range`` of ``updatedAt`` (by key), the filters and ``createdAt`` by
    filter (the feed has no view per filter)."""
    return _Plan(
        layout.FEED,
        layout.FEED.partition_key(namespace, None, None, None),
        key_range,
        layout.ItemFilter(_equalities(query.filters), (("createdAt", query.created.start, query.created.end),)),
        newest_first=False,
    )


def _filters_plan(namespace: str, query: SessionQuery, item_filter: layout.ItemFilter) -> _Plan:
    """The filters' own view, newest first, in the ``createdAt`` range (by key), items matching ``item_filter``."""
    filters = query.filters
    view = layout.choose_view(filters.user_id, filters.charger_id, filters.status)
    partition = view.partition_key(namespace, filters.user_id, filters.charger_id, filters.status)
    return _Plan(view, partition, query.created, item_filter, newest_first=True)


def _page_plan(namespace: str, query: SessionQuery, settled_before: str) -> _Plan:
    """The read that answers the page: the filters' own view, confined to ``createdAt`` by key (``updatedAt`` by
    filter); or, for the feed, the namespace's update feed below the settle boundary, confined to ``updatedAt``
    by key (the filters and ``createdAt`` by filter)."""
    if query.sort is Sort.UPDATED:
        return _feed_plan(namespace, query, query.updated.before(settled_before))
    updated = layout.ItemFilter(ranges=(("updatedAt", query.updated.start, query.updated.end),))
    return _filters_plan(namespace, query, updated)


def _count_plan(namespace: str, query: SessionQuery) -> _Plan | None:
    """The read that counts the sessions a query selects (in any order, settled or not); ``None`` when a
    counter holds the figure (no time range)."""
    if query.updated.given:
        return _feed_plan(namespace, query, query.updated)
    if query.created.given:
        return _filters_plan(namespace, query, layout.ItemFilter())
    return None


class SessionReader:
    """Pages come from the indexes alone: ``skip`` is counted over the view's keys and ``take`` items are read
    after it (or after a cursor's position), whatever the counters hold. The counter answers ``count`` in one
    GetItem; where the read proves it wrong (the view ended, or held more than it says), the proven figure is
    answered and the drift reported. With a time range, ``count`` is counted over the range's keys.

    The update feed (``Sort.UPDATED``) serves only sessions whose ``updatedAt`` is earlier than now minus
    ``settle_seconds``: GSIs are eventually consistent and writers commit after they stamp ``updatedAt``, so a
    session may still appear below a more recent time; below the boundary, none can (see ``docs/storage.md``)."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        on_invalid_item: InvalidItemHook | None = None,
        on_foreign_item: ForeignItemHook | None = None,
        on_counter_drift: DriftHook | None = None,
        settle_seconds: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table_name
        self._on_invalid_item = on_invalid_item
        self._on_foreign_item = on_foreign_item
        self._on_counter_drift = on_counter_drift
        self._settle_seconds = settle_seconds
        self._clock = clock

    @property
    def client(self) -> DynamoDBClient:
        """The DynamoDB client the reader calls (its configuration and event hooks)."""
        return self._client

    @property
    def settle_seconds(self) -> float:
        return self._settle_seconds

    def settle_boundary(self) -> str:
        """The update feed's boundary now: sessions updated before it are served, later ones wait."""
        return canonical_instant(self._clock() - self._settle_seconds)

    def list_sessions(
        self,
        namespace: str,
        filters: SessionFilter | None = None,
        *,
        skip: int = 0,
        take: int,
        created: TimeRange | None = None,
        query: SessionQuery | None = None,
        after: Resume | None = None,
    ) -> SessionPage:
        """One page of the namespace's sessions that ``query`` selects (or ``filters`` and ``created``), in its
        order, and the total number that match. ``take=0`` answers only the count. The page starts after
        ``skip`` sessions, or where ``after`` (a previous page's ``resume``) says.

        Without a range the count is the view's counter; with one it is counted over the range's keys (no
        counter holds it), on a keys-only twin where the query needs no filter."""
        if query is None:
            query = SessionQuery(filters or SessionFilter(), created or TimeRange())
        assert not (skip and after), "a page starts after skip sessions or at a cursor, not both"
        filters = query.filters
        stats = ReadStats()
        boundary = self.settle_boundary()
        plan = _page_plan(namespace, query, boundary)
        feed = query.sort is Sort.UPDATED
        unchanged = after if after is not None else Resume(from_time=plan.key_range.start)
        if query.empty:
            return SessionPage([], 0, view=plan.view.name, stats=stats, resume=unchanged if feed else None)
        count_plan = _count_plan(namespace, query)
        if count_plan is not None:
            counted = self._count(count_plan, stats)
        else:
            counted = self._read_counter(namespace, filters, stats)
        if take == 0:
            return SessionPage([], counted, view=plan.view.name, stats=stats, resume=unchanged if feed else None)
        if after is not None and after.from_time is not None:
            resumed = TimeRange(max(plan.key_range.start or "", after.from_time), plan.key_range.end)
            plan = replace(plan, key_range=resumed)
        if plan.key_range.empty:
            return SessionPage([], counted, view=plan.view.name, stats=stats, resume=unchanged)
        start: Item | None = None
        passed, more = 0, True
        if after is not None and after.after is not None:
            start = layout.position_start_key(plan.view, namespace, plan.partition, after.after)
        elif skip:
            start, passed, more = self._skip(plan, skip, stats)
        documents: list[dict[str, Any]] = []
        read_cut = False
        if more:
            documents, more, read_cut = self._read_items(plan, start, take, stats)
        count = counted
        if count_plan is None and not feed and after is None:
            # The page covers exactly the sessions the counter counts: what the read saw proves a bound.
            seen = passed + len(documents)
            count = max(counted, seen) if more else seen
            if count != counted and self._on_counter_drift is not None:
                self._on_counter_drift(plan.view.name, counted, count)
        entry_positions = [layout.entry_position(plan.view, document) for document in documents]
        if more and entry_positions:
            resume: Resume | None = Resume(after=entry_positions[-1])
        elif feed:
            # The read reached the settle boundary: every entry below it has been seen, later ones are above it.
            resume = Resume(from_time=plan.key_range.end)
        else:
            resume = None
        sessions, positions, invalid, foreign = self._validate(documents, namespace)
        return SessionPage(
            sessions,
            count,
            invalid,
            foreign,
            plan.view.name,
            more,
            len(documents),
            stats,
            positions,
            entry_positions,
            resume,
            read_cut,
        )

    def _call(self, stats: ReadStats, operation: Callable[..., Any], **request: Any) -> Any:
        request["ReturnConsumedCapacity"] = "TOTAL"
        started = time.perf_counter()
        try:
            response = operation(**request)
        finally:
            stats.dynamodb_seconds += time.perf_counter() - started
            stats.calls += 1
        capacity = response.get("ConsumedCapacity")
        if isinstance(capacity, dict):
            stats.consumed_capacity += float(capacity.get("CapacityUnits", 0.0))
        stats.items_read += int(response.get("ScannedCount", 1 if "Item" in response else 0))
        stats.retries += int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))
        return response

    def _read_counter(self, namespace: str, filters: SessionFilter, stats: ReadStats) -> int:
        view = layout.choose_view(filters.user_id, filters.charger_id, filters.status)
        key = layout.counter_key(namespace, view, filters.user_id, filters.charger_id, filters.status)
        response = self._call(stats, self._client.get_item, TableName=self._table, Key=key, **layout.COUNTER_PROJECTION)
        return max(layout.counter_value(response.get("Item")), 0)

    def _count(self, plan: _Plan, stats: ReadStats) -> int:
        """How many entries the plan selects: ``Select=COUNT`` over the range's keys (the view's KEYS_ONLY twin
        where the plan needs no filter), following ``LastEvaluatedKey`` to the range's end."""
        if plan.key_range.empty:
            return 0
        request = plan.request(self._table, keys_only=plan.keys_only)
        request["Select"] = "COUNT"
        counted = 0
        while True:
            response = self._call(stats, self._client.query, **request)
            counted += int(response["Count"])
            if "LastEvaluatedKey" not in response:
                return counted
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _skip(self, plan: _Plan, skip: int, stats: ReadStats) -> tuple[Item | None, int, bool]:
        """Pass over the first ``skip`` entries the plan selects by counting keys, not reading items: the start
        key after them, how many were passed, and whether the view may hold more.

        Uses the view's KEYS_ONLY twin when the plan allows it (a few dozen bytes an entry), else the view's own
        index (with a filter, ``Count`` counts the entries that match, and ``Limit`` the entries passed over, so
        the count never overshoots ``skip``)."""
        keys_only = plan.keys_only
        request = plan.request(self._table, keys_only=keys_only)
        request["Select"] = "COUNT"
        passed = 0
        while passed < skip:
            response = self._call(stats, self._client.query, **request, Limit=skip - passed)
            passed += int(response["Count"])
            last_key = response.get("LastEvaluatedKey")
            if last_key is None:
                return None, passed, False
            request["ExclusiveStartKey"] = last_key
        start: Item = request["ExclusiveStartKey"]
        return (layout.item_start_key(plan.view, start, plan.partition) if keys_only else start), passed, True

    def _read_items(
        self, plan: _Plan, start: Item | None, take: int, stats: ReadStats
    ) -> tuple[list[dict[str, Any]], bool, bool]:
        """Up to ``take`` items the plan selects after ``start``, in its order, whether more follow, and whether
        the read stopped short (below). The read asks for one item more than the page, so that the answer is exact
        (a page that ends with the view has no continuation).

        With a filter, DynamoDB's ``Limit`` counts the entries passed over, not those that match: each call after
        the first asks for as many entries as the share that matched so far says are needed (:func:`next_limit`),
        so a selective filter takes a few calls, not one per ``take`` matches. The read also ends once it holds
        more than one answer can carry (:data:`FULL_PAGES_PER_ANSWER`): the page is then shorter than ``take``
        and continues where the read stopped."""
        request = plan.request(self._table)
        if start is not None:
            request["ExclusiveStartKey"] = start
        documents: list[dict[str, Any]] = []
        scanned = 0
        held = 0.0  # megabytes of items held: of each call DynamoDB ended at 1 MB, the share that matched
        limit = take + 1
        while len(documents) <= take:
            response = self._call(stats, self._client.query, **request, Limit=limit)
            documents.extend(from_item(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            passed = int(response.get("ScannedCount", limit))
            scanned += passed
            if passed < limit:  # DynamoDB ended the call at 1 MB, not at Limit
                held += len(response["Items"]) / max(passed, 1)
                if held >= FULL_PAGES_PER_ANSWER and documents:
                    return documents, True, True
            limit = next_limit(take + 1 - len(documents), scanned, len(documents))
        if len(documents) > take:
            return documents[:take], True, False
        return documents, False, False

    def _validate(
        self, documents: list[dict[str, Any]], namespace: str
    ) -> tuple[list[ChargingSession], list[int], int, int]:
        """Stored items that do not fit the contract, or that claim another namespace than the caller's, are
        left out of the page and reported, never answered."""
        sessions: list[ChargingSession] = []
        positions: list[int] = []
        invalid = foreign = 0
        for position, document in enumerate(documents):
            key = {layout.PK: str(document.get(layout.PK)), layout.SK: str(document.get(layout.SK))}
            if document.get("namespaceId") != namespace:
                foreign += 1
                if self._on_foreign_item is not None:
                    self._on_foreign_item(key, str(document.get("namespaceId")))
                continue
            try:
                sessions.append(ChargingSession.model_validate(document))
                positions.append(position)
            except ValidationError as error:
                invalid += 1
                if self._on_invalid_item is not None:
                    self._on_invalid_item(key, error)
        return sessions, positions, invalid, foreign
