"""The benchmark: ``python -m bench.run`` (``make bench``), ``python -m bench.run --smoke`` (CI).

The real handler (``list_sessions.app.lambda_handler``) answers API Gateway events on moto's DynamoDB
emulation (in process, ``mock_aws``), one table holding namespaces of each size plus a larger neighbour,
all from the demo data generator. Every request is also answered by the naive baseline
(``bench/baseline.py``) on the same client. For each request the run reports:

* read units, computed from what every call read (``bench/capacity.py`` explains the rules and the side
  channel), the number of DynamoDB calls, and the floor: the read units of just the items returned;
* time: handler wall time, the part spent inside boto3 calls (moto plus botocore, "DynamoDB time") and
  the rest ("our time"), p50/p95 over repeated warm calls. Logs and metrics stay on, as in production,
  written to ``os.devnull``.

moto is patched for speed while measuring (``bench/emulation.py``; checked against moto as released on
every run); the emulation's heap is frozen out of the garbage collector (``gc.freeze``) after loading so
that collections in the handler scan what a Lambda process would hold, not moto's tables.

Cold start and peak RSS come from fresh interpreters (``bench/cold_start.py``). Results: a table on
stdout, ``bench/results/latest.json``, and which targets pass.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from charging_sessions.routes import LIST_SESSIONS_PATH
from local_toolkit import gateway, harness

TABLE = "charging-sessions-bench"
CHECK_TABLE = "charging-sessions-bench-check"
NEIGHBOUR = "tenant-neighbour"
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
TAKE = 50
TAKE_REQUESTS = ("first", "userId", "chargerId", "status", "userId+status", "userId+chargerId", "deep", "last")
REQUESTS = (*TAKE_REQUESTS, "count")
SINGLE_FILTER_FIRST_PAGES = ("first", "userId", "chargerId", "status")


@dataclass(frozen=True)
class Mode:
    name: str
    sizes: tuple[int, ...]
    neighbour: int
    deep_skip: int
    repetitions: int
    """Warm calls per request (at least ``min_repetitions``; fewer when ``budget_seconds`` runs out)."""
    min_repetitions: int
    baseline_repetitions: int
    budget_seconds: float
    cold_repetitions: int
    check: tuple[int, int]
    """Sessions and skip of the emulation check (``verify_emulation``)."""


FULL = Mode("full", (1_000, 10_000, 100_000), 150_000, 5_000, 40, 5, 3, 20.0, 7, (1_000, 700))
SMOKE = Mode("smoke", (200, 1_000), 1_500, 500, 3, 2, 1, 2.0, 2, (300, 200))


def namespace_of(size: int) -> str:
    return f"tenant-n{size}"


def request_queries(namespace: str, size: int, deep_skip: int) -> dict[str, dict[str, str]]:
    """The measured requests (API query parameters) for a namespace of ``size`` sessions."""
    from local_toolkit.demo_data import demo_charger_id, demo_user_id

    user, charger = demo_user_id(namespace, 1), demo_charger_id(namespace, 1)
    last = (max(size - 1, 0) // TAKE) * TAKE
    take = str(TAKE)
    return {
        "first": {"take": take},
        "userId": {"userId": user, "take": take},
        "chargerId": {"chargerId": charger, "take": take},
        "status": {"status": "Started", "take": take},
        "userId+status": {"userId": user, "status": "Stopped", "take": take},
        "userId+chargerId": {"userId": user, "chargerId": charger, "take": take},
        "deep": {"skip": str(deep_skip), "take": take},
        "last": {"skip": str(last), "take": take},
        "count": {"take": "0"},
    }


# ---------------------------------------------------------------------------------------------- measuring


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


def repeat(
    action: Callable[[], tuple[float, list[str], int]],
    meter: Any,
    *,
    repetitions: int,
    min_repetitions: int,
    budget_seconds: float,
) -> Measured:
    """Run ``action`` (which times itself and answers its wall time, ids and count) repeatedly, with the
    DynamoDB calls made within each run; stop early once the budget is spent."""
    from bench.capacity import cost_of

    meter.take()
    walls: list[float] = []
    dynamodb: list[float] = []
    calls: list[Any] = []
    ids: list[str] = []
    count = -1
    started = time.perf_counter()
    for repetition in range(repetitions):
        wall, ids, count = action()
        calls = meter.take()
        walls.append(wall)
        dynamodb.append(sum(call.seconds for call in calls))
        if repetition + 1 >= min_repetitions and time.perf_counter() - started > budget_seconds:
            break
    return Measured(ids, count, walls, dynamodb, cost_of(calls, meter), calls)


@dataclass
class HandlerTimer:
    """Times only the handler call (not building the event, not parsing the answer)."""

    function: ModuleType
    namespace: str
    query: Mapping[str, str]

    def measure(self, meter: Any, mode: Mode) -> Measured:
        from urllib.parse import urlencode

        raw_query = urlencode(dict(self.query))
        claims = {"namespaceId": self.namespace, "sub": "bench"}

        def once() -> tuple[float, list[str], int]:
            event = gateway.http_api_event(
                path=LIST_SESSIONS_PATH, raw_query=raw_query, headers={"host": "bench"}, claims=claims
            )
            context = gateway.LambdaContext()
            began = time.perf_counter()
            response = self.function.lambda_handler(event, context)
            wall = time.perf_counter() - began
            if response["statusCode"] != 200:
                raise RuntimeError(f"{self.query} answered {response['statusCode']}: {response.get('body')}")
            body = json.loads(response["body"])
            return wall, [session["id"] for session in body["chargingSessions"]], int(body["count"])

        once()  # warm: the first call of a route builds Powertools' validation models
        return repeat(
            once,
            meter,
            repetitions=mode.repetitions,
            min_repetitions=mode.min_repetitions,
            budget_seconds=mode.budget_seconds,
        )


def measure_baseline(
    client: Any, table: str, namespace: str, query: Mapping[str, str], meter: Any, mode: Mode
) -> Measured:
    from bench import baseline

    def action() -> tuple[float, list[str], int]:  # no state to warm: no warm-up run
        began = time.perf_counter()
        page, count = baseline.list_sessions(client, table, namespace, query)
        wall = time.perf_counter() - began
        return wall, [document["id"] for document in page], count

    return repeat(
        action,
        meter,
        repetitions=mode.baseline_repetitions,
        min_repetitions=1,
        budget_seconds=mode.budget_seconds,
    )


# ---------------------------------------------------------------------------------------------- the run


@contextlib.contextmanager
def quiet_function(sink: TextIO) -> Iterator[None]:
    """The function's logs and EMF metrics go to ``sink`` (they are still produced, as in production)."""
    import logging

    from charging_sessions.observability import logger

    handler = logger.registered_handler
    previous = handler.setStream(sink) if isinstance(handler, logging.StreamHandler) else None
    try:
        with contextlib.redirect_stdout(sink):
            yield
    finally:
        if isinstance(handler, logging.StreamHandler) and previous is not None:
            handler.setStream(previous)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load(client: Any, table: str, counts: Mapping[str, int]) -> float:
    from charging_sessions.writer import SessionWriter
    from local_toolkit.demo_data import generate_sessions

    began = time.perf_counter()
    SessionWriter(client, table).load(generate_sessions(namespaces=list(counts), per_namespace=dict(counts)))
    return time.perf_counter() - began


