"""Cold start and peak memory, measured in fresh interpreters.

The emulation runs in *this* process (moto's ``ThreadedMotoServer``); every child is a fresh ``python``
pointed at it with ``AWS_ENDPOINT_URL_DYNAMODB``, so no child imports moto and moto's own import time counts
for neither side.

* Cold start: ``time.perf_counter()`` reads ``CLOCK_MONOTONIC``, one clock for every process on Linux, so
  the parent notes it just before spawning the child and the child reports it when it has its first
  answer: the difference is interpreter start + imports + clients + models + the first request. The same
  for ``python -c pass`` (the interpreter alone) and for a bare handler that only imports boto3, creates a
  client and makes one Query of 50 items. One unmeasured run of each comes first (bytecode cache, page
  cache), then the median of several.
* Init: importing the function (what Lambda's init does) against importing boto3 and building a DynamoDB client,
  run one after the other in each repetition; the median of the per-pair ratios.
* Peak RSS: the high-water mark of resident memory (``VmHWM``; ``ru_maxrss`` where there is no ``/proc``)
  of a child that imports the function and serves ``take=1000`` three times.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from bench.measuring import summary_ms
from charging_sessions.routes import LIST_SESSIONS_PATH
from local_toolkit import gateway, harness
from local_toolkit.demo_data import generate_sessions

NAMESPACE = "tenant-coldstart"
TABLE = "charging-sessions-coldstart"

_PROLOGUE = """\
import time
_started = time.perf_counter()
import json, os, sys
"""

_EPILOGUE = """\
import resource
try:  # this process's own high-water mark (ru_maxrss may carry the forking parent's, kept across exec)
    with open("/proc/self/status") as _status:
        _peak_kb = next(int(line.split()[1]) for line in _status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    _peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with open(os.environ["BENCH_RESULT_FILE"], "w") as _out:
    json.dump({
        "started": _started,
        "imported": _imported,
        "answered": _answered,
        "statuses": _statuses,
        "max_rss_kb": _peak_kb,
        "moto_imported": "moto" in sys.modules,
        "own_ms": globals().get("_own", []),
    }, _out)
"""

INTERPRETER = _PROLOGUE + "_imported = _answered = time.perf_counter()\n_statuses = []\n" + _EPILOGUE

_FUNCTION_LOOP = """\
_statuses = []
_answered = None
for _event in json.loads(os.environ["BENCH_EVENTS"]):
    _response = app.lambda_handler(_event, _Context())
    _statuses.append(_response["statusCode"])
    if _answered is None:
        _answered = time.perf_counter()
"""
"""The function child's requests: each event once, the first answer's time noted."""

FUNCTION = (
    _PROLOGUE
    + """\
import list_sessions.app as app
_imported = time.perf_counter()


class _Context:
    function_name = "ListSessionsFunction"
    function_version = "$LATEST"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:ListSessionsFunction"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/ListSessionsFunction"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self):
        return 300_000  # the emulation is slow: as local_toolkit.gateway.LambdaContext


