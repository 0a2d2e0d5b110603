"""Measuring one request: the handler timed alone, repeated with its DynamoDB calls metered, and the simulated
clock the reader runs on. Shared by the benchmark's rows (``bench.run``) and its incremental-sync rows
(``bench.incremental``)."""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any, Protocol

from charging_sessions.routes import LIST_SESSIONS_PATH
from local_toolkit import gateway

TAKE = 50
CLOCK_AFTER_DATA_SECONDS = 3600.0


class RepetitionPlan(Protocol):
    """How often a request is repeated (``bench.run.Mode`` is one)."""

    @property
    def repetitions(self) -> int: ...
    @property
    def min_repetitions(self) -> int: ...
    @property
    def budget_seconds(self) -> float: ...


_STARTED = time.perf_counter()


def progress(message: str) -> None:
    """A line on stderr, stamped with the minutes and seconds since the benchmark started."""
    elapsed = int(time.perf_counter() - _STARTED)
    print(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {message}", file=sys.stderr, flush=True)


@dataclass
class BenchClock:
    """The reader's clock in the benchmark (``build_reader(..., clock=...)``, as tests/integration/test_update_feed.py
    uses it): a simulated present, ``CLOCK_AFTER_DATA_SECONDS`` after the last ``updatedAt`` loaded, moved only by
    the sync loop. The demo data spans a year from 2026-01-01 and may run past the machine's date, and the feed
    serves only sessions updated ``FEED_SETTLE_SECONDS`` before now: on the machine's clock part of the data would
    not be served yet, and the figures would depend on the day of the run."""

    now: float

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    @classmethod
    def after(cls, latest: str) -> BenchClock:
        """An hour after ``latest`` (the last ``updatedAt`` loaded)."""
        return cls(datetime.fromisoformat(latest).timestamp() + CLOCK_AFTER_DATA_SECONDS)


def reader_on_clock(function: ModuleType, table: str, clock: BenchClock) -> Any:
    """The function's reader as ``app.py`` builds it (its client, hooks and settle window), on ``table`` and
    ``clock``."""
    from charging_sessions.listing import build_reader

    settings = function.settings.model_copy(update={"table_name": table})
    return build_reader(function.reader.client, settings, clock=clock)


def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    return {
        "p50": round(statistics.median(samples) * 1000, 3),
        "p95": round(percentile(samples, 0.95) * 1000, 3),
        "min": round(min(samples) * 1000, 3),
        "max": round(max(samples) * 1000, 3),
    }


@dataclass
class Measured:
    """One side (ours or the baseline) of one request."""

    ids: list[str]
    count: int
    walls: list[float]
    dynamodb: list[float]
    cost: Any
    """``capacity.Cost`` of the last repetition (every repetition makes the same calls)."""
    calls: list[Any]

    def as_dict(self) -> dict[str, Any]:
        own = [wall - dynamodb for wall, dynamodb in zip(self.walls, self.dynamodb, strict=True)]
        cost = self.cost.as_dict()
        by_index: dict[str, dict[str, float]] = {}
        for call in cost.pop("by_call"):
            where = f"{call['operation']} {call['index'] or 'table'}"
            entry = by_index.setdefault(where, {"calls": 0, "entries_read": 0, "bytes_read": 0, "read_units": 0.0})
            for key in ("entries_read", "bytes_read", "read_units"):
                entry[key] += call[key]
            entry["calls"] += 1
        return {
            **cost,
            "by_index": by_index,
            "returned": len(self.ids),
            "count": self.count,
            "ids": self.ids,
            "repetitions": len(self.walls),
            "wall_ms": summary_ms(self.walls),
            "dynamodb_ms": summary_ms(self.dynamodb),
            "own_ms": summary_ms(own),
        }


def time_in_spans(spans: Iterable[tuple[float, float]]) -> float:
    """Seconds covered by at least one of the ``(began, ended)`` spans: a counter read beside its page's Query (on
    another thread) overlaps it, and the overlap is waited for once. Own time is wall time minus this."""
    total = 0.0
    reached = float("-inf")
    for began, ended in sorted(spans):
        if ended > reached:
            total += ended - max(began, reached)
            reached = ended
    return total


def time_in_calls(calls: Sequence[Any]) -> float:
    """Seconds during which at least one of ``calls`` (the meter's) was in flight."""
    return time_in_spans((call.started, call.started + call.seconds) for call in calls)


Action = Callable[[], tuple[float, list[str], int]]
"""One timed request: its wall time, the ids it answered and its count."""


def repeat(action: Action, meter: Any, *, repetitions: int, min_repetitions: int, budget_seconds: float) -> Measured:
    """Run ``action`` (which times itself and answers its wall time, ids and count) repeatedly, with the
    DynamoDB calls made within each run; stop early once the budget is spent."""
    return repeat_interleaved(
        {"": action}, meter, repetitions=repetitions, min_repetitions=min_repetitions, budget_seconds=budget_seconds
    )[""]


def repeat_interleaved(
    actions: Mapping[str, Action],
    meter: Any,
    *,
    repetitions: int,
    min_repetitions: int,
    budget_seconds: float,
) -> dict[str, Measured]:
    """:func:`repeat` for several actions compared with each other: each repetition runs every action once, in turn,
    so a drift in the machine's speed hits them alike. The budget is per action."""
    from bench.capacity import cost_of

    meter.take()
    walls: dict[str, list[float]] = {name: [] for name in actions}
    dynamodb: dict[str, list[float]] = {name: [] for name in actions}
    last: dict[str, tuple[list[str], int, list[Any]]] = {}
    started = time.perf_counter()
    for repetition in range(repetitions):
        for name, action in actions.items():
            wall, ids, count = action()
            calls = meter.take()
            walls[name].append(wall)
            dynamodb[name].append(time_in_calls(calls))
            last[name] = (ids, count, calls)
        spent = time.perf_counter() - started
        if repetition + 1 >= min_repetitions and spent > budget_seconds * len(actions):
            break
    measured: dict[str, Measured] = {}
    for name, (ids, count, calls) in last.items():
        measured[name] = Measured(ids, count, walls[name], dynamodb[name], cost_of(calls, meter), calls)
    return measured


@dataclass
class HandlerTimer:
    """Times only the handler call (not building the event, not parsing the answer)."""

    function: ModuleType
    namespace: str
    query: Mapping[str, str]

    def call(self, query: Mapping[str, str] | None = None) -> tuple[float, dict[str, Any]]:
        """One handler call with ``query`` (default: the timer's): its wall time and the 200 answer's body."""
        from urllib.parse import urlencode

        given = dict(self.query if query is None else query)
        event = gateway.http_api_event(
            path=LIST_SESSIONS_PATH,
            raw_query=urlencode(given),
            headers={"host": "bench"},
            claims={"namespaceId": self.namespace, "sub": "bench"},
        )
        context = gateway.LambdaContext()
        began = time.perf_counter()
        response = self.function.lambda_handler(event, context)
        wall = time.perf_counter() - began
        if response["statusCode"] != 200:
            raise RuntimeError(f"{given} answered {response['statusCode']}: {response.get('body')}")
        body: dict[str, Any] = json.loads(response["body"])
        return wall, body

    def once(self) -> tuple[float, list[str], int]:
        """One call with the timer's query (an :data:`Action`): its wall time, the ids answered and the count."""
        wall, body = self.call()
        return wall, [session["id"] for session in body["chargingSessions"]], int(body["count"])

    def measure(self, meter: Any, mode: RepetitionPlan) -> Measured:
        self.once()  # warm: the first call of a route builds Powertools' validation models
        return repeat(
            self.once,
            meter,
            repetitions=mode.repetitions,
            min_repetitions=mode.min_repetitions,
            budget_seconds=mode.budget_seconds,
        )