def verify_emulation(client: Any, sessions: int, deep_skip: int) -> int:
    """Replay reads like the function's and the baseline's on a small table (in the full run 1,000 sessions
    and a skip of 700: deep enough for moto's 1 MB pages) on moto with and without ``bench.emulation``'s
    patches: the answers must be identical. Reads that would return hundreds of whole items (slow in moto
    as released) are checked in their ``Select=COUNT`` form, which pages the same way."""
    from bench.capacity import Meter, _unfiltered
    from bench.emulation import check_equivalence
    from charging_sessions.reader import SessionFilter, SessionReader
    from charging_sessions.settings import DEFAULT_TAKE
    from charging_sessions.storage_layout import namespace_sessions_query
    from local_toolkit.template_table import create_table

    create_table(client, CHECK_TABLE)
    namespace = namespace_of(sessions)
    load(client, CHECK_TABLE, {namespace: sessions, NEIGHBOUR: 300})
    meter = Meter(client).install()
    try:
        reader = SessionReader(client, CHECK_TABLE)
        for query in request_queries(namespace, sessions, deep_skip).values():
            filters = SessionFilter(query.get("userId"), query.get("chargerId"), query.get("status"))
            reader.list_sessions(namespace, filters, skip=int(query.get("skip", 0)), take=int(query["take"]))
        user_and_charger = SessionFilter(user_id=demo_user(namespace), charger_id=demo_charger(namespace))
        reader.list_sessions(namespace, user_and_charger, take=DEFAULT_TAKE)
        recorded = [(call.operation, call.params) for call in meter.take()]
    finally:
        meter.uninstall()
    # The side channel's replays of COUNT reads (keys-only entries: small), and the baseline's read.
    recorded += [(operation, _unfiltered(params)) for operation, params in recorded if params.get("Select") == "COUNT"]
    whole = namespace_sessions_query(CHECK_TABLE, namespace)
    middle = client.query(**whole, Select="COUNT", Limit=deep_skip)["LastEvaluatedKey"]
    recorded += [
        ("Query", {**whole, "Select": "COUNT"}),
        ("Query", {**whole, "Select": "COUNT", "ExclusiveStartKey": middle}),
        ("Query", {**whole, "Limit": 60, "ExclusiveStartKey": middle}),
    ]
    return check_equivalence(client._make_api_call, recorded)


