"""Metering DynamoDB calls: what one listing cost (calls, read units DynamoDB reported, retries, time waiting)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any


@dataclass
class ReadStats:
    """What one listing cost: DynamoDB calls, read capacity DynamoDB reported, time spent waiting on it."""

    calls: int = 0
    consumed_capacity: float = 0.0
    items_read: int = 0
    retries: int = 0
    """Attempts the SDK retried (throttling, 5xx) before a call succeeded."""
    dynamodb_seconds: float = 0.0

    def add(self, other: ReadStats) -> None:
        """Adds what ``other`` metered (another thread's calls for the same listing): every field is a running
        total."""
        for metered in fields(self):
            setattr(self, metered.name, getattr(self, metered.name) + getattr(other, metered.name))


def consumed_units(response: Mapping[str, Any]) -> float:
    """The read units a response says its call consumed (0 when it does not say)."""
    capacity = response.get("ConsumedCapacity")
    return float(capacity.get("CapacityUnits", 0.0)) if isinstance(capacity, dict) else 0.0


def metered_call(stats: ReadStats, operation: Callable[..., Any], **request: Any) -> Any:
    """Call ``operation`` with ``request`` (asking for the consumed capacity) and add what it cost to ``stats``."""
    request["ReturnConsumedCapacity"] = "TOTAL"
    started = time.perf_counter()
    try:
        response = operation(**request)
    finally:
        stats.dynamodb_seconds += time.perf_counter() - started
        stats.calls += 1
    stats.consumed_capacity += consumed_units(response)
    stats.items_read += int(response.get("ScannedCount", 1 if "Item" in response else 0))
    stats.retries += int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0))
    return response
