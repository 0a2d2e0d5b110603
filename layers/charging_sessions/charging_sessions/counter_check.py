"""Drift detection for the counters: a scheduled check compares a sample of namespaces' counters with their
partitions, reports what drifted (metric + log) and repairs it.

Counters drift when sessions change behind the writer: another writer that skips the counter transaction,
TTL expiry, an erasure job that deletes items directly. Pages never depend on the counters (see ``reader``);
this keeps ``count`` exact between such events.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import storage_layout as layout
from .writer import CounterCheck, SessionWriter

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

DriftReport = Callable[[str, CounterCheck], None]


@dataclass
class CheckSummary:
    namespaces: list[str] = field(default_factory=list)
    drifted_namespaces: int = 0
    drifted_counters: int = 0
    skipped_items: int = 0


def sample_namespaces(
    client: DynamoDBClient, table: str, *, segments: int, limit: int, rng: random.Random | None = None
) -> list[str]:
    """Namespaces that hold sessions, from one random segment of the table (a Scan of ``limit`` keys)."""
    segment = (rng or random.Random()).randrange(segments)  # noqa: S311 - sampling, not security
    response = client.scan(**layout.namespace_sample_scan(table, segment, segments, limit))
    found = (layout.session_namespace(str(item[layout.PK]["S"])) for item in response.get("Items", []))
    return sorted({namespace for namespace in found if namespace is not None})


def check_namespaces(
    writer: SessionWriter, namespaces: Iterable[str], *, repair: bool, on_drift: DriftReport | None = None
) -> CheckSummary:
    """Check (and with ``repair`` fix) the counters of each namespace; ``on_drift`` hears of every one that drifted."""
    summary = CheckSummary()
    for namespace in namespaces:
        check = writer.check_counters(namespace, repair=repair)
        summary.namespaces.append(namespace)
        summary.skipped_items += len(check.skipped)
        if check.drifted:
            summary.drifted_namespaces += 1
            summary.drifted_counters += len(check.drifted)
            if on_drift is not None:
                on_drift(namespace, check)
    return summary