def demo_user(namespace: str) -> str:
    from local_toolkit.demo_data import demo_user_id

    return demo_user_id(namespace, 1)


def demo_charger(namespace: str) -> str:
    from local_toolkit.demo_data import demo_charger_id

    return demo_charger_id(namespace, 1)


def run_requests(mode: Mode, accelerate: bool) -> dict[str, Any]:
    from moto import mock_aws

    from bench.capacity import Meter, floor_units, item_size
    from bench.emulation import accelerated
    from charging_sessions.aws_clients import dynamodb_client
    from charging_sessions.settings import Settings
    from local_toolkit.template_table import create_table

    rows: list[dict[str, Any]] = []
    meta: dict[str, Any] = {}
    with mock_aws():
        function = harness.load_handler()
        table = function.settings.table_name
        loader = dynamodb_client(Settings.model_validate({"TABLE_NAME": table}))
        if accelerate:
            progress("checking the accelerated emulation against moto as released...")
            meta["emulation_checked_requests"] = verify_emulation(loader, *mode.check)
        create_table(loader, table)
        counts = {namespace_of(size): size for size in mode.sizes} | {NEIGHBOUR: mode.neighbour}
        progress(
            f"loading {sum(counts.values()):,} sessions ({', '.join(f'{n}: {c:,}' for n, c in counts.items())})..."
        )
        meta["load_seconds"] = round(load(loader, table, counts), 1)
        meta["loaded_sessions"] = sum(counts.values())
        progress(f"loaded in {meta['load_seconds']} s")
        gc.collect()
        gc.freeze()  # the emulation's heap is not the function's: keep it out of the collector's scans

        client = function.reader.client
        meter = Meter(client).install()
        with open(os.devnull, "w", encoding="utf-8") as sink, quiet_function(sink), accelerated(accelerate):
            for size in mode.sizes:
                namespace = namespace_of(size)
                for name, query in request_queries(namespace, size, mode.deep_skip).items():
                    began = time.perf_counter()
                    ours = HandlerTimer(function, namespace, query).measure(meter, mode)
                    base = measure_baseline(client, table, namespace, query, meter, mode)
                    sizes = {
                        item["id"]["S"]: item_size(item)
                        for call in base.calls
                        for item in call.response.get("Items", [])
                    }
                    floor = floor_units(sizes[session_id] for session_id in ours.ids)
                    row = {
                        "size": size,
                        "namespace": namespace,
                        "request": name,
                        "query": query,
                        "ours": ours.as_dict(),
                        "baseline": base.as_dict(),
                        "floor_read_units": floor,
                        "ratio_ours_baseline": ours.cost.read_units / base.cost.read_units,
                        "ratio_ours_floor": ours.cost.read_units / floor,
                        "same_answer": ours.ids == base.ids and ours.count == base.count,
                    }
                    rows.append(row)
                    progress(
                        f"  {size:>7,} {name:<14} ours {ours.cost.read_units:>9.1f} RCU "
                        f"{ours.cost.calls:>4} calls, baseline {base.cost.read_units:>9.1f} RCU "
                        f"({time.perf_counter() - began:.1f} s)"
                    )
                    if not row["same_answer"]:
                        raise AssertionError(f"{size} {name}: the function and the baseline answered differently")
        meter.uninstall()
        gc.unfreeze()
    return {"meta": meta, "results": rows}


