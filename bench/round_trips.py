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

from bench.measuring import TAKE, BenchClock, HandlerTimer, Measured, RepetitionPlan, time_in_calls

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
    from bench.capacity import cost_of
    from charging_sessions.listing import build_reader

    client = function.reader.client
    settings = function.settings.model_copy(update={"table_name": table})
    readers = {
        name: build_reader(client, settings, clock=clock, counter_beside_page=beside)
        for name, beside in (("counter_then_page", False), ("counter_beside_page", True))
    }
    timer = HandlerTimer(function, namespace, {"take": str(TAKE)})
    delay = SimulatedRoundTrip(ROUND_TRIP_MS)
    saved = function.reader
    walls: dict[str, list[float]] = {name: [] for name in readers}
    waits: dict[str, list[float]] = {name: [] for name in readers}
    last: dict[str, tuple[list[str], int, list[Any]]] = {}
    client.meta.events.register_first("before-send.dynamodb", delay)
    try:
        for reader in readers.values():  # warm each reader once
            setattr(function, "reader", reader)  # noqa: B010 - the handler's global
            timer.call()
        meter.take()
        started = time.perf_counter()
        for repetition in range(mode.repetitions):
            for name, reader in readers.items():
                setattr(function, "reader", reader)  # noqa: B010
                wall, body = timer.call()
                calls = meter.take()
                walls[name].append(wall)
                waits[name].append(time_in_calls(calls))
                last[name] = ([session["id"] for session in body["chargingSessions"]], int(body["count"]), calls)
            if repetition + 1 >= mode.min_repetitions and time.perf_counter() - started > 2 * mode.budget_seconds:
                break
    finally:
        client.meta.events.unregister("before-send.dynamodb", delay)
        setattr(function, "reader", saved)  # noqa: B010
    result: dict[str, Any] = {"round_trip_ms": ROUND_TRIP_MS, "namespace": namespace, "take": TAKE}
    for name in readers:
        ids, count, calls = last[name]
        measured = Measured(ids, count, walls[name], waits[name], cost_of(calls, meter), calls).as_dict()
        result[name] = {
            key: measured[key] for key in ("wall_ms", "dynamodb_ms", "own_ms", "calls", "read_units", "repetitions")
        }
        result[name]["ids"] = ids
    if result["counter_then_page"].pop("ids") != result["counter_beside_page"].pop("ids"):
        raise RuntimeError("the two readers answered different first pages")
    result["saved_ms"] = result["counter_then_page"]["wall_ms"]["p50"] - result["counter_beside_page"]["wall_ms"]["p50"]
    result["saved_ms_paired"] = 1000 * statistics.median(
        then - beside for then, beside in zip(walls["counter_then_page"], walls["counter_beside_page"], strict=True)
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
