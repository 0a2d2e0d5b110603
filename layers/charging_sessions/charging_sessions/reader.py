"""The read path: one page of a namespace's sessions, newest first, with an exact total ``count``.

What the function runs. The write side (``put``, ``load``, ``recount``) is :mod:`charging_sessions.writer`;
both build their keys, items and requests with :mod:`charging_sessions.storage_layout`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from . import storage_layout as layout
from .dynamodb_json import Item, from_item
from .models import ChargingSession

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

InvalidItemHook = Callable[[Mapping[str, str], ValidationError], None]


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
    view: str = ""
    stats: ReadStats = field(default_factory=ReadStats)


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
    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        on_invalid_item: InvalidItemHook | None = None,
    ) -> None:
        self._client = client
        self._table = table_name
        self._on_invalid_item = on_invalid_item

    @property
    def client(self) -> DynamoDBClient:
        """The DynamoDB client the reader calls (its configuration and event hooks)."""
        return self._client

    def list_sessions(self, namespace: str, filters: SessionFilter, *, skip: int = 0, take: int) -> SessionPage:
        """One page of the namespace's sessions matching ``filters``, newest first (ties: id descending),
        and the total number that match. ``take=0`` answers only the count."""
        view, residual_charger = layout.choose_view(filters.user_id, filters.charger_id, filters.status)
        partition = view.partition_key(namespace, filters.user_id, filters.charger_id, filters.status)
        stats = ReadStats()
        if residual_charger:
            return self._filtered_page(view, partition, filters, skip, take, stats)

        count = self._read_counter(namespace, view, filters, stats)
        documents: list[dict[str, Any]] = []
        if take > 0 and skip < count:
            remaining = count - skip
            from_oldest = max(0, remaining - take)
            if from_oldest < skip:
                # Nearer the oldest end (the last pages): pass over fewer keys reading upwards, then turn around.
                documents = self._page(view, partition, from_oldest, min(take, remaining), stats, newest_first=False)
                documents.reverse()
            else:
                documents = self._page(view, partition, skip, take, stats, newest_first=True)
        sessions, invalid = self._validate(documents)
        return SessionPage(sessions, count, invalid, view.name, stats)

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

    def _page(
        self, view: layout.View, partition: str, skip: int, take: int, stats: ReadStats, *, newest_first: bool
    ) -> list[dict[str, Any]]:
        """``take`` items after the first ``skip`` of the view, read in the given direction."""
        start = self._skip(view, partition, skip, stats, newest_first=newest_first) if skip else None
        if skip and start is None:
            return []
        return self._read_items(view, partition, start, take, stats, newest_first=newest_first)

    def _skip(
        self, view: layout.View, partition: str, skip: int, stats: ReadStats, *, newest_first: bool = True
    ) -> Item | None:
        """The key of the ``skip``-th entry of the view, found by counting keys, not reading items.

        Uses the view's KEYS_ONLY index when it has one (a few dozen bytes an entry), else its own index.
        ``None`` when the view holds fewer than ``skip`` entries."""
        keys_only = view.keys_index is not None
        request = layout.view_query(self._table, view, partition, keys_only=keys_only, newest_first=newest_first)
        request["Select"] = "COUNT"
        remaining = skip
        while remaining > 0:
            response = self._call(stats, self._client.query, **request, Limit=remaining)
            remaining -= int(response["Count"])
            last_key = response.get("LastEvaluatedKey")
            if last_key is None:
                return None
            request["ExclusiveStartKey"] = last_key
        start: Item = request["ExclusiveStartKey"]
        return layout.item_start_key(view, start, partition) if keys_only else start

    def _read_items(
        self,
        view: layout.View,
        partition: str,
        start: Item | None,
        take: int,
        stats: ReadStats,
        *,
        newest_first: bool = True,
    ) -> list[dict[str, Any]]:
        request = layout.view_query(self._table, view, partition, newest_first=newest_first)
        if start is not None:
            request["ExclusiveStartKey"] = start
        documents: list[dict[str, Any]] = []
        while len(documents) < take:
            response = self._call(stats, self._client.query, **request, Limit=take - len(documents))
            documents.extend(from_item(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return documents

    def _filtered_page(
        self,
        view: layout.View,
        partition: str,
        filters: SessionFilter,
        skip: int,
        take: int,
        stats: ReadStats,
    ) -> SessionPage:
        """userId + chargerId: read the user's view, filtering on chargerId; the count comes from reading."""
        assert filters.charger_id is not None
        request = layout.with_charger_filter(layout.view_query(self._table, view, partition), filters.charger_id)
        count = 0
        documents: list[dict[str, Any]] = []
        for item in self._all_items(request, stats):
            if skip <= count < skip + take:
                documents.append(from_item(item))
            count += 1
        sessions, invalid = self._validate(documents)
        return SessionPage(sessions, count, invalid, view.name + "+chargerId", stats)

    def _all_items(self, request: dict[str, Any], stats: ReadStats) -> Iterator[Item]:
        """Every item a query matches, following ``LastEvaluatedKey`` across DynamoDB's 1 MB pages."""
        while True:
            response = self._call(stats, self._client.query, **request)
            yield from response["Items"]
            if "LastEvaluatedKey" not in response:
                return
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def _validate(self, documents: list[dict[str, Any]]) -> tuple[list[ChargingSession], int]:
        """Stored items that do not fit the contract are left out of the page and reported, never answered."""
        sessions: list[ChargingSession] = []
        invalid = 0
        for document in documents:
            try:
                sessions.append(ChargingSession.model_validate(document))
            except ValidationError as error:
                invalid += 1
                if self._on_invalid_item is not None:
                    self._on_invalid_item(
                        {layout.PK: str(document.get(layout.PK)), layout.SK: str(document.get(layout.SK))}, error
                    )
        return sessions, invalid
