"""A first page's waiting for DynamoDB with a network between them: the counter read before the page (one round trip
after the other) against the counter read beside it (both in flight at once), the same handler otherwise.

The emulation answers in-process at once, so each call is first held for a simulated round trip (``time.sleep`` in
a ``before-send`` hook, which lets the other thread run, as a socket wait does). The figure is wall time per
request; the calls and read units do not change (two calls: one GetItem, one Query).
"""

from __future__ import annotations

import statistics
import time
from types import ModuleType
from typing import Any

from bench.measuring import TAKE, Action, BenchClock, HandlerTimer, RepetitionPlan, repeat_interleaved

ROUND_TRIP_MS = 4.0
"""A DynamoDB round trip inside a region, as simulated here (DynamoDB answers in single-digit milliseconds)."""


class SimulatedRoundTrip:
    """Holds every DynamoDB call for one round trip before the emulation answers it."""

    def __init__(self, milliseconds: float) -> None:
        self.seconds = milliseconds / 1000

    def __call__(self, **_: Any) -> None:
        time.sleep(self.seconds)


def measure(
    function: ModuleType, meter: Any, table: str, namespace: str, clock: BenchClock, mode: RepetitionPlan
) -> dict[str, Any]:
    """The first page (``take=50``, no filter) of ``namespace`` both ways, interleaved (one request each way per
    repetition, so the machine's drift hits both alike); the function's reader is restored after."""
    from charging_sessions.listing import build_reader

    client = function.reader.client
    settings = function.settings.model_copy(update={"table_name": table})
    timer = HandlerTimer(function, namespace, {"take": str(TAKE)})

    def with_reader(beside: bool) -> Action:
        reader = build_reader(client, settings, clock=clock, counter_beside_page=beside)

        def once() -> tuple[float, list[str], int]:
            setattr(function, "reader", reader)  # noqa: B010 - the handler's global
            return timer.once()

        return once

    actions = {"counter_then_page": with_reader(False), "counter_beside_page": with_reader(True)}
    delay = SimulatedRoundTrip(ROUND_TRIP_MS)
    saved = function.reader
    client.meta.events.register_first("before-send.dynamodb", delay)
    try:
        for action in actions.values():  # warm each reader once
            action()
        measured = repeat_interleaved(
            actions,
            meter,
            repetitions=mode.repetitions,
            min_repetitions=mode.min_repetitions,
            budget_seconds=mode.budget_seconds,
        )
    finally:
        client.meta.events.unregister("before-send.dynamodb", delay)
        setattr(function, "reader", saved)  # noqa: B010
    before, beside = measured["counter_then_page"], measured["counter_beside_page"]
    if before.ids != beside.ids:
        raise RuntimeError("the two readers answered different first pages")
    result: dict[str, Any] = {"round_trip_ms": ROUND_TRIP_MS, "namespace": namespace, "take": TAKE}
    for name, found in measured.items():
        figures = found.as_dict()
        result[name] = {
            key: figures[key] for key in ("wall_ms", "dynamodb_ms", "own_ms", "calls", "read_units", "repetitions")
        }
    result["saved_ms"] = result["counter_then_page"]["wall_ms"]["p50"] - result["counter_beside_page"]["wall_ms"]["p50"]
    result["saved_ms_paired"] = 1000 * statistics.median(
        then - by_side for then, by_side in zip(before.walls, beside.walls, strict=True)
    )
    return result


def target(result: dict[str, Any]) -> dict[str, Any]:
    """The page waits one round trip, not two: beside saves at least three quarters of a round trip at p50."""
    saved, trip = result["saved_ms"], result["round_trip_ms"]
    return {
        "name": f"first page, {trip:g} ms round trips: wall p50 saved by reading the counter beside the page, ms",
        "limit": f">= {0.75 * trip:g}",
        "value": round(saved, 2),
        "pass": saved >= 0.75 * trip,
    }


def line(result: dict[str, Any]) -> str:
    before, beside = result["counter_then_page"], result["counter_beside_page"]
    return (
        f"first page, {result['namespace']}, {result['round_trip_ms']:g} ms simulated round trips: counter then page "
        f"wall p50 {before['wall_ms']['p50']:.2f} ms ({before['calls']} calls, {before['read_units']:.1f} RCU), "
        f"counter beside the page {beside['wall_ms']['p50']:.2f} ms ({beside['calls']} calls, "
        f"{beside['read_units']:.1f} RCU): {result['saved_ms']:.2f} ms saved (median of the interleaved pairs "
        f"{result['saved_ms_paired']:.2f} ms)"
    )
