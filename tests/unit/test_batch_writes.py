"""Batched writes on a scripted DynamoDB: 25 items a call, unprocessed items retried with growing jittered waits,
and a clear error when some are never written."""

from __future__ import annotations

from typing import Any

import pytest

from charging_sessions.storage.batch_writes import (
    BACKOFF_CAP_SECONDS,
    BATCH_WRITE_ATTEMPTS,
    BATCH_WRITE_SIZE,
    backoff_ceiling,
    batch_put,
)
from charging_sessions.storage.dynamodb_json import Item


class ScriptedBatches:
    """Leaves the last ``unprocessed`` items of each of its first ``refusals`` calls unprocessed."""

    def __init__(self, unprocessed: int, refusals: int) -> None:
        self.unprocessed, self.refusals = unprocessed, refusals
        self.calls: list[list[Any]] = []

    def batch_write_item(self, RequestItems: dict[str, list[Any]]) -> dict[str, Any]:
        [(table, requests)] = RequestItems.items()
        self.calls.append(requests)
        if len(self.calls) <= self.refusals:
            return {"UnprocessedItems": {table: requests[-self.unprocessed :]}}
        return {"UnprocessedItems": {}}


def items(count: int) -> list[Item]:
    return [{"pk": {"S": "p"}, "sk": {"S": str(n)}} for n in range(count)]


def test_items_go_in_batches_of_25() -> None:
    client = ScriptedBatches(unprocessed=0, refusals=0)
    batch_put(client, "table", items(60), sleep=pytest.fail)  # type: ignore[arg-type]
    assert [len(call) for call in client.calls] == [BATCH_WRITE_SIZE, BATCH_WRITE_SIZE, 10]
    assert client.calls[0][0] == {"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"S": "0"}}}}
    batch_put(client, "table", [], sleep=pytest.fail)  # type: ignore[arg-type]
    assert len(client.calls) == 3


def test_unprocessed_items_are_retried_after_growing_jittered_waits() -> None:
    client = ScriptedBatches(unprocessed=2, refusals=3)
    waits: list[float] = []
    ceilings: list[float] = []

    def jitter(low: float, high: float) -> float:
        ceilings.append(high)
        return high / 2

    batch_put(client, "table", items(5), sleep=waits.append, jitter=jitter)  # type: ignore[arg-type]
    assert [len(call) for call in client.calls] == [5, 2, 2, 2]
    assert ceilings == [backoff_ceiling(attempt) for attempt in range(3)]
    assert waits == [ceiling / 2 for ceiling in ceilings]


def test_items_never_written_raise() -> None:
    client = ScriptedBatches(unprocessed=1, refusals=100)
    with pytest.raises(RuntimeError, match=f"1 items were not written after {BATCH_WRITE_ATTEMPTS} attempts"):
        batch_put(client, "table", items(3), sleep=lambda _: None)  # type: ignore[arg-type]
    assert len(client.calls) == BATCH_WRITE_ATTEMPTS


def test_the_backoff_ceiling_doubles_up_to_its_cap() -> None:
    assert [backoff_ceiling(attempt) for attempt in range(4)] == [0.05, 0.1, 0.2, 0.4]
    assert backoff_ceiling(20) == BACKOFF_CAP_SECONDS
