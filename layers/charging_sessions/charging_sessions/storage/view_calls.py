"""The DynamoDB calls a page's read is made of, on one view: the counter's GetItem, a count of entries, a skip by
counting keys, and the page's Query with its limits. ``reader.py`` decides which are made and in what order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..query import SessionFilter, Sort
from .dynamodb_json import Item, from_item
from .items import counter_value
from .keys import counter_key
from .metering import ReadStats, consumed_units, metered_call
from .plan import ReadPlan, next_limit, page_view
from .positions import item_start_key
from .requests import COUNTER_PROJECTION, view_query

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MEGABYTES_HELD_PER_ANSWER = 6
"""A page read stops once it holds this many megabytes of matching items: more than one answer can carry
(``answers.DEFAULT_BUDGET_BYTES``); the page then continues where the read stopped (``docs/storage.md``)."""
READ_BUDGET_UNITS = 256.0
"""Read units a page's read may spend on entries its filter drops (2 MB of eventually consistent reads): past it the
page ends, shorter, and resumes after the last entry passed over (``docs/storage.md``, "Reading")."""


@dataclass(frozen=True)
class Start:
    """Where a page's read starts: after ``key`` (``None``: at the view's start), ``passed`` entries skipped to
    get there, and whether the view may hold more."""

    key: Item | None = None
    passed: int = 0
    more: bool = True


@dataclass(frozen=True)
class PageRead:
    """The documents a page's read returned, whether more follow, whether the read stopped short of ``take`` (holding
    an answer's worth, or out of budget), and where a read stopped by its budget resumes."""

    documents: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False
    cut: bool = False
    budget_cut: bool = False
    passed_to: dict[str, Any] | None = None
    """The last entry a read stopped by its budget passed over (plain form): the next page starts after it."""


class ViewCalls:
    """The calls, on one table through one client; each meters what it cost into the ``stats`` it is given."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def view_is_empty(self, plan: ReadPlan, stats: ReadStats) -> bool:
        """Whether the plan's partition holds no entry at all (one ``Select=COUNT, Limit=1`` Query, no filter)."""
        probe = view_query(self._table, plan.view, plan.partition)
        return int(metered_call(stats, self._client.query, **probe, Select="COUNT", Limit=1)["Count"]) == 0

    def read_counter(
        self, namespace: str, filters: SessionFilter, stats: ReadStats, *, consistent: bool = False
    ) -> int:
        view = page_view(Sort.NEWEST_FIRST, filters)
        key = counter_key(namespace, view, filters.user_id, filters.charger_id, filters.status)
        request = {"TableName": self._table, "Key": key, "ConsistentRead": consistent, **COUNTER_PROJECTION}
        response = metered_call(stats, self._client.get_item, **request)
        return max(counter_value(response.get("Item")), 0)

    def count_entries(self, plan: ReadPlan, stats: ReadStats) -> int:
        """How many entries the plan selects: ``Select=COUNT`` over the range's keys (the view's KEYS_ONLY twin
        where the plan needs no filter), following ``LastEvaluatedKey`` to the range's end."""
        if plan.key_range.empty:
            return 0
        request = plan.request(self._table, keys_only=plan.keys_only)
        request["Select"] = "COUNT"
        counted = 0
        while True:
            response = metered_call(stats, self._client.query, **request)
            counted += int(response["Count"])
            if "LastEvaluatedKey" not in response:
                return counted
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def skip(self, plan: ReadPlan, skip: int, stats: ReadStats) -> Start:
        """Pass over the first ``skip`` entries the plan selects by counting keys, not reading items (on the view's
        KEYS_ONLY twin when the plan allows it). With a filter, ``Count`` counts the entries that match and
        ``Limit`` the entries passed over, so the count never overshoots ``skip``."""
        keys_only = plan.keys_only
        request = plan.request(self._table, keys_only=keys_only)
        request["Select"] = "COUNT"
        passed = 0
        while passed < skip:
            response = metered_call(stats, self._client.query, **request, Limit=skip - passed)
            passed += int(response["Count"])
            last_key = response.get("LastEvaluatedKey")
            if last_key is None:
                return Start(None, passed, more=False)
            request["ExclusiveStartKey"] = last_key
        start: Item = request["ExclusiveStartKey"]
        return Start(item_start_key(plan.view, start, plan.partition) if keys_only else start, passed)

    def read(self, plan: ReadPlan, start: Start, take: int, stats: ReadStats, remaining: int | None = None) -> PageRead:
        """Up to ``take`` items the plan selects after the start, in its order. The read asks for one item more than
        the page, so that a page that ends with the view says so, and stops early when it holds the ``remaining``
        entries known to follow. Behind a filter each call's ``Limit`` comes from :func:`next_limit`; the read ends
        early once it holds :data:`MEGABYTES_HELD_PER_ANSWER`, or once it spent :data:`READ_BUDGET_UNITS` on entries
        the filter dropped."""
        request = plan.request(self._table)
        if start.key is not None:
            request["ExclusiveStartKey"] = start.key
        documents: list[dict[str, Any]] = []
        scanned = 0
        held = 0.0  # megabytes of items held: of each call DynamoDB ended at 1 MB, the share that matched
        dropped = 0.0  # read units spent on entries the filter dropped
        limit = take + 1
        while len(documents) <= take:
            response = metered_call(stats, self._client.query, **request, Limit=limit)
            items = response["Items"]
            documents.extend(from_item(item) for item in items)
            passed = int(response.get("ScannedCount", len(items)))
            dropped += consumed_units(response) * (1 - len(items) / max(passed, 1))
            last_key = response.get("LastEvaluatedKey")
            if last_key is None or (remaining is not None and len(documents) >= remaining):
                break
            request["ExclusiveStartKey"] = last_key
            scanned += passed
            if passed < limit:  # DynamoDB ended the call at 1 MB, not at Limit
                held += len(items) / max(passed, 1)
                if held >= MEGABYTES_HELD_PER_ANSWER and documents:
                    return PageRead(documents, more=True, cut=True)
            if dropped > READ_BUDGET_UNITS and len(documents) <= take:
                return PageRead(documents, more=True, budget_cut=True, passed_to=from_item(last_key))
            limit = next_limit(take + 1 - len(documents), scanned, len(documents))
        if len(documents) > take:
            return PageRead(documents[:take], more=True)
        return PageRead(documents)
