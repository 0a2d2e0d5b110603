"""The read path: one page of a namespace's sessions, newest first, with an exact total ``count``.

What the function runs. The write side (``put``, ``load``, ``recount``) is :mod:`charging_sessions.writer`;
both build their keys, items and requests with :mod:`charging_sessions.storage_layout`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from . import storage_layout as layout
from .dynamodb_json import Item, from_item
from .models import ChargingSession
from .time_range import CreatedRange

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

InvalidItemHook = Callable[[Mapping[str, str], ValidationError], None]
ForeignItemHook = Callable[[Mapping[str, str], str], None]
"""Called with an item's key and the namespace it claims, when it is not the caller's."""
DriftHook = Callable[[str, int, int], None]
"""Called with the view, the counter's value and the count the read proved, when they disagree."""


@dataclass
class ReadStats:
    """What one listing cost: DynamoDB calls, read capacity DynamoDB reported, time spent waiting on it."""

    calls: int = 0
    consumed_capacity: float = 0.0
    items_read: int = 0
    retries: int = 0
    """Attempts the SDK retried (throttling, 5xx) before a call succeeded."""
    dynamodb_seconds: float = 0.0


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


class SessionReader:
    """Pages come from the indexes alone: ``skip`` is counted over the view's keys and ``take`` items are read
    after it, newest first, whatever the counters hold. The counter answers ``count`` in one GetItem; where the
    read proves it wrong (the view ended, or held more than it says), the proven figure is answered and the
    drift reported."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        on_invalid_item: InvalidItemHook | None = None,
        on_foreign_item: ForeignItemHook | None = None,
        on_counter_drift: DriftHook | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._on_invalid_item = on_invalid_item
        self._on_foreign_item = on_foreign_item
        self._on_counter_drift = on_counter_drift

    @property
    def client(self) -> DynamoDBClient:
        """The DynamoDB client the reader calls (its configuration and event hooks)."""
        return self._client

    def list_sessions(
        self,
        namespace: str,
        filters: SessionFilter,
        *,
        skip: int = 0,
        take: int,
        created: CreatedRange | None = None,
    ) -> SessionPage:
        """One page of the namespace's sessions matching ``filters`` (and created in ``created``), newest first
        (ties: id descending), and the total number that match. ``take=0`` answers only the count.

        Without a range the count is the view's counter; with one it is counted over the range's keys (no
        counter holds it), on the view's keys-only twin where it has one."""
        view = layout.choose_view(filters.user_id, filters.charger_id, filters.status)
        partition = view.partition_key(namespace, filters.user_id, filters.charger_id, filters.status)
        created = created or CreatedRange()
        stats = ReadStats()
        if created.empty:
            return SessionPage([], 0, view=view.name, stats=stats)
        if created.given:
            counted = self._count_range(view, partition, created, stats)
        else:
            counted = self._read_counter(namespace, view, filters, stats)
        if take == 0:
            return SessionPage([], counted, view=view.name, stats=stats)
        start, passed, more = self._skip(view, partition, skip, created, stats) if skip else (None, 0, True)
        documents: list[dict[str, Any]] = []
        if more:
            documents, more = self._read_items(view, partition, start, take, created, stats)
        seen = passed + len(documents)
        count = max(counted, seen) if more else seen
        if count != counted and not created.given and self._on_counter_drift is not None:
            self._on_counter_drift(view.name, counted, count)
        sessions, positions, invalid, foreign = self._validate(documents, namespace)
        return SessionPage(sessions, count, invalid, foreign, view.name, more, len(documents), stats, positions)

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

    def _read_counter(self, namespace: str, view: layout.View, filters: SessionFilter, stats: ReadStats) -> int:
        key = layout.counter_key(namespace, view, filters.user_id, filters.charger_id, filters.status)
        response = self._call(stats, self._client.get_item, TableName=self._table, Key=key, **layout.COUNTER_PROJECTION)
        return max(layout.counter_value(response.get("Item")), 0)

    def _count_range(self, view: layout.View, partition: str, created: CreatedRange, stats: ReadStats) -> int:
        """How many entries of the view fall in ``created``: ``Select=COUNT`` over the range's keys (the view's
        KEYS_ONLY twin where it has one), following ``LastEvaluatedKey`` to the range's end."""
        request = self._range_query(view, partition, created, keys_only=view.keys_index is not None)
        request["Select"] = "COUNT"
        counted = 0
        while True:
            response = self._call(stats, self._client.query, **request)
            counted += int(response["Count"])
            if "LastEvaluatedKey" not in response:
                return counted
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _range_query(
        self, view: layout.View, partition: str, created: CreatedRange, *, keys_only: bool = False
    ) -> dict[str, Any]:
        return layout.view_query(
            self._table, view, partition, keys_only=keys_only, created_from=created.start, created_to=created.end
        )

    def _skip(
        self, view: layout.View, partition: str, skip: int, created: CreatedRange, stats: ReadStats
    ) -> tuple[Item | None, int, bool]:
        """Pass over the first ``skip`` entries of the view (in ``created``) by counting keys, not reading items:
        the start key after them, how many were passed, and whether the view may hold more.

        Uses the view's KEYS_ONLY index when it has one (a few dozen bytes an entry), else its own index; the
        range is the same key condition as the page's."""
        keys_only = view.keys_index is not None
        request = self._range_query(view, partition, created, keys_only=keys_only)
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
        return (layout.item_start_key(view, start, partition) if keys_only else start), passed, True

    def _read_items(
        self,
        view: layout.View,
        partition: str,
        start: Item | None,
        take: int,
        created: CreatedRange,
        stats: ReadStats,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``take`` items of the view (in ``created``) after ``start``, newest first, and whether the view
        may hold more."""
        request = self._range_query(view, partition, created)
        if start is not None:
            request["ExclusiveStartKey"] = start
        documents: list[dict[str, Any]] = []
        while len(documents) < take:
            response = self._call(stats, self._client.query, **request, Limit=take - len(documents))
            documents.extend(from_item(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                return documents, False
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return documents, True

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
