"""The benchmark's smoke size (``python -m bench.run --smoke``), so that it cannot rot.

Not a timed test: it checks that every request ran at every size with positive figures, and that the
function and the naive baseline answered the same ids and count (the baseline is a reference answer).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_smoke_benchmark_covers_every_request_and_agrees_with_the_baseline(tmp_path: Path) -> None:
    output = tmp_path / "smoke.json"
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
    result = json.loads(output.read_text(encoding="utf-8"))

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
        assert row["ours"]["count"] == row["baseline"]["count"] > 0, where
        assert row["same_answer"] is True, where

    cold = result["cold_start"]
    assert cold["function_ms"] > 0 and cold["bare_ms"] > 0 and cold["interpreter_ms"] > 0
    assert cold["peak_rss_mb"]["function_take_1000"] > 0
    assert {target["name"] for target in result["targets"]}, "targets are evaluated"
    assert result["meta"]["emulation_checked_requests"] > 0