# ---------------------------------------------------------------------------------------------- reporting


def evaluate_targets(result: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = result["results"]
    largest = max(row["size"] for row in rows)
    at_largest = {row["request"]: row for row in rows if row["size"] == largest}
    targets: list[dict[str, Any]] = []
    worst_floor = max(at_largest[name]["ratio_ours_floor"] for name in SINGLE_FILTER_FIRST_PAGES)
    targets.append(
        {
            "name": f"first page take=50, no or one filter, {largest:,} sessions: read units / floor",
            "limit": "<= 1.5",
            "value": round(worst_floor, 3),
            "pass": worst_floor <= 1.5,
        }
    )
    pair = at_largest["userId+chargerId"]["ratio_ours_floor"]
    targets.append(
        {
            "name": f"first page take=50, userId + chargerId (with count), {largest:,} sessions: read units / floor",
            "limit": "<= 2",
            "value": round(pair, 3),
            "pass": pair <= 2.0,
        }
    )
    deep = at_largest["deep"]["ratio_ours_baseline"]
    targets.append(
        {
            "name": f"deep page (skip={at_largest['deep']['query']['skip']}), {largest:,} sessions: "
            "read units / baseline",
            "limit": "<= 0.10",
            "value": round(deep, 4),
            "pass": deep <= 0.10,
        }
    )
    own = max(row["ours"]["own_ms"]["p50"] for row in rows if row["request"] in TAKE_REQUESTS)
    targets.append(
        {
            "name": "our own time per warm take=50 request, p50 (worst request, every size), ms",
            "limit": "<= 2",
            "value": own,
            "pass": own <= 2.0,
        }
    )
    cold = result.get("cold_start")
    if cold:
        targets.append(
            {
                "name": "cold init / bare boto3 handler's",
                "limit": "<= 1.5",
                "value": round(cold["ratio_function_bare"], 3),
                "pass": cold["ratio_function_bare"] <= 1.5,
            }
        )
        rss = cold["peak_rss_mb"]["function_take_1000"]
        targets.append(
            {"name": "peak RSS serving take=1000, MB", "limit": "< 100", "value": round(rss, 1), "pass": rss < 100}
        )
    return targets


def table(result: Mapping[str, Any]) -> str:
    header = (
        f"{'size':>7} {'request':<14} {'ours RCU':>9} {'base RCU':>9} {'floor':>6} {'ours/base':>9} "
        f"{'ours/floor':>10} {'calls o/b':>10} {'own p50':>8} {'own p95':>8} {'DDB p50':>8}"
    )
    lines = [header, "-" * len(header)]
    for row in result["results"]:
        ours, base = row["ours"], row["baseline"]
        lines.append(
            f"{row['size']:>7,} {row['request']:<14} {ours['read_units']:>9.1f} {base['read_units']:>9.1f} "
            f"{row['floor_read_units']:>6.1f} {row['ratio_ours_baseline']:>9.4f} {row['ratio_ours_floor']:>10.2f} "
            f"{ours['calls']:>4}/{base['calls']:<5} {ours['own_ms']['p50']:>8.2f} {ours['own_ms']['p95']:>8.2f} "
            f"{ours['dynamodb_ms']['p50']:>8.1f}"
        )
    lines.append("RCU: read capacity units per request; own: handler time minus time in DynamoDB calls (ms).")
    cold = result.get("cold_start")
    if cold:
        rss = cold["peak_rss_mb"]
        lines.append(
            f"cold start (median of {cold['repetitions']}): function {cold['function_ms']:.0f} ms "
            f"(imports {cold['function_import_ms']:.0f} ms), bare boto3 handler {cold['bare_ms']:.0f} ms, "
            f"interpreter alone {cold['interpreter_ms']:.0f} ms; ratio {cold['ratio_function_bare']:.2f}"
        )
        lines.append(
            f"peak RSS: function serving take=1000 {rss['function_take_1000']:.1f} MB "
            f"(take=50: {rss['function_take_50']:.1f} MB), bare boto3 handler {rss['bare']:.1f} MB"
        )
    for target in result["targets"]:
        verdict = "PASS" if target["pass"] else "FAIL"
        lines.append(f"{verdict}  {target['name']}: {target['value']} ({target['limit']})")
    return "\n".join(lines)


def git_revision() -> str:
    """The commit measured, ``+dirty`` when the working tree differs from it (``unknown`` outside git)."""
    import subprocess

    def git(*arguments: str) -> str:
        command = ["git", *arguments]
        root = Path(__file__).resolve().parents[1]
        return subprocess.run(command, cwd=root, capture_output=True, text=True, check=True).stdout.strip()  # noqa: S603

    try:
        head, dirty = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description="Benchmark of the list endpoint on the DynamoDB emulation."
    )
    parser.add_argument("--smoke", action="store_true", help="small sizes, few repetitions (CI)")
    parser.add_argument("--sizes", help="comma-separated namespace sizes (default 1000,10000,100000)")
    parser.add_argument("--neighbour", type=int, help="sessions in the neighbouring namespace")
    parser.add_argument("--repetitions", type=int, help="warm calls per request")
    parser.add_argument("--no-cold-start", action="store_true", help="skip cold start and peak RSS")
    parser.add_argument("--plain-moto", action="store_true", help="moto as released (very slow at 100,000)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"result JSON (default {RESULTS})")
    parser.add_argument("--check-targets", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)

    mode = SMOKE if args.smoke else FULL
    if args.sizes:
        mode = Mode(**{**mode.__dict__, "sizes": tuple(int(size) for size in args.sizes.split(","))})
    if args.neighbour is not None:
        mode = Mode(**{**mode.__dict__, "neighbour": args.neighbour})
    if args.repetitions is not None:
        mode = Mode(**{**mode.__dict__, "repetitions": args.repetitions})

    harness.use_emulation(None, table_name=TABLE)

    began = time.perf_counter()
    result = run_requests(mode, accelerate=not args.plain_moto)
    if not args.no_cold_start:
        from bench import cold_start
        from bench.emulation import accelerated

        progress("cold start and peak RSS...")
        with accelerated(not args.plain_moto):  # the server emulation is in this process too
            result["cold_start"] = cold_start.measure(repetitions=mode.cold_repetitions)
    import moto

    result["meta"] |= {
        "commit": git_revision(),
        "mode": mode.name,
        "sizes": list(mode.sizes),
        "requests": list(REQUESTS),
        "neighbour": {"namespace": NEIGHBOUR, "sessions": mode.neighbour},
        "deep_skip": mode.deep_skip,
        "repetitions": mode.repetitions,
        "accelerated_emulation": not args.plain_moto,
        "seconds": round(time.perf_counter() - began, 1),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "moto": moto.__version__,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
    }
    result["targets"] = evaluate_targets(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(table(result))
    print(f"written: {args.output}")
    return 1 if args.check_targets and not all(target["pass"] for target in result["targets"]) else 0


if __name__ == "__main__":
    sys.exit(main())