"""
    + _FUNCTION_LOOP
    + _EPILOGUE
)

WARMUP = 20
"""Requests a warm child serves before it measures (the first builds Powertools' validation models)."""
WARM = FUNCTION.replace(
    _FUNCTION_LOOP,
    f"""\
from bench.measuring import time_in_spans

_client = app.reader.client
_original = _client._make_api_call
_spans = []


def _timed(operation, params):
    began = time.perf_counter()
    try:
        return _original(operation, params)
    finally:
        _spans.append((began, time.perf_counter()))


_client._make_api_call = _timed
_own = []
_statuses = []
for _number, _event in enumerate(json.loads(os.environ["BENCH_EVENTS"]) * int(os.environ["BENCH_REPEAT"])):
    _spans.clear()
    _began = time.perf_counter()
    _statuses.append(app.lambda_handler(_event, _Context())["statusCode"])
    _wall = time.perf_counter() - _began
    if _number >= {WARMUP}:  # calls on two threads overlap: their union is what the handler waited
        _own.append((_wall - time_in_spans(_spans)) * 1000)
_answered = time.perf_counter()
""",
)
"""A warm execution environment in a fresh process: the function's own time per request (wall time minus the time
at least one DynamoDB call was in flight), with the emulation in another process (the parent's server, over HTTP),
so that nothing but the function is in its heap, as in Lambda. Logs and metrics go to its stdout, as in Lambda."""

BARE = (
    _PROLOGUE
    + """\
import boto3
_client = boto3.client("dynamodb")  # AWS_ENDPOINT_URL_DYNAMODB: the emulation
_imported = time.perf_counter()
_response = _client.query(
    TableName=os.environ["TABLE_NAME"],
    KeyConditionExpression="pk = :pk",
    ExpressionAttributeValues={":pk": {"S": os.environ["BENCH_NAMESPACE"]}},
    ScanIndexForward=False,
    Limit=50,
)
_body = json.dumps({"count": _response["Count"]})
_answered = time.perf_counter()
_statuses = [200]
"""
    + _EPILOGUE
)


IMPORT_FUNCTION = (
    _PROLOGUE + "import list_sessions.app\n_imported = _answered = time.perf_counter()\n_statuses = []\n" + _EPILOGUE
)
"""What Lambda's init does for the function: import it (its settings, clients, resolver and models are built there)."""
IMPORT_BARE = (
    _PROLOGUE
    + "import boto3\nboto3.client('dynamodb')\n_imported = _answered = time.perf_counter()\n_statuses = []\n"
    + _EPILOGUE
)
"""The floor any Python function on DynamoDB pays at init: boto3 and a DynamoDB client."""


@dataclass
class ChildRun:
    total_ms: float
    """Spawn to first answer."""
    import_ms: float
    """Spawn to the end of the imports (and, for the bare handler, the client)."""
    max_rss_mb: float
    statuses: list[int]
    own_ms: list[float]
    """Per warm request, when the child measured its own time (``WARM``)."""


def child_environment(endpoint: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "POWERTOOLS_", "DYNAMODB_"))
    }
    environment.update(harness.local_environment(endpoint, table_name=TABLE))
    # As inside Lambda: the X-Ray SDK (which Powertools' Tracer imports even with tracing off) then picks its
    # Lambda sampler instead of building a sampling client for a local X-Ray daemon (~100 ms, never paid in AWS).
    environment["LAMBDA_TASK_ROOT"] = str(Path.cwd())
    environment["AWS_LAMBDA_FUNCTION_NAME"] = "bench-list-sessions"
    environment["BENCH_NAMESPACE"] = NAMESPACE
    return environment


def run_child(
    code: str, environment: Mapping[str, str], events: Sequence[dict[str, Any]] = (), *, repeat: int = 1
) -> ChildRun:
    with tempfile.TemporaryDirectory() as directory:
        result_file = Path(directory) / "result.json"
        env = dict(
            environment,
            BENCH_RESULT_FILE=str(result_file),
            BENCH_EVENTS=json.dumps(list(events)),
            BENCH_REPEAT=str(repeat),
        )
        spawned = time.perf_counter()
        completed = subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
        )
        if completed.returncode != 0 or not result_file.exists():
            raise RuntimeError(f"benchmark child failed ({completed.returncode}):\n{completed.stderr[-3000:]}")
        result = json.loads(result_file.read_text(encoding="utf-8"))
    if result["moto_imported"]:
        raise RuntimeError("a cold-start child imported moto; its figures would include moto's import")
    return ChildRun(
        total_ms=(result["answered"] - spawned) * 1000,
        import_ms=(result["imported"] - spawned) * 1000,
        max_rss_mb=result["max_rss_kb"] / 1024,
        statuses=[int(status) for status in result["statuses"]],
        own_ms=[float(ms) for ms in result["own_ms"]],
    )


