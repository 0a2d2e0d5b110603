"""Batched writes with backoff: the bulk load and the counter repairs put items 25 at a time, retrying what
DynamoDB leaves unprocessed; the writer's conflicts back off the same way."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .dynamodb_json import Item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_WRITE_SIZE = 25
"""Items per ``BatchWriteItem``: DynamoDB's maximum."""
BATCH_WRITE_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 2.0

Sleep = Callable[[float], None]
Jitter = Callable[[float, float], float]


def backoff_ceiling(attempt: int) -> float:
    """The longest wait before retry ``attempt + 1`` (exponential, capped); the wait is drawn below it (full
    jitter), so that contending writers spread out."""
    return min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0**attempt)


def batch_put(
    client: DynamoDBClient,
    table: str,
    items: Sequence[Item],
    *,
    sleep: Sleep = time.sleep,
    jitter: Jitter = random.uniform,
) -> None:
    """Put ``items`` in batches, retrying unprocessed items with backoff; raises ``RuntimeError`` when some are
    still unprocessed after :data:`BATCH_WRITE_ATTEMPTS`."""
    for start in range(0, len(items), BATCH_WRITE_SIZE):
        requests: list[Any] = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_WRITE_SIZE]]
        for attempt in range(BATCH_WRITE_ATTEMPTS):
            response = client.batch_write_item(RequestItems={table: requests})
            requests = list(response.get("UnprocessedItems", {}).get(table, []))
            if not requests:
                break
            sleep(jitter(0, backoff_ceiling(attempt)))
        else:
            raise RuntimeError(f"{len(requests)} items were not written after {BATCH_WRITE_ATTEMPTS} attempts")
