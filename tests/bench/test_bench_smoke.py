"""The benchmark's smoke size (``python -m bench.run --smoke``), so that it cannot rot.

Not a timed test: it runs the benchmark once and checks that every request ran at every size with positive
figures, that the function and the naive baseline answered the same ids and count (the baseline is a reference
answer), that the cursor walk returned every session once in the reference order, and that the sync loop's
mirror ended equal to the table.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.run import KNOWN_EMPTY_REQUESTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("bench") / "smoke.json"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "POWERTOOLS_", "DYNAMODB_")) and key != "TABLE_NAME"
    }
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.run", "--smoke", "--output", str(output)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    loaded: dict[str, Any] = json.loads(output.read_text(encoding="utf-8"))
    return loaded


def test_smoke_benchmark_covers_every_request_and_agrees_with_the_baseline(result: dict[str, Any]) -> None:
    sizes, requests = result["meta"]["sizes"], result["meta"]["requests"]
    rows = {(row["size"], row["request"]): row for row in result["results"]}
    assert len(rows) == len(result["results"])
    assert set(rows) == {(size, request) for size in sizes for request in requests}
    for (size, request), row in rows.items():
        where = f"{size} {request}"
        for side in ("ours", "baseline"):
            figures = row[side]
            assert figures["read_units"] > 0, where
            assert figures["calls"] > 0, where
            assert figures["repetitions"] > 0, where
            assert figures["wall_ms"]["p50"] > 0, where
            assert figures["dynamodb_ms"]["p50"] > 0, where
            assert figures["own_ms"]["p50"] > 0, where
        assert row["floor_read_units"] > 0, where
        assert row["ours"]["ids"] == row["baseline"]["ids"], where
        assert row["ours"]["count"] == row["baseline"]["count"], where
        # the known-empty requests match nothing by construction; every other request finds sessions
        assert (row["ours"]["count"] > 0) is (request not in KNOWN_EMPTY_REQUESTS), where
        assert row["same_answer"] is True, where

    cold = result["cold_start"]
    assert cold["function_ms"] > 0 and cold["bare_ms"] > 0 and cold["interpreter_ms"] > 0
    assert cold["peak_rss_mb"]["function_take_1000"] > 0
    assert {target["name"] for target in result["targets"]}, "targets are evaluated"
    assert result["meta"]["emulation_checked_requests"] > 0


def test_range_rows_select_part_of_the_namespace_as_the_baseline_does(result: dict[str, Any]) -> None:
    ranged = {"createdRange", "createdDay", "createdRange+userId", "updatedRange", "feed+updatedRange"}
    assert ranged | {"feed"} <= set(result["meta"]["requests"])
    for row in result["results"]:
        if row["request"] not in ranged | {"feed"}:
            continue
        where = f"{row['size']} {row['request']}"
        query = row["query"]
        if row["request"] in ranged:
            assert {"createdFrom", "createdTo"} <= set(query) or {"updatedFrom", "updatedTo"} <= set(query), where
            assert 0 < row["ours"]["count"] < row["size"], where  # the range selects part of the namespace
        else:
            assert query["sort"] == "updatedAt" and row["ours"]["count"] == row["size"], where
        assert row["ours"]["ids"] == row["baseline"]["ids"] and row["ours"]["count"] == row["baseline"]["count"], where


def test_the_cursor_walk_returns_every_session_once_in_the_reference_order(result: dict[str, Any]) -> None:
    walk = result["cursor_walk"]
    size = max(result["meta"]["sizes"])
    assert walk["size"] == size and walk["sessions"] == walk["returned"] == walk["distinct"] == size
    assert walk["every_session_once"] is True
    assert walk["in_reference_order"] is True
    assert walk["pages"] == -(-size // 50) == len(walk["page_read_units"])
    units = walk["read_units"]
    assert 0 < units["first"] <= units["max"] and units["last"] > 0
    assert units["total"] == pytest.approx(sum(walk["page_read_units"]))
    assert walk["calls"]["per_page_min"] > 0


def test_the_sync_loop_mirror_equals_the_table(result: dict[str, Any]) -> None:
    sync = result["sync"]
    writes = sync["writes"]
    assert sync["size"] == result["meta"]["sync"]["size"]
    assert sync["first_sync"]["sessions_received"] == sync["size"]
    assert sync["first_sync"]["mirror_equals_table"] is True
    assert sync["poll_within_settle_window"]["sessions_received"] == 0  # the writes have not settled yet
    assert sync["resume"]["sessions_received"] == writes["stopped"] + writes["corrected"] + writes["new"] > 0
    assert sync["resume"]["received_as_reference"] is True
    assert sync["resume"]["mirror_equals_table"] is True
    assert sync["sessions"] == sync["size"] + writes["new"]
    assert 0 < sync["resume"]["read_units"]["total"] < sync["first_sync"]["read_units"]["total"]


def test_the_round_trip_comparison_reads_the_same_either_way(result: dict[str, Any]) -> None:
    """Reading the counter beside the page changes when the calls wait, not which calls are made or what they read."""
    trips = result["round_trips"]
    before, beside = trips["counter_then_page"], trips["counter_beside_page"]
    assert before["calls"] == beside["calls"] == 2
    assert before["read_units"] == beside["read_units"] > 0
    assert trips["round_trip_ms"] > 0 and "saved_ms" in trips and "saved_ms_paired" in trips
    assert before["repetitions"] == beside["repetitions"] > 0  # interleaved: one request each way per repetition
    assert any(
        target["name"].startswith("first page, ") and "round trips" in target["name"] for target in result["targets"]
    )