def _event(query: str) -> dict[str, Any]:
    return gateway.http_api_event(
        path=LIST_SESSIONS_PATH, raw_query=query, headers={"host": "bench"}, claims={"namespaceId": NAMESPACE}
    )


def _median(runs: Sequence[ChildRun], attribute: str) -> float:
    return float(statistics.median(getattr(run, attribute) for run in runs))


def measure(*, repetitions: int, sessions: int = 1_200, warm_requests: int = 300) -> dict[str, Any]:
    """Cold start of the function vs a bare boto3 handler vs the interpreter alone; peak RSS at take=1000; own time
    per warm first page (``take=50``) in a process that holds only the function (``WARM``)."""
    server, endpoint = harness.start_emulation()
    try:
        with mock.patch.dict(os.environ, {"AWS_ENDPOINT_URL_DYNAMODB": endpoint}):
            harness.prepare_table(generate_sessions(namespaces=[NAMESPACE], per_namespace=sessions), table_name=TABLE)
        environment = child_environment(endpoint)
        first_page = [_event("take=50")]
        variants = {
            "interpreter": (INTERPRETER, []),
            "bare": (BARE, []),
            "function": (FUNCTION, first_page),
            "import_bare": (IMPORT_BARE, []),
            "import_function": (IMPORT_FUNCTION, []),
        }
        runs: dict[str, list[ChildRun]] = {name: [] for name in variants}
        for code, events in variants.values():
            run_child(code, environment, events)  # warms the bytecode and page caches; not counted
        for _ in range(repetitions):
            for name, (code, events) in variants.items():  # interleaved: drift hits every variant alike
                run = run_child(code, environment, events)
                if any(status != 200 for status in run.statuses):
                    raise RuntimeError(f"{name} child answered {run.statuses}")
                runs[name].append(run)
        big = [run_child(FUNCTION, environment, [_event("take=1000")] * 3) for _ in range(max(1, repetitions // 2))]
        if any(status != 200 for run in big for status in run.statuses):
            raise RuntimeError("the take=1000 child did not answer 200")
        warm = run_child(WARM, environment, [_event("take=50")], repeat=WARMUP + warm_requests)
        if any(status != 200 for status in warm.statuses):
            raise RuntimeError("the warm child did not answer 200")
    finally:
        server.stop()
    function_ms = _median(runs["function"], "total_ms")
    bare_ms = _median(runs["bare"], "total_ms")
    return {
        "repetitions": repetitions,
        "interpreter_ms": _median(runs["interpreter"], "total_ms"),
        "function_ms": function_ms,
        "function_import_ms": _median(runs["function"], "import_ms"),
        "bare_ms": bare_ms,
        "bare_import_ms": _median(runs["bare"], "import_ms"),
        "ratio_function_bare": function_ms / bare_ms,
        "import_function_ms": _median(runs["import_function"], "total_ms"),
        "import_bare_ms": _median(runs["import_bare"], "total_ms"),
        # paired: each repetition ran both one after the other, so drift in the machine's load cancels in the ratio
        "ratio_import": float(
            statistics.median(
                f.total_ms / b.total_ms for f, b in zip(runs["import_function"], runs["import_bare"], strict=True)
            )
        ),
        "warm_own_ms": summary_ms([ms / 1000 for ms in warm.own_ms]),
        "warm_requests": len(warm.own_ms),
        "runs_ms": {name: [round(run.total_ms, 1) for run in found] for name, found in runs.items()},
        "peak_rss_mb": {
            "function_take_1000": max(run.max_rss_mb for run in big),
            "function_take_50": max(run.max_rss_mb for run in runs["function"]),
            "bare": max(run.max_rss_mb for run in runs["bare"]),
            "interpreter": max(run.max_rss_mb for run in runs["interpreter"]),
        },
    }
