"""What one listing cost, metered across the threads that made its calls."""

from __future__ import annotations

from dataclasses import asdict

from charging_sessions.storage.metering import ReadStats


def test_adding_another_threads_stats_sums_every_field() -> None:
    page = ReadStats(calls=1, consumed_capacity=9.5, items_read=51, retries=0, dynamodb_seconds=0.004)
    counter = ReadStats(calls=1, consumed_capacity=0.5, items_read=1, retries=2, dynamodb_seconds=0.003)
    page.add(counter)
    assert asdict(page) == {
        "calls": 2,
        "consumed_capacity": 10.0,
        "items_read": 52,
        "retries": 2,
        "dynamodb_seconds": 0.007,
    }
    assert asdict(counter)["calls"] == 1  # the other side is left as it was
